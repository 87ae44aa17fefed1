"""Data the book computes on: worked examples now; toy sets, shipped sets and loaders as chapters need them."""
