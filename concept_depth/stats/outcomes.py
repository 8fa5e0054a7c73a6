"""Per-sample outcomes of a run's probes: which evaluation samples each layer's probe got right.

Two runs scored on the same evaluation samples (same samples, split and folds) can be
compared *paired*, sample by sample (see :mod:`concept_depth.paired`); for that a run
result keeps, compactly, which samples were evaluated and which of them each layer got
right (``extra["outcomes"]``): bit strings (``numpy.packbits``, base64), about N/6
characters per layer. Results made before this existed, and imported ones without it,
still load; :func:`refit_outcomes` recomputes the outcomes from cached layer vectors.

It also keeps where the probe's fit did not converge, per layer
(``extra["layer_warnings"]``), so a comparison can say on which of its layers that happened.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from typing import Any, Mapping, Sequence

import numpy as np

from ..core.errors import BadInputError

#: The format tag of ``extra["outcomes"]``.
OUTCOMES_FORMAT = "packbits-base64@1"
CONVERGENCE = "ConvergenceWarning"


def pack_bits(values: np.ndarray) -> str:
    """[n] booleans -> base64 text of ``numpy.packbits`` (big-endian bit order, zero-padded)."""
    return base64.b64encode(np.packbits(np.asarray(values, dtype=bool)).tobytes()).decode("ascii")


def unpack_bits(text: str, n: int) -> np.ndarray:
    """base64 text of packed bits -> [n] bool; BadInputError when it does not hold exactly n bits."""
    try:
        raw = base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, AttributeError, ValueError):
        raise BadInputError("outcomes: a bit string is not base64") from None
    if len(raw) != (n + 7) // 8:
        raise BadInputError(f"outcomes: a bit string holds {len(raw) * 8} bits, expected {n}")
    return np.unpackbits(np.frombuffer(raw, dtype=np.uint8), count=n).astype(bool)


@dataclass(frozen=True)
class EvalOutcomes:
    """Which evaluation samples each layer's probe got right.

    Attributes
    ----------
    n_samples : N, samples in the run.
    is_eval : [N] bool, True for evaluation samples (the test split; all N out-of-fold under cv).
    labels : [n_eval] true labels of the evaluation samples, in sample order.
    correct : layer -> [n_eval] bool, the probe's prediction was right.
    """

    n_samples: int
    is_eval: np.ndarray
    labels: np.ndarray
    correct: Mapping[int, np.ndarray]

    @property
    def n_eval(self) -> int:
        return int(self.is_eval.sum())

    @property
    def layers(self) -> list[int]:
        return sorted(self.correct)

    def accuracy(self, layer: int) -> float:
        return float(np.mean(self.correct[layer]))

    def matrix(self, layers: Sequence[int]) -> np.ndarray:
        """[n_eval, len(layers)] float32, 1 where right."""
        return np.stack([self.correct[l] for l in layers], axis=1).astype(np.float32)

    def to_dict(self) -> dict[str, Any]:
        return {"format": OUTCOMES_FORMAT, "n_samples": int(self.n_samples), "n_eval": self.n_eval,
                "eval": pack_bits(self.is_eval), "labels": pack_bits(self.labels.astype(bool)),
                "layers": {str(l): pack_bits(self.correct[l]) for l in self.layers}}

    @classmethod
    def from_dict(cls, data: Any) -> "EvalOutcomes":
        """From ``extra["outcomes"]``; BadInputError when it is not a whole, consistent record."""
        if not isinstance(data, dict) or data.get("format") != OUTCOMES_FORMAT:
            raise BadInputError("outcomes: not a packbits-base64@1 record")
        try:
            n = int(data["n_samples"])
            if not 0 < n <= 10**9:
                raise ValueError
            is_eval = unpack_bits(data["eval"], n)
            n_eval = int(is_eval.sum())
            if n_eval != int(data.get("n_eval", n_eval)) or n_eval == 0:
                raise BadInputError("outcomes: the evaluation mask does not match n_eval")
            labels = unpack_bits(data["labels"], n_eval).astype(np.int64)
            correct = {int(l): unpack_bits(bits, n_eval) for l, bits in dict(data["layers"]).items()}
        except (KeyError, TypeError, ValueError):
            raise BadInputError("outcomes: malformed record") from None
        if not correct:
            raise BadInputError("outcomes: no layers")
        return cls(n_samples=n, is_eval=is_eval, labels=labels, correct=correct)


def outcomes_from_predictions(labels: np.ndarray, per_layer: Sequence[tuple[int, np.ndarray, np.ndarray]]
                              ) -> EvalOutcomes:
    """From ``(layer, pred [N], is_eval [N])`` per layer and the labels [N]. Every layer must have
    evaluated the same samples (one split / one set of folds per run)."""
    labels = np.asarray(labels, dtype=np.int64)
    if not per_layer:
        raise BadInputError("outcomes need at least one layer")
    is_eval = np.asarray(per_layer[0][2], dtype=bool)
    correct = {}
    for layer, pred, mask in per_layer:
        mask = np.asarray(mask, dtype=bool)
        if not np.array_equal(mask, is_eval):
            raise BadInputError(f"layer {layer} evaluated other samples than layer {per_layer[0][0]}")
        correct[int(layer)] = (np.asarray(pred)[is_eval] == labels[is_eval])
    return EvalOutcomes(n_samples=len(labels), is_eval=is_eval, labels=labels[is_eval], correct=correct)


def outcomes_from_evals(evals: Sequence[Any], labels: np.ndarray) -> EvalOutcomes | None:
    """From the probing's ``LayerEval``s (kept predictions); None when they kept none."""
    if not evals or any(ev.pred is None or ev.is_eval is None for ev in evals):
        return None
    return outcomes_from_predictions(labels, [(ev.layer, ev.pred, ev.is_eval) for ev in evals])


def run_outcomes(run: Any) -> EvalOutcomes | None:
    """The outcomes stored with ``run`` (a RunResult); None when absent or unreadable."""
    data = (getattr(run, "extra", None) or {}).get("outcomes")
    if data is None:
        return None
    try:
        return EvalOutcomes.from_dict(data)
    except BadInputError:
        return None


# ---- where the fit did not converge --------------------------------------------------
def layer_warnings(evals: Sequence[Any]) -> dict[str, dict[str, int]]:
    """warning category -> {layer (as text): fits that raised it} from the probing's ``LayerEval``s."""
    out: dict[str, dict[str, int]] = {}
    for ev in evals:
        for name, count in (ev.warnings or {}).items():
            out.setdefault(name, {})[str(int(ev.layer))] = int(count)
    return out


def unconverged_layers(run: Any) -> list[int] | None:
    """Layers whose probe fit raised a ConvergenceWarning; [] for none, None when the run recorded
    convergence warnings but not per layer (results made before that was kept)."""
    extra = getattr(run, "extra", None) or {}
    per_layer = extra.get("layer_warnings")
    if isinstance(per_layer, dict):
        hits = per_layer.get(CONVERGENCE) or {}
        try:
            return sorted(int(l) for l, count in dict(hits).items() if int(count) > 0)
        except (TypeError, ValueError):
            return None
    totals = extra.get("warnings") or {}
    return None if isinstance(totals, dict) and totals.get(CONVERGENCE) else []
