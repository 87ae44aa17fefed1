"""Figures: network diagrams, activation plots, and animations for readers of the static HTML."""

from companion.viz.activations import plot_activations
from companion.viz.compgraph import draw_computational_graph
from companion.viz.conclusion import plot_book_map
from companion.viz.diagram import draw_network
from companion.viz.energy import plot_log_bars
from companion.viz.fairness import plot_group_rates
from companion.viz.neuron import draw_neuron
from companion.viz.propagation import plot_layer_gradient_norms, plot_propagation
from companion.viz.roadmap import plot_curves, plot_images, plot_misclassified
