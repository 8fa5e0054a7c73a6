"""What an expression analysis computes, and its cache key."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from ...core.errors import BadInputError
from ...core.specs import SCHEMA_VERSION, DatasetSpec, ModelSpec, _SpecMixin, stable_hash
from ...extraction.keys import numbers_path

#: Bump when the expression code changes the numbers it produces.
EXPRESSION_VERSION = 2
RESULT_KIND = "expression"
DEFAULT_SHOTS = (0, 1, 2, 4, 8)
DEFAULT_CUE = "\nAnswer:"


@dataclass(frozen=True)
class ExpressionSpec(_SpecMixin):
    """Cognition (probe) versus expression (the model's own answer) on one model and dataset.

    Attributes
    ----------
    model, dataset : as for a probe run.
    shots : numbers of solved examples put before each query; 0 is always included.
    seed : draws the held-out example pool and the order examples are used in.
    answer_words : (class 0, class 1) words, e.g. ``("No", "Yes")``; None = the dataset's own.
    answer_cue : appended to every prompt (and to each example, before its answer word) so the
        next token is the answer; ``""`` keeps the dataset prompt exactly as it is.
    pool_size : samples held out as examples (at least ``max(shots)``); never evaluated.
    max_n : pass@n is reported for n = 1..max_n.
    max_tokens : each sample text is cut to at most this many tokens (as in extraction).
    probe : also run (or reuse) the residual-stream probe for the probe-versus-lens curves.
    chat_template : wrap each prompt (examples and query) as one user turn of the model's chat
        template, so an instruct model answers as it was trained to.
    """

    model: ModelSpec
    dataset: DatasetSpec
    shots: tuple[int, ...] = DEFAULT_SHOTS
    seed: int = 0
    answer_words: tuple[str, str] | None = None
    answer_cue: str = DEFAULT_CUE
    pool_size: int = 16
    max_n: int = 16
    max_tokens: int = 512
    probe: bool = True
    chat_template: bool = False

    def __post_init__(self) -> None:
        try:
            shots = sorted({int(k) for k in self.shots} | {0})
        except (TypeError, ValueError):
            raise BadInputError(f"shots must be whole numbers, got {self.shots!r}") from None
        if shots[0] < 0:
            raise BadInputError(f"shots must be 0 or more, got {self.shots!r}")
        object.__setattr__(self, "shots", tuple(shots))
        if self.answer_words is not None:
            words = tuple(str(w).strip() for w in self.answer_words)
            if len(words) != 2 or not all(words):
                raise BadInputError(f"answer words must be two non-empty words (class 0, class 1), got {self.answer_words!r}")
            object.__setattr__(self, "answer_words", words)
        if self.max_n < 1:
            raise BadInputError("max_n must be at least 1")
        if self.max_tokens < 1:
            raise BadInputError("max_tokens must be at least 1")
        if isinstance(self.seed, bool) or not isinstance(self.seed, int) or not 0 <= self.seed <= 2**32 - 1:
            raise BadInputError(f"seed must be a whole number from 0 to {2**32 - 1}, got {self.seed!r}")
        if isinstance(self.pool_size, bool) or not isinstance(self.pool_size, int) or self.pool_size < 0:
            raise BadInputError(f"pool size must be 0 or more, got {self.pool_size!r}")
        object.__setattr__(self, "pool_size", max(int(self.pool_size), max(shots)))

    def key(self, model_fingerprint: str, dataset_hash: str, answer_words: tuple[str, str]) -> str:
        """Cache key: everything that changes the numbers (weights, bit width, prompts, words...)."""
        return stable_hash({
            "kind": RESULT_KIND, "schema": SCHEMA_VERSION, "version": EXPRESSION_VERSION,
            "model": model_fingerprint, "quant": int(self.model.quant), **numbers_path(self.model.quant),
            "dataset": dataset_hash,
            "shots": list(self.shots), "seed": int(self.seed), "answer_words": list(answer_words),
            "cue": self.answer_cue, "pool_size": self.pool_size, "max_n": self.max_n,
            "max_tokens": self.max_tokens, "probe": bool(self.probe),
            **({"chat_template": True} if self.chat_template else {}),
        })

    def with_changes(self, **changes: Any) -> "ExpressionSpec":
        return replace(self, **changes)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "ExpressionSpec":
        data = dict(data)
        if isinstance(data.get("model"), dict):
            data["model"] = ModelSpec.from_dict(data["model"])
        if isinstance(data.get("dataset"), dict):
            data["dataset"] = DatasetSpec.from_dict(data["dataset"])
        for name in ("shots", "answer_words"):
            if isinstance(data.get(name), list):
                data[name] = tuple(data[name])
        return super().from_dict(data)


def parse_shots(text: str) -> tuple[int, ...]:
    """``"0,1,2,4,8"`` -> (0, 1, 2, 4, 8); BadInputError on anything else."""
    try:
        return tuple(int(v) for v in str(text).replace(" ", "").split(",") if v != "")
    except ValueError:
        raise BadInputError(f"--shots must be comma-separated whole numbers, got {text!r}") from None


def parse_answer_words(text: str | None) -> tuple[str, str] | None:
    """``"No,Yes"`` -> ("No", "Yes") (class 0 first); None or "" -> None (the dataset's own)."""
    if text is None or not str(text).strip():
        return None
    words = tuple(w.strip() for w in str(text).split(","))
    if len(words) != 2 or not all(words):
        raise BadInputError(f"--answer-words needs two comma-separated words, class 0 first (e.g. No,Yes), got {text!r}")
    return words  # type: ignore[return-value]


__all__ = ["ExpressionSpec", "EXPRESSION_VERSION", "RESULT_KIND", "DEFAULT_SHOTS", "DEFAULT_CUE",
           "parse_shots", "parse_answer_words"]
