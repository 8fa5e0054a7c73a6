"""Paired differences between two runs scored on the same evaluation samples, with their uncertainty.

Two runs of one model and dataset at two bit widths (or noise settings) that used the same
samples, split and folds score the same evaluation samples, so their difference is best
judged sample by sample:

- per layer, the difference in accuracy (B − A), McNemar's test on the discordant samples
  (exact binomial, mid-p by default) and a paired bootstrap percentile interval; a layer is
  *beyond noise* when its Holm-adjusted p-value (over the layers compared) is below alpha;
- the shift of the depth metrics (jumping point, converging point, peak layer of B minus A)
  with a paired bootstrap interval: the same resampled evaluation samples for both runs,
  each run's depth metrics recomputed from its resampled per-layer accuracies
  (:func:`concept_depth.depth.depth_metrics`; the control accuracies are kept as measured).

Everything here is a pure function of :class:`~concept_depth.outcomes.EvalOutcomes`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Sequence

import numpy as np
from scipy.stats import binom

from ..core.errors import BadInputError
from ..core.specs import DepthSpec
from .depth import depth_metrics
from .outcomes import EvalOutcomes

DEPTH_FIELDS = ("jumping_point", "converging_point", "peak_layer")
#: Probe settings that must agree for two runs to have scored the same samples the same way.
PROTOCOL_FIELDS = ("protocol", "seed", "test_size", "folds")


def mcnemar_p(b: int, c: int, *, mid_p: bool = True) -> float:
    """Two-sided McNemar test from the discordant counts ``b`` (only B right) and ``c`` (only A right).

    Exact: ``min(1, 2·P(X ≤ min(b, c)))`` with X ~ Binomial(b + c, 1/2). The mid-p version
    subtracts ``P(X = min(b, c))`` (Fagerland, Lydersen & Laake 2013: closer to the nominal level,
    still safe). No discordant samples: p = 1.
    """

    b, c = int(b), int(c)
    if b < 0 or c < 0:
        raise ValueError("counts must be >= 0")
    n, k = b + c, min(b, c)
    if n == 0:
        return 1.0
    p = min(1.0, 2.0 * float(binom.cdf(k, n, 0.5)))
    if mid_p:
        p = p - float(binom.pmf(k, n, 0.5))
    return float(min(1.0, max(0.0, p)))


def holm(p_values: Sequence[float]) -> list[float]:
    """Holm–Bonferroni adjusted p-values (step-down, monotone, capped at 1), in input order."""
    p = np.asarray(p_values, dtype=float)
    m = len(p)
    order = np.argsort(p, kind="stable")
    adjusted = np.empty(m)
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (m - rank) * p[i]))
        adjusted[i] = running
    return adjusted.tolist()


def bootstrap_weights(n: int, n_boot: int, seed: int = 0) -> np.ndarray:
    """[n_boot, n] float32: how often each of n samples is drawn in each resample (sums to n)."""
    rng = np.random.default_rng(seed)
    return rng.multinomial(n, np.full(n, 1.0 / n), size=n_boot).astype(np.float32)


def percentile_interval(values: np.ndarray, level: float) -> tuple[float, float]:
    lo, hi = np.percentile(values, [50 * (1 - level), 50 * (1 + level)])
    return float(lo), float(hi)


@dataclass(frozen=True)
class LayerDifference:
    """One layer of a paired comparison (B − A).

    difference : accuracy of B minus accuracy of A on the shared evaluation samples.
    low, high : paired bootstrap percentile interval of the difference.
    b_only, a_only : samples only B (only A) got right (McNemar's discordant counts).
    p_value : McNemar (mid-p or exact); p_adjusted : Holm over the layers compared.
    beyond_noise : p_adjusted < alpha.
    """

    layer: int
    difference: float
    low: float
    high: float
    b_only: int
    a_only: int
    p_value: float
    p_adjusted: float
    beyond_noise: bool


@dataclass(frozen=True)
class DepthShift:
    """Shift of one depth metric, B − A, in layers; None where either run has no such layer."""

    metric: str
    a: int | None
    b: int | None
    shift: int | None
    low: float | None
    high: float | None
    defined_share: float  # share of resamples where both runs had the metric (acquired)


@dataclass(frozen=True)
class PairedComparison:
    """Per-layer paired differences and depth shifts of run B against run A."""

    layers: tuple[LayerDifference, ...]
    shifts: tuple[DepthShift, ...]
    n_eval: int
    level: float
    alpha: float
    n_boot: int
    test: str
    seed: int = 0
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def method(self) -> str:
        """What the interval is, for legends and captions."""
        return f"{self.level:.0%} paired bootstrap interval ({self.n_boot} resamples of {self.n_eval} samples)"

    def intervals(self) -> dict[int, tuple[float, float]]:
        """{layer: (low, high)} for :func:`concept_depth.figures.difference.difference_curves`."""
        return {d.layer: (d.low, d.high) for d in self.layers}

    def beyond_noise_layers(self) -> list[int]:
        return [d.layer for d in self.layers if d.beyond_noise]

    def to_dict(self) -> dict[str, Any]:

        return {"n_eval": self.n_eval, "level": self.level, "alpha": self.alpha, "n_boot": self.n_boot,
                "test": self.test, "seed": self.seed, "notes": list(self.notes),
                "layers": [asdict(d) for d in self.layers], "shifts": [asdict(s) for s in self.shifts]}


def same_evaluation_samples(a: EvalOutcomes, b: EvalOutcomes) -> str | None:
    """Why ``a`` and ``b`` did not score the same evaluation samples (None when they did)."""
    if a.n_samples != b.n_samples:
        return f"the runs hold {a.n_samples} and {b.n_samples} samples"
    if not np.array_equal(a.is_eval, b.is_eval):
        return "the runs evaluated different samples (another split or seed)"
    if not np.array_equal(a.labels, b.labels):
        return "the evaluation samples carry different labels (other samples or another order)"
    return None


def _probe_setting(run: Any, name: str) -> Any:
    probe = (getattr(run, "extra", None) or {}).get("probe_spec") or {}
    if name in probe:
        value = probe[name]
    else:
        value = (getattr(run, "spec", None) or {}).get(name)
    if name == "folds" and (probe.get("protocol") or run.spec.get("protocol")) != "cv":
        return None  # folds mean nothing under the paper split
    return value


def pairing_problem(run_a: Any, run_b: Any, out_a: EvalOutcomes | None, out_b: EvalOutcomes | None) -> str | None:
    """Why runs A and B cannot be compared paired (None when they can)."""
    for name, out in (("A", out_a), ("B", out_b)):
        if out is None:
            run = run_a if name == "A" else run_b
            return (f"{run.label} has no per-sample outcomes (made before they were stored, or imported without "
                    "them) and its layer vectors are not cached to refit them")
    for f in ("dataset", "limit", "variant"):
        if run_a.spec.get(f) != run_b.spec.get(f):
            return f"the runs differ in {f} ({run_a.spec.get(f)!r} vs {run_b.spec.get(f)!r})"
    for f in PROTOCOL_FIELDS:
        if _probe_setting(run_a, f) != _probe_setting(run_b, f):
            return f"the runs differ in probe {f} ({_probe_setting(run_a, f)!r} vs {_probe_setting(run_b, f)!r})"
    return same_evaluation_samples(out_a, out_b)


def _depth_spec(run: Any) -> DepthSpec:
    d = (getattr(run, "extra", None) or {}).get("depth_spec") or {}
    try:
        return DepthSpec(**{k: d[k] for k in ("jump_fraction", "converge_eps", "alpha", "rule") if k in d})
    except (BadInputError, TypeError):
        return DepthSpec()


def resampled_chance(outcomes: EvalOutcomes, w: np.ndarray) -> np.ndarray:
    """[n_boot] chance of each resample of the evaluation units: the mean 1/k of its questions (multiple
    choice), else the majority rate of its labels."""
    n = outcomes.n_eval
    if outcomes.unit_chance is not None:
        return w @ outcomes.unit_chance / n
    share1 = w @ outcomes.labels.astype(np.float32) / n
    return np.maximum(share1, 1 - share1)


def _resampled_depth(run: Any, layers: list[int], acc: np.ndarray, chance: np.ndarray, n_eval: int) -> np.ndarray:
    """[n_boot, 3] jumping, converging and peak layer per resample (NaN where not acquired)."""

    spec = _depth_spec(run)
    control_by_layer = {s.layer: s.control_accuracy for s in run.layers}
    control = [control_by_layer.get(l) for l in layers]
    if all(c is None for c in control):
        control = None
    out = np.full((acc.shape[0], 3), np.nan)
    for i in range(acc.shape[0]):
        m = depth_metrics(layers, acc[i], chance=float(chance[i]), n_eval=n_eval, n_layers=run.n_layers,
                          control=control, spec=spec)
        out[i] = [np.nan if getattr(m, f) is None else getattr(m, f) for f in DEPTH_FIELDS]
    return out


def paired_comparison(run_a: Any, run_b: Any, out_a: EvalOutcomes, out_b: EvalOutcomes, *,
                      level: float = 0.95, alpha: float = 0.05, n_boot: int = 2000, seed: int = 0,
                      mid_p: bool = True, shifts: bool = True) -> PairedComparison:
    """Run B against run A (B − A), paired over their shared evaluation samples.

    Parameters
    ----------
    run_a, run_b : RunResults (their depth metrics and settings).
    out_a, out_b : their outcomes on the same evaluation samples (:func:`pairing_problem` is None).
    level : interval coverage; alpha : level of "beyond noise" after Holm's adjustment.
    n_boot, seed : bootstrap resamples and their seed (deterministic).
    mid_p : McNemar mid-p (default) or exact p.
    shifts : also bootstrap the depth metrics' shifts (recomputes them per resample).
    """
    problem = same_evaluation_samples(out_a, out_b)
    if problem:
        raise BadInputError(f"cannot pair these runs: {problem}")
    layers = [l for l in out_a.layers if l in out_b.correct]
    if not layers:
        raise BadInputError("cannot pair these runs: they share no layer")
    n = out_a.n_eval
    ca, cb = out_a.matrix(layers), out_b.matrix(layers)  # [n, K]
    b_only = ((cb > 0) & (ca == 0)).sum(axis=0)
    a_only = ((ca > 0) & (cb == 0)).sum(axis=0)
    diff = (b_only - a_only) / n
    p = [mcnemar_p(b, c, mid_p=mid_p) for b, c in zip(b_only, a_only)]
    p_adj = holm(p)
    w = bootstrap_weights(n, n_boot, seed)  # the same resamples for both runs: paired
    acc_a, acc_b = w @ ca / n, w @ cb / n  # [n_boot, K]
    d_boot = acc_b - acc_a
    rows = []
    for j, layer in enumerate(layers):
        lo, hi = percentile_interval(d_boot[:, j], level)
        rows.append(LayerDifference(layer=int(layer), difference=float(diff[j]), low=lo, high=hi,
                                    b_only=int(b_only[j]), a_only=int(a_only[j]), p_value=p[j],
                                    p_adjusted=p_adj[j], beyond_noise=p_adj[j] < alpha))
    shift_rows: list[DepthShift] = []
    notes = []
    if shifts:
        chance = resampled_chance(out_a, w)
        da = _resampled_depth(run_a, layers, acc_a, chance, n)
        db = _resampled_depth(run_b, layers, acc_b, chance, n)
        for k, name in enumerate(DEPTH_FIELDS):
            a_val, b_val = getattr(run_a.depth, name), getattr(run_b.depth, name)
            both = ~np.isnan(da[:, k]) & ~np.isnan(db[:, k])
            share = float(both.mean())
            lo = hi = None
            if a_val is not None and b_val is not None and both.sum() >= 20:
                lo, hi = percentile_interval(db[both, k] - da[both, k], level)
            shift_rows.append(DepthShift(metric=name, a=a_val, b=b_val,
                                         shift=None if a_val is None or b_val is None else int(b_val - a_val),
                                         low=lo, high=hi, defined_share=share))
        notes.append("depth shifts: each run's depth metrics recomputed on every resample of the evaluation "
                     "samples (control accuracies as measured)")
    return PairedComparison(layers=tuple(rows), shifts=tuple(shift_rows), n_eval=n, level=level, alpha=alpha,
                            n_boot=n_boot, test="McNemar mid-p" if mid_p else "McNemar exact", seed=seed,
                            notes=tuple(notes))


def depth_intervals(run: Any, outcomes: EvalOutcomes, *, level: float = 0.95, n_boot: int = 2000,
                    seed: int = 0) -> dict[str, tuple[float, float] | None]:
    """Bootstrap intervals of one run's own depth metrics over its evaluation samples.

    ``peak_accuracy``: the accuracy at the run's peak layer (resampled); ``jumping_point``,
    ``converging_point``, ``peak_layer``: recomputed per resample, percentile interval over the
    resamples where the concept is acquired (None when fewer than half are).
    """
    layers = outcomes.layers
    n = outcomes.n_eval
    w = bootstrap_weights(n, n_boot, seed)
    acc = w @ outcomes.matrix(layers) / n
    chance = resampled_chance(outcomes, w)
    out: dict[str, tuple[float, float] | None] = {}
    peak = run.depth.peak_layer if run.depth.peak_layer is not None else layers[int(np.argmax(
        [outcomes.accuracy(l) for l in layers]))]
    out["peak_accuracy"] = percentile_interval(acc[:, layers.index(peak)], level) if peak in layers else None
    depth = _resampled_depth(run, layers, acc, chance, n)
    for k, name in enumerate(DEPTH_FIELDS):
        ok = ~np.isnan(depth[:, k])
        out[name] = percentile_interval(depth[ok, k], level) if ok.mean() >= 0.5 else None
    return out
