"""Deployment: models exported (torch.export, ONNX), served over HTTP, and their inputs watched for drift.

Importing ``companion.deploy`` is cheap: torch, onnxruntime and FastAPI load only when a submodule that
needs them is imported (``from companion.deploy.export import export_onnx``).
"""
