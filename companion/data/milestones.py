"""Milestones of neural-network history, with the bibliography keys the book cites for them."""

MILESTONES = [
    (1943, "McCulloch & Pitts: the artificial neuron", "mcculloch1943logical"),
    (1949, "Hebb: cells that fire together wire together", "hebb1949organization"),
    (1958, "Rosenblatt: the perceptron learns", "rosenblatt1958perceptron"),
    (1969, "Minsky & Papert: the limits of perceptrons (XOR)", "minsky1969perceptrons"),
    (1986, "Rumelhart, Hinton & Williams: backpropagation", "rumelhart1986learning"),
    (2012, "AlexNet wins ImageNet on GPUs", "krizhevsky2012imagenet"),
    (2016, "AlphaGo beats a Go world champion", "silver2016mastering"),
    (2017, "The transformer: attention is all you need", "vaswani2017attention"),
    (2018, "GPT and BERT: pre-trained language models", "devlin2019bert"),
]
