"""What an expression analysis computes, its options, and its cache key."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, ClassVar

from ...core.choices import MAX_SEED, SCHEMA_VERSION
from ...core.errors import BadInputError
from ...core.options import (
    DATASET_OPTIONS,
    EXTRACTION_OPTIONS,
    MODEL_OPTIONS,
    Option,
    OptionGroup,
    numbers,
    text_escapes,
)
from ...core.specs import DatasetSpec, ModelSpec, Spec, number, stable_hash
from ...extraction.keys import numbers_path

#: Bump when the expression code changes the numbers it produces.
EXPRESSION_VERSION = 2
#: Bump when the multiple-choice readings (prompt formats, normalisation, maj@n) change their numbers. It is
#: part of multiple-choice keys only, so binary keys stay what they were.
CHOICE_VERSION = 1
RESULT_KIND = "expression"
DEFAULT_SHOTS = (0, 1, 2, 4, 8)
DEFAULT_CUE = "\nAnswer:"

EXPRESSION_OPTIONS = OptionGroup("expression", (
    Option("shots", "0,1,2,4,8", help="comma-separated numbers of solved examples (0 always runs)"),
    Option("seed", 0, kind=int, help="seed of the held-out example pool and example order"),
    Option("answer_words", None, help="class-0,class-1 answer words, e.g. No,Yes (default: the dataset's own)"),
    Option("answer_cue", "\\nAnswer:",
           help="text ending every prompt before the answer ('\\n' = newline; '' keeps the dataset prompt)"),
    Option("pool_size", 16, kind=int, help="samples held out as examples (never evaluated)"),
    Option("max_n", 16, kind=int, help="report pass@n for n = 1..N"),
    Option("no_probe", False, flag=True, help="skip the probe (expression numbers only)"),
    Option("text_lens", False, flag=True,
           help="multiple choice: read the option texts through the logit lens at every layer too (zero-shot; "
                "one full-vocabulary projection per option token and layer)"),
))
#: The extraction options an expression analysis takes (it reads the residual stream's last token).
EXPRESSION_TEXT_OPTIONS = EXTRACTION_OPTIONS.without("hook", "pooling")


@dataclass(frozen=True)
class ExpressionSpec(Spec):
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
    text_lens : multiple choice only: also read the option-text log-likelihoods through the logit
        lens at every layer (zero-shot); without it the option text is read at the last layer (the
        model's own) and the letter reading alone goes through the lens. Ignored for binary sets.
    """

    OPTIONS: ClassVar = (MODEL_OPTIONS, DATASET_OPTIONS, EXPRESSION_OPTIONS, EXPRESSION_TEXT_OPTIONS)

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
    text_lens: bool = False

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
        if isinstance(self.seed, bool) or not isinstance(self.seed, int) or not 0 <= self.seed <= MAX_SEED:
            raise BadInputError(f"seed must be a whole number from 0 to {MAX_SEED}, got {self.seed!r}")
        if isinstance(self.pool_size, bool) or not isinstance(self.pool_size, int) or self.pool_size < 0:
            raise BadInputError(f"pool size must be 0 or more, got {self.pool_size!r}")
        object.__setattr__(self, "pool_size", max(int(self.pool_size), max(shots)))

    @classmethod
    def take_options(cls, values: dict[str, Any]) -> "ExpressionSpec":
        model = ModelSpec.take_options(values)
        dataset = DatasetSpec.take_options(values)
        v = EXPRESSION_OPTIONS.take(values)
        t = EXPRESSION_TEXT_OPTIONS.take(values)
        return cls(model=model, dataset=dataset, shots=parse_shots(v["shots"]), seed=int(number(v["seed"], "seed", whole=True)),
                   answer_words=parse_answer_words(v["answer_words"]), answer_cue=text_escapes(v["answer_cue"]),
                   pool_size=int(v["pool_size"]), max_n=int(v["max_n"]), max_tokens=int(t["max_tokens"]),
                   probe=not v["no_probe"], chat_template=bool(t["chat_template"]), text_lens=bool(v["text_lens"]))

    def to_dict(self) -> dict[str, Any]:
        """Fields as a dict; ``text_lens`` only when set (a binary spec's dict is what it was before it existed)."""
        out = super().to_dict()
        if not self.text_lens:
            out.pop("text_lens")
        return out

    def key(self, model_fingerprint: str, dataset_hash: str, answer_words: tuple[str, str],
            multiple_choice: bool = False) -> str:
        """Cache key: everything that changes the numbers (weights, bit width, prompts, words...).

        ``multiple_choice``: the samples are questions, read by letter and by option text; their keys
        hold the readings' version and ``text_lens`` (a binary key has neither, so it is unchanged).
        """
        return stable_hash({
            "kind": RESULT_KIND, "schema": SCHEMA_VERSION, "version": EXPRESSION_VERSION,
            "model": model_fingerprint, "quant": int(self.model.quant), **numbers_path(self.model.quant),
            "dataset": dataset_hash,
            "shots": list(self.shots), "seed": int(self.seed), "answer_words": list(answer_words),
            "cue": self.answer_cue, "pool_size": self.pool_size, "max_n": self.max_n,
            "max_tokens": self.max_tokens, "probe": bool(self.probe),
            **({"chat_template": True} if self.chat_template else {}),
            **({"multiple_choice": {"version": CHOICE_VERSION, "text_lens": bool(self.text_lens)}}
               if multiple_choice else {}),
        })

    def with_changes(self, **changes: Any) -> "ExpressionSpec":
        return replace(self, **changes)


def parse_shots(text: Any) -> tuple[int, ...]:
    """``"0,1,2,4,8"`` or ``(0, 1, 2)`` -> (0, 1, 2, 4, 8); BadInputError on anything else."""
    if not text or (isinstance(text, str) and not text.strip()):
        return ()
    return numbers(text, "--shots", int)


def parse_answer_words(text: Any) -> tuple[str, str] | None:
    """``"No,Yes"`` or ``("No", "Yes")`` -> ("No", "Yes") (class 0 first); None or "" -> None (the dataset's own)."""
    if text is None or (isinstance(text, str) and not text.strip()):
        return None
    words = tuple(w.strip() for w in (text.split(",") if isinstance(text, str) else map(str, text)))
    if len(words) != 2 or not all(words):
        raise BadInputError(f"--answer-words needs two comma-separated words, class 0 first (e.g. No,Yes), got {text!r}")
    return words  # type: ignore[return-value]


__all__ = ["ExpressionSpec", "EXPRESSION_VERSION", "CHOICE_VERSION", "EXPRESSION_OPTIONS", "RESULT_KIND", "DEFAULT_SHOTS",
           "DEFAULT_CUE", "parse_shots", "parse_answer_words"]
