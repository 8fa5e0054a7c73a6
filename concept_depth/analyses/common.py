"""Pieces the analyses beyond the paper share: their probe options, quiet probe fits, unit vectors,
cache keys, and the number formatting of their reports."""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np
from threadpoolctl import threadpool_limits

from ..core.choices import LINEAR_PROBES, PLAIN_PROBES, PROBE_NAMES, SCHEMA_VERSION
from ..core.errors import BadInputError
from ..core.options import Option, OptionGroup
from ..core.specs import stable_hash
from ..probing import LayerProbe

#: Bump when an analysis here changes the numbers it produces (part of every key below).
ANALYSIS_VERSION = 1


def probe_options(default: str = "lr", *, linear: bool = False, what: str = "the probe") -> OptionGroup:
    """``--probe`` and ``--seed`` (of the paper protocol's 60/40 split) of an analysis."""
    choices = LINEAR_PROBES if linear else PLAIN_PROBES
    return OptionGroup("probe", (
        Option("probe", default, choices=choices, help=f"{what}: " + "; ".join(f"{p}: {PROBE_NAMES[p]}" for p in choices)),
        Option("seed", 42, kind=int, help="seed of the 60/40 split (probes fitted on the 60%)"),
    ))


def check_probe(probe: str, linear: bool = False) -> str:
    allowed = LINEAR_PROBES if linear else PLAIN_PROBES
    if probe not in allowed:
        why = (" (it reads grouped samples, which this analysis does not have)" if probe not in PLAIN_PROBES and
               probe in PROBE_NAMES else " (a direction needs a linear probe)" if linear and probe in PROBE_NAMES else "")
        raise BadInputError(f"unknown probe {probe!r}{why}; choose one of {', '.join(allowed)}")
    return probe


class ProbeFitter:
    """Fits :class:`~concept_depth.probing.LayerProbe` on unscaled features (the paper protocol's
    estimator settings), one BLAS thread, counting warnings instead of printing them."""

    def __init__(self, kind: str, seed: int = 42) -> None:
        self.kind = kind
        self.seed = seed
        self.warnings: dict[str, int] = {}

    def fit(self, X: np.ndarray, y: np.ndarray) -> LayerProbe:
        with warnings.catch_warnings(record=True) as caught, threadpool_limits(limits=1):
            warnings.simplefilter("always")
            probe = LayerProbe(kind=self.kind, scale=False, random_state=self.seed).fit(X, y)
        for w in caught:
            name = w.category.__name__
            self.warnings[name] = self.warnings.get(name, 0) + 1
        return probe

    def notes(self) -> list[str]:
        out = []
        for name, count in sorted(self.warnings.items()):
            hint = (" (lbfgs stopped at max_iter=100 on unscaled features, as in the paper protocol)"
                    if name == "ConvergenceWarning" else "")
            out.append(f"scikit-learn {name} on {count} probe fits{hint}.")
        return out


def unit(v: np.ndarray) -> np.ndarray:
    """``v / |v|`` (float64); a zero vector stays zero."""
    v = np.asarray(v, dtype=np.float64)
    n = float(np.linalg.norm(v))
    return v / n if n > 0 else v


def analysis_key(kind: str, **parts: Any) -> str:
    """Cache key of an analysis: its kind, the schema and analysis versions, and ``parts``."""
    return stable_hash({"kind": kind, "schema": SCHEMA_VERSION, "version": ANALYSIS_VERSION, **parts})


# ---- report text ---------------------------------------------------------------------------------
def fmt(x, digits: int = 3, signed: bool = False) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "-"
    return f"{x:+.{digits}f}" if signed else f"{x:.{digits}f}"


def timing_line(result) -> str:
    if result.cached:
        return "timing: cached result"
    parts = [f"{k[:-2].replace('_', ' ')} {v:.1f}s" for k, v in result.timing.items()
             if k.endswith("_s") and not k.endswith("per_s") and isinstance(v, (int, float))]
    return "timing: " + ", ".join(parts)


__all__ = ["ANALYSIS_VERSION", "probe_options", "check_probe", "ProbeFitter", "unit", "analysis_key", "fmt",
           "timing_line"]
