"""No number is typed into the prose by hand: every decimal and percentage comes from a cell (glue).

The scan reads each notebook's markdown cells, drops what is not prose (glue and cite roles, inline
code, link targets) and fails on any decimal number or percentage left over, unless the chapter's
block of ``ALLOWED`` below lists it with the reason it is a constant or a fact rather than a result.
Math is scanned too: a value computed in a formula (``-log 0.9 ≈ 0.105``) is a result.
"""

import json
import pathlib
import re

import pytest

BOOK = pathlib.Path(__file__).resolve().parents[1] / "book"

NOT_PROSE = [
    re.compile(r"\{(?:glue(?::\w+)?|cite(?::\w+)?|numref|ref|doc|eq|download)\}`[^`]*`"),  # roles
    re.compile(r"https?://\S+|\]\([^)]*\)"),  # link targets
    re.compile(r"`[^`\n]*`"),  # inline code: a literal from a code cell, not a claim
]
NUMBER = re.compile(r"(?<![\w.])\d+(?:\.\d+)+(?:\s*(?:\\?%|per ?cent))?|(?<![\w.])\d+\s*(?:\\?%|per ?cent)")

# Per chapter: number as written -> why it may stand in the prose. Keep each block short; a number
# that a cell computes belongs in a glue reference instead.
ALLOWED = {
    "00_introduction": {
    },
    "01_history": {
        "3.2": "ImageNet's size in 2009, 3.2 million images, as Deng et al. (2009) report it: a fact",
    },
    "02_forward_propagation": {
        "0.5": "input of the worked example (companion.data.worked_example)",
        "0.8": "input of the worked example (companion.data.worked_example)",
        "0.3": "input of the worked example (companion.data.worked_example)",
        "0.6": "input of the worked example (companion.data.worked_example)",
        "0.9": "input of the worked example (companion.data.worked_example)",
        "0.1": "input of the worked example (companion.data.worked_example)",
        "0.2": "input of the worked example (companion.data.worked_example)",
        "0.7": "input of the worked example (companion.data.worked_example)",
        "0.05": "input of the worked example (companion.data.worked_example)",
        "0.4": "input of the worked example (companion.data.worked_example); also Exercise 4's given w5 = -0.4",
        "0.044715": "constant of Hendrycks & Gimpel's tanh approximation of GELU (a fact of the formula)",
    },
    "03_losses_and_optimizers": {
        "0.9": "an input: the example probability p = 0.9 whose cost is glued; and Adam's default beta1",
        "0.01": "an input: the example probability p = 0.01 whose cost is glued",
        "0.99": "a constant: torch.optim.RMSprop's default alpha",
        "0.999": "a constant: torch.optim.Adam's default beta2",
    },
    "04_backpropagation": {
        "0.5": "an input: the worked example's given w6, and the point x = 0.5 of the float32/float64 demo",
        "0.7": "an input: the worked example's given w5",
        "0.25": "a fact: the sigmoid's largest slope, sigma'(0) = 1/4",
    },
    "05_training_and_evaluation": {
        "0.5": "the default decision threshold, an input of the classifier's rule",
        "0.95": "the target recall chosen for the threshold example, an input",
    },
    "06_overfitting_and_regularization": {
        "0.5": "the dropout rate p of the final experiment's dropout variant, an input",
    },
    "07_mlp": {
        "0.003": "the width-and-depth sweep's fixed learning rate, an input set in the code cell",
    },
    "08_cnn": {
    },
    "08b_modern_cnn": {
        "98%": "the chapter's goal for LeNet's test accuracy, set by the issue (reached on the next page)",
        "0.003": "an input: the depth experiment's Adam learning rate, set in the code cell",
    },
    "08c_augmentation": {
        "98%": "the chapter's goal for LeNet's test accuracy, set by the issue; the hidden cell asserts it",
        "0.02": "an input: the LeNet runs' Adam learning rate, set in the code cell",
        "11.3": "a fact: ResNet-152's 11.3 billion FLOPs (multiply-adds), as He et al. (2016) report",
        "15.3": "a fact: VGG-16's 15.3 billion FLOPs, as He et al. (2016) report",
    },
    "09_rnn": {
        "0.5": "an input: a sampling temperature, set in the code cell",
        "1.5": "an input: a sampling temperature, set in the code cell",
        "0.9": "an input: the threshold above which the chapter counts a forget gate as open, set in the code cell",
    },
    "09b_sequence_models": {
    },
    "10_attention": {
        "0.05": "an input: a kernel width of the Nadaraya-Watson fits, set in the code cell",
        "0.3": "an input: a kernel width of the Nadaraya-Watson fits, set in the code cell",
    },
    "10b_transformers": {
        "175.0": "a fact: GPT-3's 175.0 billion parameters as Brown et al. (2020) report them (their table 2.1)",
        "3.14": "a fact: GPT-3's training compute, 3.14e+23 FLOPs, as Brown et al. (2020) report it (their table D.1)",
    },
    "11_gnn": {
        "0.2": "a fact: the slope of GAT's LeakyReLU for negative scores (Velickovic et al. 2018; PyG's default)",
    },
    "13_scaling_out": {
        "1.2": "a fact: Megatron-LM's model of 1.2 billion parameters (Shoeybi et al. 2019, Table 1), an input",
        "7.5": "a fact: ZeRO's example model of 7.5 billion parameters (Rajbhandari et al. 2020, Figure 1), an input",
    },
    "13b_deployment": {
        "70%": "an input: the training share of train_digits_model's 70/15/15 split",
        "2.6": "a fact: the PyTorch release that made weights_only=True torch.load's default (its error message says so)",
        "0.1": "a fact: the PSI rule of thumb's 'stable' bound (credit scoring; Yurdakul 2018)",
        "0.25": "a fact: the PSI rule of thumb's 'major shift' bound (credit scoring; Yurdakul 2018)",
        "0.2": "an input: the DriftMonitor's PSI threshold, set in the code cell",
        "0.05": "an input: the monitor's alpha and the noise shift's standard deviation, set in the code cells",
        "0.02": "a fact: the bound tests/test_monitoring.py holds asymptotic and exact KS p-values to",
        "2%": "an input: the stream's first brightness step (amount 0.02 in the code cell)",
        "5%": "an input: a brightness shift of the rate table (amount 0.05)",
        "10%": "an input: the brightness shift of the PSI cell and the rate table (amount 0.1)",
        "20%": "an input: the brightness shift of the accuracy table (amount 0.2)",
    },
    "12_frameworks": {
        "1.9": "a fact: the PyTorch version (2021) whose DataLoader workers began seeding NumPy themselves",
        "2.6": "a fact: the PyTorch version whose torch.load made weights_only=True the default",
        "0.1": "an input: the number the precision panel starts from",
        "0.5": "an input: the learning rate in the side-by-side PyTorch / Keras code listing",
    },
    "12b_transfer_learning": {
        "2.6": "a fact: ULMFiT's factor between neighbouring layers' learning rates (Howard & Ruder 2018, sec. 3.2)",
    },
    "14_responsible_ai": {
        "0.5": "the default decision threshold, an input of the classifier's rule (and the panel's starting value)",
        "5%": "a fact: Sundararajan et al. (2017), section 5: 20 to 300 steps approximate the integral within 5%",
    },
    "14b_energy": {
        "70%": "an input: the training share of the digits run (int(0.7 * len(X)) in the code cell)",
    },
    "15_conclusion": {
    },
    "15b_roadmap_mlp_mnist": {
        "1.6%": "a fact: Simard et al. (2003), Table 1: an MLP with 800 hidden units, no distortions, MNIST test error",
        "98%": "a fact: the accuracy that 1.6% test error means, rounded (Simard et al. 2003)",
    },
    "15c_roadmap_cnn_cifar10": {
    },
    "15d_roadmap_lstm_imdb": {
        "88%": "a fact: Maas et al. (2011), Table 2: bag-of-words features (bnc) alone, 87.80% on the IMDB test set",
        "89%": "a fact: Maas et al. (2011), Table 2: their best model, 88.89% on the IMDB test set",
    },
}


def typed_numbers(source):
    """The decimals and percentages in a markdown cell's prose, roles and code removed."""
    for pattern in NOT_PROSE:
        source = pattern.sub(" ", source)
    return [m.group() for m in NUMBER.finditer(source)]


def notebooks():
    return sorted(BOOK.glob("*.ipynb"))


@pytest.mark.parametrize("path", notebooks(), ids=lambda p: p.stem)
def test_prose_quotes_no_hand_typed_number(path):
    allowed = ALLOWED.get(path.stem, {})
    cells = json.loads(path.read_text())["cells"]
    found = [(i, number) for i, cell in enumerate(cells) if cell["cell_type"] == "markdown"
             for number in typed_numbers("".join(cell["source"])) if number not in allowed]
    assert not found, (f"{path.name}: numbers typed by hand in the prose (cell index, number): {found}. "
                       "Glue each from the cell that computes it, or, for a constant or a fact, add it to "
                       "this chapter's block of ALLOWED with the reason.")


def test_the_scan_catches_numbers_and_spares_glue_and_code():
    text = "costs {glue:text}`x:.3f` (`lr=0.5`), see {cite}`a2020`; about 0.25% and 4.6 here, 12 %, v2"
    assert typed_numbers(text) == ["0.25%", "4.6", "12 %"]


def test_every_allowed_chapter_exists():
    assert set(ALLOWED) <= {p.stem for p in notebooks()}
