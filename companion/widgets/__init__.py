"""ipywidgets panels (the only part of the package that imports ipywidgets).

Everything here runs under ipywidgets 7.7.1, which Google Colab ships, and under 8.x.
"""

from companion.widgets.attention_explorer import AttentionExplorer
from companion.widgets.depth_explorer import DepthExplorer
from companion.widgets.drift_explorer import DriftExplorer
from companion.widgets.energy_explorer import EnergyExplorer
from companion.widgets.fairness_explorer import FairnessExplorer
from companion.widgets.forecast_explorer import ForecastExplorer
from companion.widgets.forward_explorer import ForwardExplorer
from companion.widgets.gnn_explorer import GNNExplorer
from companion.widgets.gradient_flow import GradientFlowExplorer
from companion.widgets.kernel_explorer import KernelExplorer
from companion.widgets.optimizer_explorer import OptimizerExplorer
from companion.widgets.playground import Playground
from companion.widgets.probe_explorer import ProbeExplorer
from companion.widgets.precision_explorer import PrecisionExplorer
from companion.widgets.receptive_field_explorer import ReceptiveFieldExplorer
from companion.widgets.regularization_explorer import RegularizationExplorer
from companion.widgets.ring_explorer import RingExplorer
from companion.widgets.sampling_explorer import SamplingExplorer
