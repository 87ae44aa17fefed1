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

# Three ImageNet classifiers as their papers report them (ILSVRC top-5 error, per cent). "single": one
# network, on the validation set; "entry": the challenge entry, an ensemble, on the test set. Parameters
# are None where the paper does not give them.
IMAGENET_CNNS = [
    {"name": "AlexNet", "year": 2012, "key": "krizhevsky2012imagenet", "weight_layers": 8,
     "parameters_millions": 60, "single_top5": 18.2, "single_note": "1 CNN, ILSVRC-2012 validation",
     "entry_top5": 15.3, "entry_note": "7 CNNs (2 pre-trained on extra ImageNet data), ILSVRC-2012 test"},
    {"name": "VGG-19 (configuration E)", "year": 2014, "key": "simonyan2015very", "weight_layers": 19,
     "parameters_millions": 144, "single_top5": 7.1, "single_note": "1 net, multi-crop and dense, ILSVRC-2012 validation",
     "entry_top5": 7.3, "entry_note": "7 nets, the ILSVRC-2014 submission, test"},
    {"name": "ResNet-152", "year": 2015, "key": "he2016deep", "weight_layers": 152,
     "parameters_millions": None, "single_top5": 4.49, "single_note": "1 model, ILSVRC-2012 validation",
     "entry_top5": 3.57, "entry_note": "6 models of different depths, ILSVRC-2015 test"},
]
