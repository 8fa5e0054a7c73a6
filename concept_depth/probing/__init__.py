"""Per-layer probes: estimators (logistic, forest, mass-mean, reading vector), protocols (paper split,
k-fold; by sample, by group, or per multiple-choice question), metrics and the layer loop."""

from .choice import Questions, question_control_labels, questions_of
from .estimators import PROBE_NAMES, LayerProbe, make_classifier
from .layers import default_n_jobs, probe_layers, warning_notes
from .mass_mean import MassMeanProbe
from .metrics import binary_scores, majority_rate, mean_std
from .protocols import LayerEval, check_labels, control_labels, evaluate_layer
from .reading import ReadingVectorProbe
from .split import group_folds, paper_split

__all__ = [
    "PROBE_NAMES", "LayerProbe", "MassMeanProbe", "ReadingVectorProbe", "make_classifier", "paper_split",
    "group_folds", "default_n_jobs", "probe_layers", "warning_notes", "binary_scores", "majority_rate", "mean_std",
    "LayerEval", "check_labels", "control_labels", "evaluate_layer", "Questions", "questions_of",
    "question_control_labels",
]
