"""The analyses, each declared once over one protocol (:mod:`.protocol`), and their registry.

- :mod:`.probe` (``run``): the paper's per-layer probe and concept-depth metrics;
- :mod:`.expression` (``expression``): what the probe reads against what the model answers;
- :mod:`.transfer`: train a probe at layer l on dataset A, test it on dataset B (every pair, every layer);
- :mod:`.directions`: cosine between probe directions across layers, bit widths and noise;
- :mod:`.steering` (``steer``): push the residual stream along the probe direction and measure the answer.

:data:`ANALYSES` lists them; :func:`analysis_for` finds a spec's declaration and :func:`compute` runs any
spec (cached by its key). Component curves (attention / MLP outputs) are ordinary probe runs with
``hook="attn_out"`` or ``"mlp_out"``. Every analysis runs the model only through the capture core.
"""

from typing import Any

from ..core.errors import BadInputError
from ..core.specs import Spec
from ..results.base import Result
from ..storage.store import Store
from .directions import (
    DIRECTIONS,
    DIRECTIONS_KIND,
    DIRECTIONS_SCHEMA,
    DirectionsResult,
    DirectionsSpec,
    list_directions_results,
    run_directions,
    setting_label,
)
from .expression import EXPRESSION, ExpressionResult, ExpressionSpec, run_expression
from .probe import PROBE, run_probe
from .protocol import Analysis, Session, model_specs, run_analysis
from .steering import (
    DEFAULT_ALPHAS,
    STEER_KIND,
    STEER_SCHEMA,
    STEERING,
    SteeringResult,
    SteerSpec,
    list_steering_results,
    run_steer,
)
from .transfer import (
    TRANSFER,
    TRANSFER_KIND,
    TRANSFER_SCHEMA,
    TransferResult,
    TransferSpec,
    list_transfer_results,
    run_transfer,
)

#: Every analysis, in the order the command line lists them.
ANALYSES: tuple[Analysis, ...] = (PROBE, EXPRESSION, TRANSFER, DIRECTIONS, STEERING)


def analysis_for(item: Any) -> Analysis:
    """The declaration of a spec or result (by type), or of a kind / command name."""
    for analysis in ANALYSES:
        if item in (analysis.kind, analysis.command) or isinstance(item, (analysis.spec, analysis.result)):
            return analysis
    raise BadInputError(f"no analysis for {item!r}; analyses: {', '.join(a.command for a in ANALYSES)}")


def compute(spec: Spec, **run_options: Any) -> Result:
    """The result of any analysis spec (from the cache when it is there); ``run_options`` as ``Session``'s
    fields (``store``, ``model_loader``, ``batch_size``, ``device``, ``progress``, ``n_jobs``, ``data_dir``)
    and ``origin``."""
    return run_analysis(analysis_for(spec), spec, **run_options)


def stored(store: Store, kind: str) -> list[Result]:
    """Every stored result of an analysis kind (or command name), newest first."""
    return analysis_for(kind).list(store)


__all__ = [
    "ANALYSES", "Analysis", "Session", "analysis_for", "compute", "stored", "model_specs", "run_analysis",
    "PROBE", "EXPRESSION", "TRANSFER", "DIRECTIONS", "STEERING", "run_probe", "run_expression", "run_transfer",
    "run_directions", "run_steer", "ExpressionSpec", "ExpressionResult", "TransferSpec", "TransferResult",
    "DirectionsSpec", "DirectionsResult", "SteerSpec", "SteeringResult", "DEFAULT_ALPHAS", "DIRECTIONS_KIND",
    "DIRECTIONS_SCHEMA", "STEER_KIND", "STEER_SCHEMA", "TRANSFER_KIND", "TRANSFER_SCHEMA", "list_directions_results",
    "list_steering_results", "list_transfer_results", "setting_label",
]
