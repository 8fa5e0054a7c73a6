"""Concept-depth metrics of a layer-accuracy curve.

Definitions (``DepthSpec`` holds the parameters; :func:`definition` writes them down
and is stored with every result):

- chance: majority-class rate of the evaluation samples (the test split under the
  paper protocol, all samples out-of-fold under cross-validation).
- peak layer / peak accuracy: the layer with the highest accuracy (first one on ties).
- acquired: the peak is significantly above chance (one-sided exact binomial test of
  round(peak accuracy x n_eval) successes in n_eval trials against p = chance,
  p-value < alpha) and, when a control curve exists, the peak accuracy is above the
  control accuracy of the same layer. Otherwise every layer field is None.
- jumping point: the first layer with (acc - chance) >= f x (peak - chance), f = jump_fraction.
- converging point: the first layer with acc >= peak - eps, eps = converge_eps.
- relative depth: layer / n_layers (n_layers = number of transformer blocks).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any, Sequence

import numpy as np
from scipy.stats import binomtest

from ..core.errors import BadInputError
from ..core.specs import DepthSpec
from ..results.run import DepthMetrics


def definition(spec: DepthSpec) -> dict[str, Any]:
    """The metric definitions with their parameters, as stored in each result."""
    f, eps, alpha = spec.jump_fraction, spec.converge_eps, spec.alpha
    return {
        "chance": "majority-class rate of the evaluation samples (test split; all samples out-of-fold under cv)",
        "peak": "layer with the highest probe accuracy (earliest on ties)",
        "jumping_point": f"first layer with (acc - chance) >= {f:g} * (peak_acc - chance)",
        "converging_point": f"first layer with acc >= peak_acc - {eps:g}",
        "acquired": (f"peak accuracy significantly above chance (one-sided exact binomial test on the "
                     f"evaluation samples, p < {alpha:g}) and above the control (shuffled-label) "
                     "accuracy at the peak layer; otherwise layer fields are null"),
        "relative_depth": "layer / n_layers",
        "jump_fraction": f,
        "converge_eps": eps,
        "alpha": alpha,
    }


def binomial_p_value(accuracy: float, n_eval: int, chance: float) -> float:
    """One-sided p-value that ``accuracy`` on ``n_eval`` samples beats ``chance``."""
    if n_eval <= 0 or not np.isfinite(accuracy):
        return 1.0
    k = int(round(accuracy * n_eval))
    k = min(max(k, 0), n_eval)
    p = min(max(float(chance), 0.0), 1.0)
    return _binomial_greater(k, int(n_eval), p)


@lru_cache(maxsize=4096)
def _binomial_greater(k: int, n: int, p: float) -> float:
    # cached: a bootstrap recomputes depth metrics thousands of times on a few distinct (k, n, p)
    return float(binomtest(k, n, p, alternative="greater").pvalue)


def depth_metrics(layers: Sequence[int], accuracy: Sequence[float], *, chance: float, n_eval: int,
                  n_layers: int, control: Sequence[float | None] | None = None,
                  spec: DepthSpec | None = None) -> DepthMetrics:
    """Concept-depth metrics of one curve.

    Parameters
    ----------
    layers : [K] layer numbers, ascending.
    accuracy : [K] probe accuracy per layer.
    chance : majority-class rate of the evaluation samples.
    n_eval : number of evaluation samples (for the binomial test).
    n_layers : model depth, for relative depth.
    control : [K] control accuracy per layer (entries may be None), or None.
    spec : metric parameters (default ``DepthSpec()``).
    """
    spec = spec or DepthSpec()
    if not 0 < spec.jump_fraction <= 1:
        raise BadInputError(f"jump fraction must be in (0, 1], got {spec.jump_fraction}")
    if spec.converge_eps < 0:
        raise BadInputError(f"converge epsilon must be >= 0, got {spec.converge_eps}")
    layers = [int(l) for l in layers]
    acc = np.asarray(accuracy, dtype=float)
    if len(layers) != len(acc) or not len(layers):
        raise BadInputError("depth metrics need one accuracy per layer and at least one layer")
    best = int(np.nanargmax(acc))  # first maximum: earliest layer on ties
    peak = float(acc[best])
    p_value = binomial_p_value(peak, n_eval, chance)
    acquired = p_value < spec.alpha and peak > chance
    if control is not None and control[best] is not None:
        acquired = acquired and peak > float(control[best])
    defn = definition(spec)
    if not acquired:
        return DepthMetrics(jumping_point=None, converging_point=None, peak_layer=None, peak_accuracy=peak,
                            chance=float(chance), acquired=False, p_value=p_value, n_layers=int(n_layers),
                            definition=defn)
    # Small tolerance so a layer exactly on the threshold counts despite float rounding.
    tol = 1e-12
    gain = acc - chance
    jump = next(l for l, g in zip(layers, gain) if g >= spec.jump_fraction * (peak - chance) - tol)
    conv = next(l for l, a in zip(layers, acc) if a >= peak - spec.converge_eps - tol)
    return DepthMetrics(jumping_point=jump, converging_point=conv, peak_layer=layers[best], peak_accuracy=peak,
                        chance=float(chance), acquired=True, p_value=p_value, n_layers=int(n_layers),
                        definition=defn)


def relative_depths(metrics: DepthMetrics) -> dict[str, float | None]:
    """Relative depth (layer / n_layers) of jumping, converging and peak layers."""
    return {name: metrics.relative(getattr(metrics, name))
            for name in ("jumping_point", "converging_point", "peak_layer")}
