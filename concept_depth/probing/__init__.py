"""Per-layer probes: estimator, protocols (paper split, k-fold), metrics and the layer loop."""

from .estimators import PROBE_NAMES, LayerProbe, make_classifier
from .layers import default_n_jobs, probe_layers, warning_notes
from .mass_mean import MassMeanProbe
from .reading import ReadingVectorProbe
from .metrics import binary_scores, majority_rate, mean_std
from .protocols import LayerEval, check_labels, control_labels, evaluate_layer
from .split import paper_split

__all__ = [
    "PROBE_NAMES", "LayerProbe", "MassMeanProbe", "ReadingVectorProbe", "make_classifier", "paper_split", "default_n_jobs", "probe_layers", "warning_notes",
    "binary_scores", "majority_rate", "mean_std", "LayerEval", "check_labels", "control_labels",
    "evaluate_layer",
]
