"""Concept-depth metrics of a layer-accuracy curve.

Definitions (``DepthSpec`` holds the parameters; :func:`definition` writes them down
and is stored with every result):

- chance: majority-class rate of the evaluation samples (the test split under the
  paper protocol, all samples out-of-fold under cross-validation); for multiple choice the mean
  of 1/k over the evaluation questions (k = that question's number of options).
- peak layer / peak accuracy: the layer with the highest accuracy (first one on ties).
- acquired: the peak is significantly above chance (one-sided exact binomial test of
  round(peak accuracy x n_eval) successes in n_eval trials against p = chance,
  p-value < alpha) and, when a control curve exists, the peak accuracy is above the
  control accuracy of the same layer. With a chance per unit (multiple-choice questions with
  different k) the test is the exact Poisson-binomial tail: successes are a sum of independent
  Bernoulli(1/k_q), one per question. Otherwise every layer field is None (rule ``chance``).
- jumping point, rule ``chance`` (default): the first layer with (acc - chance) >= f x (peak - chance),
  f = jump_fraction.
- jumping point, rule ``paper``: the first layer with acc >= f x peak, no chance offset (the 80 %-of-
  the-maximum reading of arXiv 2404.07066, f = 0.8 by default). Under this rule the layer fields are
  given for every curve, acquired or not (the paper reports them without a test); ``acquired`` and
  ``p_value`` still say whether the peak beats chance.
- converging point (both rules): the first layer with acc >= peak - eps, eps = converge_eps.
- relative depth: layer / n_layers (n_layers = number of transformer blocks).
- below chance (:func:`below_chance`): layers whose accuracy is significantly *below* chance (one-sided exact
  binomial test of the lower tail, Bonferroni over the layers tested). A probe that is reliably wrong on held-out
  samples has found the concept and reads it backwards: a finding, most often of a split that separates paired
  items (counterfact's true and false version of one fact on opposite sides), not "not acquired".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Sequence

import numpy as np
from scipy.stats import binom, binomtest

from ..core.errors import BadInputError
from ..core.specs import DepthSpec


@dataclass(frozen=True)
class DepthMetrics:
    """Concept-depth metrics. Under the default ``chance`` rule the layer fields are None when the concept is
    not acquired; the ``paper`` rule reports them for every curve (``acquired`` still says whether it is)."""

    jumping_point: int | None
    converging_point: int | None
    peak_layer: int | None
    peak_accuracy: float
    chance: float
    acquired: bool
    p_value: float | None = None
    n_layers: int = 0
    definition: dict[str, Any] = field(default_factory=dict)

    def relative(self, layer: int | None) -> float | None:
        return None if layer is None or not self.n_layers else layer / self.n_layers


def definition(spec: DepthSpec, *, per_question: bool = False) -> dict[str, Any]:
    """The metric definitions with their parameters, as stored in each result.

    per_question : the evaluation units are multiple-choice questions (chance 1/k each).
    """
    f, eps, alpha = spec.jump_fraction, spec.converge_eps, spec.alpha
    paper = spec.rule == "paper"
    test = ("one-sided exact Poisson-binomial test on the evaluation questions (chance 1/k each)" if per_question
            else "one-sided exact binomial test on the evaluation samples")
    out = {
        "chance": ("mean of 1/k over the evaluation questions (k options each; test split, all questions "
                   "out-of-fold under cv)" if per_question else
                   "majority-class rate of the evaluation samples (test split; all samples out-of-fold under cv)"),
        "peak": "layer with the highest probe accuracy (earliest on ties)",
        "jumping_point": (f"first layer with acc >= {f:g} * peak_acc (rule 'paper', arXiv 2404.07066: no chance "
                          "offset)" if paper else f"first layer with (acc - chance) >= {f:g} * (peak_acc - chance)"),
        "converging_point": f"first layer with acc >= peak_acc - {eps:g}",
        "acquired": (f"peak accuracy significantly above chance ({test}, p < {alpha:g}) and above the control "
                     "(shuffled-label) accuracy at the peak layer; "
                     + ("layer fields are given either way (rule 'paper')" if paper
                        else "otherwise layer fields are null")),
        "relative_depth": "layer / n_layers",
        "jump_fraction": f,
        "converge_eps": eps,
        "alpha": alpha,
    }
    if paper:
        out["rule"] = "paper"  # the default rule's definition stays exactly as it was before rules existed
    return out


def binomial_p_value(accuracy: float, n_eval: int, chance: float,
                     unit_chance: Sequence[float] | np.ndarray | None = None) -> float:
    """One-sided p-value that ``accuracy`` on ``n_eval`` units beats chance.

    Successes = round(accuracy x n_eval). Without ``unit_chance``: exact binomial test against
    p = ``chance``. With ``unit_chance`` [n_eval] (each unit's own chance, 1/k of a question): the exact
    upper tail of the Poisson-binomial distribution of a sum of independent Bernoulli(unit_chance[i]),
    which is the binomial test again when all are equal.
    """
    if n_eval <= 0 or not np.isfinite(accuracy):
        return 1.0
    k = int(round(accuracy * n_eval))
    k = min(max(k, 0), n_eval)
    if unit_chance is None:
        p = min(max(float(chance), 0.0), 1.0)
        return _binomial_greater(k, int(n_eval), p)
    probs = np.clip(np.asarray(unit_chance, dtype=np.float64), 0.0, 1.0)
    if probs.shape != (int(n_eval),):
        raise BadInputError(f"the binomial test needs one chance per evaluation unit: {probs.size} for {n_eval}")
    return poisson_binomial_greater(k, probs)


@lru_cache(maxsize=4096)
def _binomial_greater(k: int, n: int, p: float) -> float:
    # cached: a bootstrap recomputes depth metrics thousands of times on a few distinct (k, n, p)
    return float(binomtest(k, n, p, alternative="greater").pvalue)


def poisson_binomial_greater(k: int, probs: np.ndarray) -> float:
    """P(S >= k) for S a sum of independent Bernoulli(probs[i]), exactly.

    The units share few distinct chances (1/k for k = 2..10), so S is a sum of a few binomials, one
    per distinct chance: their probability mass functions are convolved (about n^2 / 2 operations at
    most). One distinct chance is scipy's exact binomial test itself.
    """
    values, counts = np.unique(np.asarray(probs, dtype=np.float64), return_counts=True)
    return _poisson_binomial_greater(int(k), tuple(zip(values.tolist(), counts.tolist())))


@lru_cache(maxsize=4096)
def _poisson_binomial_greater(k: int, parts: tuple[tuple[float, int], ...]) -> float:
    if len(parts) == 1:
        p, n = parts[0]
        return _binomial_greater(k, int(n), float(p))
    pmf = np.ones(1)
    for p, n in parts:
        pmf = np.convolve(pmf, binom.pmf(np.arange(n + 1), n, p))
    return float(min(1.0, max(0.0, pmf[k:].sum())))


def depth_metrics(layers: Sequence[int], accuracy: Sequence[float], *, chance: float, n_eval: int,
                  n_layers: int, control: Sequence[float | None] | None = None,
                  spec: DepthSpec | None = None,
                  unit_chance: Sequence[float] | np.ndarray | None = None) -> DepthMetrics:
    """Concept-depth metrics of one curve.

    Parameters
    ----------
    layers : [K] layer numbers, ascending.
    accuracy : [K] probe accuracy per layer.
    chance : chance accuracy of the evaluation units: majority-class rate of the evaluation samples,
        or (multiple choice) the mean 1/k of the evaluation questions.
    n_eval : number of evaluation units (samples, or questions), for the significance test.
    n_layers : model depth, for relative depth.
    control : [K] control accuracy per layer (entries may be None), or None.
    spec : metric parameters and rule (default ``DepthSpec()``).
    unit_chance : [n_eval] chance of each evaluation unit (1/k per question; ``LayerEval.eval_chances``),
        or None: the test is then the binomial test against ``chance``.
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
    p_value = binomial_p_value(peak, n_eval, chance, unit_chance)
    acquired = p_value < spec.alpha and peak > chance
    if control is not None and control[best] is not None:
        acquired = acquired and peak > float(control[best])
    defn = definition(spec, per_question=unit_chance is not None)
    if not acquired and spec.rule == "chance":
        return DepthMetrics(jumping_point=None, converging_point=None, peak_layer=None, peak_accuracy=peak,
                            chance=float(chance), acquired=False, p_value=p_value, n_layers=int(n_layers),
                            definition=defn)
    # Small tolerance so a layer exactly on the threshold counts despite float rounding.
    tol = 1e-12
    if spec.rule == "paper":
        jump = next(l for l, a in zip(layers, acc) if a >= spec.jump_fraction * peak - tol)
    else:
        gain = acc - chance
        jump = next(l for l, g in zip(layers, gain) if g >= spec.jump_fraction * (peak - chance) - tol)
    conv = next(l for l, a in zip(layers, acc) if a >= peak - spec.converge_eps - tol)
    return DepthMetrics(jumping_point=jump, converging_point=conv, peak_layer=layers[best], peak_accuracy=peak,
                        chance=float(chance), acquired=bool(acquired), p_value=p_value, n_layers=int(n_layers),
                        definition=defn)


def relative_depths(metrics: DepthMetrics) -> dict[str, float | None]:
    """Relative depth (layer / n_layers) of jumping, converging and peak layers."""
    return {name: metrics.relative(getattr(metrics, name))
            for name in ("jumping_point", "converging_point", "peak_layer")}


@dataclass(frozen=True)
class BelowChance:
    """Layers whose held-out accuracy is below chance beyond the binomial test (:func:`below_chance`).

    layers : the layers below chance after the Bonferroni correction, ascending.
    lowest_layer, lowest_accuracy : the layer with the lowest accuracy, and that accuracy.
    p_value : the lowest layer's one-sided lower-tail p-value, Bonferroni-adjusted over the layers tested.
    chance, n_eval : what the test compared with, on how many evaluation units.
    """

    layers: tuple[int, ...]
    lowest_layer: int
    lowest_accuracy: float
    p_value: float
    chance: float
    n_eval: int

    def message(self, grouped: bool = False) -> str:
        """One sentence naming the finding and its likely cause (``grouped``: the split already kept groups)."""
        p = "< 1e-300" if self.p_value == 0 else f"{self.p_value:.2g}"
        head = (f"accuracy is below chance beyond the binomial test at {len(self.layers)} layer"
                f"{'s' if len(self.layers) != 1 else ''} (lowest {self.lowest_accuracy:.3f} at layer "
                f"{self.lowest_layer} against chance {self.chance:.3f}, Bonferroni-adjusted p = {p}): the probe "
                "reads the concept backwards on the held-out samples, a finding, not only 'not acquired'")
        if grouped:
            return head + "; the split kept each group together, so look for labels that flip between the splits"
        return (head + "; likely cause: a split that separates paired items (the true and the false version of "
                "one fact on opposite sides), which grouped splits prevent (--group-col)")


def below_chance_p_value(accuracy: float, n_eval: int, chance: float) -> float:
    """One-sided p-value that ``accuracy`` on ``n_eval`` units is below ``chance``: P(X <= round(accuracy x
    n_eval)) for X ~ Binomial(n_eval, chance)."""
    if n_eval <= 0 or not np.isfinite(accuracy):
        return 1.0
    k = min(max(int(round(accuracy * n_eval)), 0), int(n_eval))
    return float(binom.cdf(k, int(n_eval), min(max(float(chance), 0.0), 1.0)))


def below_chance(layers: Sequence[int], accuracy: Sequence[float | None], *, chance: float, n_eval: int,
                 alpha: float = 0.05) -> BelowChance | None:
    """The layers whose accuracy is significantly below ``chance``, or None when there are none.

    Parameters
    ----------
    layers : [K] layer numbers.
    accuracy : [K] held-out accuracy per layer (None where not measured).
    chance : chance accuracy of the evaluation units (majority-class rate; mean 1/k for multiple choice).
    n_eval : number of evaluation units each accuracy was measured on.
    alpha : level of the test after the Bonferroni correction over the K layers measured.
    """
    measured = [(int(l), float(a)) for l, a in zip(layers, accuracy) if a is not None and np.isfinite(a)]
    if not measured or n_eval <= 0:
        return None
    adjusted = {l: min(1.0, below_chance_p_value(a, n_eval, chance) * len(measured)) for l, a in measured}
    below = tuple(l for l, a in measured if a < chance and adjusted[l] < alpha)
    if not below:
        return None
    lowest, acc = min(measured, key=lambda la: la[1])
    return BelowChance(layers=below, lowest_layer=lowest, lowest_accuracy=acc, p_value=adjusted[lowest],
                       chance=float(chance), n_eval=int(n_eval))
