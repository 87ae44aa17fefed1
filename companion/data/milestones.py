"""Milestones of neural-network history, with the bibliography keys the book cites for them.

Each label is what the cited source itself reports; the year is that of the event (the AlphaGo
match was played in October 2015 and published in January 2016).
"""

MILESTONES = [
    (1943, "McCulloch & Pitts: the artificial neuron", "mcculloch1943logical"),
    (1949, "Hebb: use strengthens the connection between neurons", "hebb1949organization"),
    (1958, "Rosenblatt: the perceptron learns", "rosenblatt1958perceptron"),
    (1969, "Minsky & Papert: the limits of perceptrons (XOR)", "minsky1969perceptrons"),
    (1974, "Werbos: backpropagation in his PhD thesis", "werbos1974beyond"),
    (1986, "Rumelhart, Hinton & Williams popularize backpropagation", "rumelhart1986learning"),
    (2012, "AlexNet wins ImageNet on GPUs", "krizhevsky2012imagenet"),
    (2015, "AlphaGo beats the European Go champion 5–0", "silver2016mastering"),
    (2017, "Vaswani et al.: the transformer", "vaswani2017attention"),
    (2018, "GPT, BERT: pre-trained language models", "devlin2019bert"),
]
