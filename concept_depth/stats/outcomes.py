"""Per-sample outcomes of a run's probes: which evaluation samples each layer's probe got right.

Two runs scored on the same evaluation samples (same samples, split and folds) can be
compared *paired*, sample by sample (see :mod:`concept_depth.paired`); for that a run
result keeps, compactly, which samples were evaluated and which of them each layer got
right (``extra["outcomes"]``): bit strings (``numpy.packbits``, base64), about N/6
characters per layer. Results made before this existed, and imported ones without it,
still load; :func:`refit_outcomes` recomputes the outcomes from cached layer vectors.

For a multiple-choice concept the evaluation unit is the question, not the option row: one bit per
evaluated question (its top-scored option was the correct one), ``labels`` all 1 and ``options``
(k of each evaluated question, one byte each) so that a resample's chance is the mean of its 1/k.

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


def _pack_counts(values: np.ndarray) -> str:
    """[n] whole numbers 0..255 -> base64 text of their bytes."""
    return base64.b64encode(np.asarray(values, dtype=np.uint8).tobytes()).decode("ascii")


def _unpack_counts(text: str, n: int) -> np.ndarray:
    try:
        raw = base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, AttributeError, ValueError):
        raise BadInputError("outcomes: the option counts are not base64") from None
    values = np.frombuffer(raw, dtype=np.uint8).astype(np.int64)
    if len(values) != n or (values < 2).any():
        raise BadInputError(f"outcomes: expected {n} option counts of at least 2")
    return values


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
    n_samples : N, samples in the run (multiple choice: Q, questions).
    is_eval : [N] bool, True for evaluation samples (the test split; all N out-of-fold under cv).
    labels : [n_eval] true labels of the evaluation samples, in sample order (multiple choice: all 1).
    correct : layer -> [n_eval] bool, the probe's prediction was right (multiple choice: its
        top-scored option was the question's correct one).
    options : [n_eval] number of options k of each evaluated question, or None (binary samples).
    """

    n_samples: int
    is_eval: np.ndarray
    labels: np.ndarray
    correct: Mapping[int, np.ndarray]
    options: np.ndarray | None = None

    @property
    def n_eval(self) -> int:
        return int(self.is_eval.sum())

    @property
    def multiple_choice(self) -> bool:
        return self.options is not None

    @property
    def unit_chance(self) -> np.ndarray | None:
        """[n_eval] chance of each evaluated question (1/k); None for binary samples, whose chance is the
        majority rate of ``labels``."""
        return None if self.options is None else 1.0 / self.options.astype(np.float64)

    @property
    def layers(self) -> list[int]:
        return sorted(self.correct)

    def accuracy(self, layer: int) -> float:
        return float(np.mean(self.correct[layer]))

    def matrix(self, layers: Sequence[int]) -> np.ndarray:
        """[n_eval, len(layers)] float32, 1 where right."""
        return np.stack([self.correct[l] for l in layers], axis=1).astype(np.float32)

    def to_dict(self) -> dict[str, Any]:
        out = {"format": OUTCOMES_FORMAT, "n_samples": int(self.n_samples), "n_eval": self.n_eval,
               "eval": pack_bits(self.is_eval), "labels": pack_bits(self.labels.astype(bool)),
               "layers": {str(l): pack_bits(self.correct[l]) for l in self.layers}}
        if self.options is not None:
            out["options"] = _pack_counts(self.options)
        return out

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
            options = _unpack_counts(data["options"], n_eval) if data.get("options") is not None else None
        except (KeyError, TypeError, ValueError):
            raise BadInputError("outcomes: malformed record") from None
        if not correct:
            raise BadInputError("outcomes: no layers")
        return cls(n_samples=n, is_eval=is_eval, labels=labels, correct=correct, options=options)


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


def outcomes_from_questions(per_layer: Sequence[tuple[int, np.ndarray, np.ndarray, np.ndarray]],
                            options: np.ndarray) -> EvalOutcomes:
    """Multiple choice: from ``(layer, unit_correct [Q], unit_is_eval [Q], unit_ids [Q])`` per layer and
    the option counts [Q]. One bit per evaluated question; every layer must have evaluated the same ones."""
    if not per_layer:
        raise BadInputError("outcomes need at least one layer")
    _, _, is_eval, ids = per_layer[0]
    is_eval = np.asarray(is_eval, dtype=bool)
    correct = {}
    for layer, right, mask, layer_ids in per_layer:
        if not (np.array_equal(np.asarray(mask, dtype=bool), is_eval) and np.array_equal(layer_ids, ids)):
            raise BadInputError(f"layer {layer} evaluated other questions than layer {per_layer[0][0]}")
        correct[int(layer)] = np.asarray(right, dtype=bool)[is_eval]
    n_eval = int(is_eval.sum())
    return EvalOutcomes(n_samples=len(is_eval), is_eval=is_eval, labels=np.ones(n_eval, dtype=np.int64),
                        correct=correct, options=np.asarray(options, dtype=np.int64)[is_eval])


def outcomes_from_evals(evals: Sequence[Any], labels: np.ndarray) -> EvalOutcomes | None:
    """From the probing's ``LayerEval``s (kept predictions); None when they kept none. Multiple-choice
    evaluations give one bit per question (``labels`` [N] is then not read)."""
    if evals and getattr(evals[0], "unit_correct", None) is not None:
        return outcomes_from_questions([(ev.layer, ev.unit_correct, ev.unit_is_eval, ev.unit_ids) for ev in evals],
                                       evals[0].unit_options)
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
