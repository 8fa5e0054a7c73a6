"""The result of an expression analysis and its JSON form (schema ``concept-depth/expression@1``).

Stored in the Store as ``res/expression/<key>``: a JSON-able dict with ``spec``,
``created_ts``, ``layers`` (per layer: probe accuracy, logit-lens accuracy, gap),
``shots`` (per k: answer accuracy, pass@1, pass@n, maj@n, per-layer lens accuracy), ``pass_at_n``
and ``maj_at_n`` (k = 0) and ``summary``. Results saved before maj@n existed get it on loading,
computed from their stored answer probabilities (``p_class1``) and labels.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ...core.drawing import Drawable
from ...core.errors import BadInputError
from ...results.labels import spec_label
from .scoring import maj_table, p_correct
from .spec import RESULT_KIND

EXPRESSION_SCHEMA = "concept-depth/expression@1"


@dataclass(frozen=True)
class ExpressionResult(Drawable):
    """Cognition versus expression on one model and dataset.

    Attributes
    ----------
    key : cache key.
    spec : flat description (model, model_label, quant, dataset, answer words and tokens, shots...).
    created_ts : UNIX time it was computed.
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
    """

    key: str
    spec: dict[str, Any]
    created_ts: float
    layers: tuple[dict[str, Any], ...]
    shots: tuple[dict[str, Any], ...]
    pass_at_n: tuple[dict[str, Any], ...]
    summary: dict[str, Any]
    eval_indices: tuple[int, ...] = ()
    labels: tuple[int, ...] = ()
    timing: dict[str, Any] = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    cached: bool = False
    maj_at_n: tuple[dict[str, Any], ...] = ()

    # ---- convenience -------------------------------------------------
    @property
    def label(self) -> str:
        return spec_label(self.spec)

    def shot(self, k: int) -> dict[str, Any]:
        for entry in self.shots:
            if entry["k"] == k:
                return entry
        raise KeyError(k)

    @property
    def has_probe(self) -> bool:
        return any(row.get("probe_accuracy") is not None for row in self.layers)


    # ---- JSON --------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return {
            "schema": EXPRESSION_SCHEMA, "kind": RESULT_KIND, "key": self.key, "spec": dict(self.spec),
            "created_ts": self.created_ts, "layers": [dict(r) for r in self.layers],
            "shots": [dict(r) for r in self.shots], "pass_at_n": [dict(r) for r in self.pass_at_n],
            "maj_at_n": [dict(r) for r in self.maj_at_n],
            "summary": dict(self.summary), "eval_indices": list(self.eval_indices), "labels": list(self.labels),
            "timing": dict(self.timing), "notes": list(self.notes),
        }

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent)

    @classmethod
    def from_dict(cls, data: dict[str, Any], cached: bool = False) -> "ExpressionResult":
        if data.get("schema") != EXPRESSION_SCHEMA:
            raise BadInputError(f"not an expression result (schema {data.get('schema')!r}, expected {EXPRESSION_SCHEMA!r})")
        try:
            labels = tuple(int(i) for i in data.get("labels", ()))
            max_n = len(data["pass_at_n"])
            shots = tuple(_with_maj(dict(r), labels, max_n) for r in data["shots"])
            zero = next((s for s in shots if s.get("k") == 0), shots[0] if shots else {})
            return cls(
                key=str(data["key"]), spec=dict(data["spec"]), created_ts=float(data["created_ts"]),
                layers=tuple(dict(r) for r in data["layers"]), shots=shots,
                pass_at_n=tuple(dict(r) for r in data["pass_at_n"]), summary=dict(data["summary"]),
                eval_indices=tuple(int(i) for i in data.get("eval_indices", ())), labels=labels,
                timing=dict(data.get("timing", {})), notes=tuple(data.get("notes", ())), cached=cached,
                maj_at_n=tuple(dict(r) for r in data.get("maj_at_n") or zero.get("maj_at_n", ())),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise BadInputError(f"malformed expression result: {exc}") from exc

    @classmethod
    def load(cls, path: str | Path) -> "ExpressionResult":
        try:
            return cls.from_dict(json.loads(Path(path).read_text(encoding="utf-8")))
        except json.JSONDecodeError as exc:
            raise BadInputError(f"{path} is not valid JSON: {exc}") from exc


def _with_maj(shot: dict[str, Any], labels: tuple[int, ...], max_n: int) -> dict[str, Any]:
    """A shot entry with ``maj_at_n``, computed from ``p_class1`` and the labels when it was saved
    before maj@n existed (left out when those are missing too)."""
    p1 = shot.get("p_class1")
    if "maj_at_n" in shot or not p1 or len(p1) != len(labels) or max_n < 1:
        return shot

    return {**shot, "maj_at_n": maj_table(p_correct(p1, labels), max_n)}


def list_expression_results(store: Any) -> list[ExpressionResult]:
    """Every cached expression result, newest first (malformed entries are skipped)."""
    out = []
    for data in store.list_results(RESULT_KIND):
        try:
            out.append(ExpressionResult.from_dict(data, cached=True))
        except BadInputError:
            continue
    return sorted(out, key=lambda r: r.created_ts, reverse=True)


def load_expression(store: Any, key: str) -> ExpressionResult | None:
    """The cached result under ``key``, or None."""
    data = store.get_result(RESULT_KIND, key)
    return None if data is None else ExpressionResult.from_dict(data, cached=True)
