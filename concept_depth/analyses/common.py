"""Pieces the analyses beyond the paper share: the model loader, quiet probe fits, unit vectors."""

from __future__ import annotations

import warnings
from typing import Any, Callable

import numpy as np
from threadpoolctl import threadpool_limits

from ..core.errors import BadInputError
from ..core.specs import PROBES, SCHEMA_VERSION, ExtractionSpec, stable_hash
from ..models.loader import OneModelLoader
from ..probing import LayerProbe

#: Bump when an analysis here changes the numbers it produces (part of every key below).
ANALYSIS_VERSION = 1


def loader_or_default(model_loader: Callable | None, device: str | None, store) -> Callable:
    """``model_loader`` or one that keeps the last loaded model (one model in memory, loaded once)."""
    if model_loader is not None:
        return model_loader

    return OneModelLoader(device, store.directory)


def check_probe(probe: str, linear: bool = False) -> str:

    allowed = [p for p in PROBES if not linear or p != "rf"]
    if probe not in allowed:
        why = " (a direction needs a linear probe)" if linear and probe == "rf" else ""
        raise BadInputError(f"unknown probe {probe!r}{why}; choose one of {', '.join(allowed)}")
    return probe


class ProbeFitter:
    """Fits :class:`~concept_depth.probing.LayerProbe` on unscaled features (the paper protocol's
    estimator settings), one BLAS thread, counting warnings instead of printing them."""

    def __init__(self, kind: str, seed: int = 42) -> None:
        self.kind = kind
        self.seed = seed
        self.warnings: dict[str, int] = {}

    def fit(self, X: np.ndarray, y: np.ndarray):


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


def extraction_key_dict(ex: ExtractionSpec) -> dict[str, Any]:
    """What of an extraction spec a flat result spec shows."""
    ds = ex.dataset
    return {"dataset": ds.name, "limit": ds.limit, "noise": ds.noise.kind, "noise_strength": ds.noise.strength,
            "noise_seed": ds.noise.seed, "variant": ds.variant, "quant": ex.model.quant}


def analysis_key(kind: str, **parts: Any) -> str:
    """Cache key of an analysis: its kind, the schema and analysis versions, and ``parts``."""

    return stable_hash({"kind": kind, "schema": SCHEMA_VERSION, "version": ANALYSIS_VERSION, **parts})
