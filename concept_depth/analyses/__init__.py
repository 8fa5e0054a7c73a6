"""Beyond the paper: where the concept lives, whether it transfers, whether the model uses it.

- :mod:`.transfer`: train a probe at layer l on dataset A, test it on dataset B (every pair, every layer);
- :mod:`.directions`: cosine between probe directions across layers, bit widths and noise;
- :mod:`.steering`: push the residual stream along the probe direction and measure the answer.

Component curves (attention / MLP outputs) are ordinary probe runs with ``hook="attn_out"`` or
``"mlp_out"``. Every analysis is cached in the store by its spec (``Store.memoize``) and runs the
model only through the capture core.
"""

from .directions import (
    DIRECTIONS_KIND,
    DIRECTIONS_SCHEMA,
    DirectionsResult,
    DirectionsSpec,
    list_directions_results,
    run_directions,
    setting_label,
)
from .result import AnalysisResult
from .steering import (
    DEFAULT_ALPHAS,
    STEER_KIND,
    STEER_SCHEMA,
    SteeringResult,
    SteerSpec,
    list_steering_results,
    run_steer,
)
from .transfer import TRANSFER_KIND, TRANSFER_SCHEMA, TransferResult, TransferSpec, list_transfer_results, run_transfer

__all__ = [
    "AnalysisResult", "DEFAULT_ALPHAS", "DIRECTIONS_KIND", "DIRECTIONS_SCHEMA", "DirectionsResult", "DirectionsSpec",
    "STEER_KIND", "STEER_SCHEMA", "SteeringResult", "SteerSpec", "TRANSFER_KIND", "TRANSFER_SCHEMA", "TransferResult",
    "TransferSpec", "list_directions_results", "list_steering_results", "list_transfer_results", "run_directions",
    "run_steer", "run_transfer", "setting_label",
]
