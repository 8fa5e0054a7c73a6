"""The result of an expression analysis and its JSON form (schema ``concept-depth/expression@1``).

Stored in the Store as ``res/expression/<key>``: ``spec``, ``created_ts``, ``layers`` (per layer: probe
accuracy, logit-lens accuracy, gap), ``shots`` (per k: answer accuracy, pass@1, pass@n, maj@n,
per-layer lens accuracy), ``pass_at_n`` and ``maj_at_n`` (k = 0) and ``summary``. Results saved
before maj@n existed get it on loading, computed from their stored answer probabilities
(``p_class1``) and labels.

A multiple-choice result (questions read by letter and by option text, see :mod:`.choice_run`) has
the same fields, measured per question with the letter reading as "the answer", plus the
option-text numbers beside them and a ``multiple_choice`` block (chance, option counts, the uniform
guesser's pass@n and maj@n, formats and letter tokens). A binary result has no such block: its JSON
is what it was before multiple choice existed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from ...results.base import AnalysisResult
from .scoring import maj_table, p_correct
from .spec import RESULT_KIND, ExpressionSpec

EXPRESSION_SCHEMA = "concept-depth/expression@1"


@dataclass(frozen=True, kw_only=True)
class ExpressionResult(AnalysisResult):
    """Cognition versus expression on one model and dataset.

    Attributes
    ----------
    spec : flat description (model, model_label, quant, dataset, answer words and tokens, shots...).
    layers : per layer l = 0..L (0 = embeddings): ``layer``, ``probe_accuracy`` (None without a
        probe), ``lens_accuracy`` (greedy answer of the logit lens, zero-shot), ``lens_pass1``,
        ``gap`` = probe_accuracy - lens_accuracy.
    shots : per k: ``k``, ``accuracy`` (greedy answer accuracy), ``pass1`` (mean p_correct),
        ``pass_at_n`` [max_n], ``maj_at_n`` [{n, maj}] for odd n <= max_n (majority-vote accuracy),
        ``answer_mass`` (mean next-token probability on the answer words),
        ``examples`` (sample indices shown), ``lens_accuracy`` [L+1], ``p_class1`` [n_eval].
    pass_at_n : zero-shot ``[{"n": n, "pass": value}]`` for n = 1..max_n.
    maj_at_n : zero-shot ``[{"n": n, "maj": value}]`` for odd n = 1..max_n.
    summary : ``best_probe_accuracy``, ``best_probe_layer``, ``final_answer_accuracy``, ``final_pass1``,
        ``gap`` (best probe - final answer accuracy), ``best_lens_accuracy``, ``best_lens_layer``,
        ``best_shots``, ``best_shots_accuracy``, ``answer_mass``, ``n_eval``.
    eval_indices, labels : [n_eval] the evaluated samples and their labels (multiple choice: the
        evaluated question ids; ``labels`` empty, the answers are in ``multiple_choice``).
    multiple_choice : None for a binary set; for questions: ``n_questions`` (evaluated), ``n_pool``,
        ``chance`` (mean 1/k over the evaluated questions), ``option_counts`` ({k: questions}),
        ``n_options`` and ``answers`` [n_eval], ``letters``, ``letter_tokens``, ``letter_format``,
        ``text_format``, ``text_norm``, ``text_lens``, ``guesser_pass_at_n`` [max_n],
        ``guesser_maj_at_n`` [{n, maj}], ``probe_per_question``, ``probe_chance``.
        Each shot entry then also holds ``text_accuracy`` (per-character normalised option text),
        ``text_accuracy_token``, ``text_accuracy_raw``, ``text_lens_accuracy`` [L+1] or None,
        ``letter_shares`` and ``text_shares`` (share of answers per option position),
        ``letter_choice``, ``text_choice`` [n_eval] and ``p_letters`` [n_eval][k].
    """

    SCHEMA: ClassVar[str] = EXPRESSION_SCHEMA
    KIND: ClassVar[str] = RESULT_KIND
    REQUEST: ClassVar[type] = ExpressionSpec

    layers: tuple[dict[str, Any], ...]
    shots: tuple[dict[str, Any], ...]
    pass_at_n: tuple[dict[str, Any], ...]
    summary: dict[str, Any]
    eval_indices: tuple[int, ...] = ()
    labels: tuple[int, ...] = ()
    maj_at_n: tuple[dict[str, Any], ...] = ()
    multiple_choice: dict[str, Any] | None = None

    # ---- convenience -------------------------------------------------
    def shot(self, k: int) -> dict[str, Any]:
        for entry in self.shots:
            if entry["k"] == k:
                return entry
        raise KeyError(k)

    @property
    def is_multiple_choice(self) -> bool:
        return self.multiple_choice is not None

    @property
    def chance(self) -> float | None:
        """Accuracy of guessing: mean 1/k over the evaluated questions (multiple choice), else the
        majority-class rate of the evaluated labels (None without labels)."""
        if self.multiple_choice is not None:
            return float(self.multiple_choice["chance"])
        if not self.labels:
            return None
        share = sum(self.labels) / len(self.labels)
        return float(max(share, 1 - share))

    def to_dict(self) -> dict[str, Any]:
        out = super().to_dict()
        if out.get("multiple_choice") is None:
            out.pop("multiple_choice", None)
        return out

    @property
    def has_probe(self) -> bool:
        return any(row.get("probe_accuracy") is not None for row in self.layers)

    @classmethod
    def upgrade(cls, data: dict[str, Any]) -> dict[str, Any]:
        """maj@n for results saved before it existed, from their answer probabilities and labels."""
        labels = tuple(int(i) for i in data.get("labels", ()))
        max_n = len(data.get("pass_at_n") or ())
        shots = [_with_maj(dict(r), labels, max_n) for r in data.get("shots") or ()]
        zero = next((s for s in shots if s.get("k") == 0), shots[0] if shots else {})
        return dict(data, shots=shots, maj_at_n=data.get("maj_at_n") or zero.get("maj_at_n", []))


def _with_maj(shot: dict[str, Any], labels: tuple[int, ...], max_n: int) -> dict[str, Any]:
    """A shot entry with ``maj_at_n``, computed from ``p_class1`` and the labels when it was saved
    before maj@n existed (left out when those are missing too)."""
    p1 = shot.get("p_class1")
    if "maj_at_n" in shot or not p1 or len(p1) != len(labels) or max_n < 1:
        return shot
    return {**shot, "maj_at_n": maj_table(p_correct(p1, labels), max_n)}


__all__ = ["EXPRESSION_SCHEMA", "ExpressionResult"]
