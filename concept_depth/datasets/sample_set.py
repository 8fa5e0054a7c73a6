"""The samples a run feeds to a model: the contract between datasets and the rest.

A binary set is N rows with labels 0/1. A multiple-choice set is Q questions with k_q options
each (2 <= k_q <= 10, one of them correct), flattened into N = sum(k_q) rows: row i is option
``option_index[i]`` of question ``groups[i]``, its label 1 when that option is the correct one.
The rows of one question are contiguous and in option order, so the questions' structure can
always be read back from ``groups`` alone.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..core.specs import stable_hash

TEXT_PLACEHOLDER = "{text}"
#: Options of a question are lettered A, B, ... (at most 10 options).
LETTERS = "ABCDEFGHIJ"
MIN_OPTIONS, MAX_OPTIONS = 2, len(LETTERS)
#: Label names and answer words of every multiple-choice set: each row asks "is this option the
#: answer?", so class 1 is the correct option and the model's own yes/no reads "Yes" for it.
CHOICE_LABEL_NAMES = ("wrong", "right")
CHOICE_ANSWER_WORDS = ("No", "Yes")


def render_prompt(template: str, text: str) -> str:
    """Put ``text`` into ``template`` at ``{text}`` (plain replace: braces in text are safe)."""
    return template.replace(TEXT_PLACEHOLDER, text)


def option_text(question: str, option: str, context: str | None = None) -> str:
    """The text of one option row, as it goes into the prompt template's ``{text}``.

    ``Question: <question>\\nAnswer: <option>``, preceded by ``<context>\\n\\n`` when the
    question has a passage (RACE). The option comes last, so the last token read is the
    option's own; a prompt cut to ``max tokens`` loses the end of this text first.
    """
    head = f"{context}\n\n" if context else ""
    return f"{head}Question: {question}\nAnswer: {option}"


def _is_contiguous_ids(groups: np.ndarray) -> bool:
    """0, 0, 1, 1, 1, 2, ...: starts at 0, never decreases, steps by at most 1."""
    if groups.size == 0:
        return True
    steps = np.diff(groups)
    return bool(groups[0] == 0 and np.all((steps == 0) | (steps == 1)))


def _option_span(lo: int, hi: int) -> str:
    return f"{lo} options" if lo == hi else f"{lo}-{hi} options"


@dataclass(frozen=True, eq=False)
class Questions:
    """The questions of a multiple-choice set (what its rows flatten).

    Attributes
    ----------
    texts : [Q] question texts as the model sees them (noise, if any, already applied).
    options : [Q] tuples of option texts, k_q each, in the order they are shown (A, B, ...).
    answers : [Q] int64, the 0-based index of the correct option of each question.
    contexts : [Q] passages read before each question (RACE), or None.

    Row i of the flattened set is option ``option_index[i]`` of question ``groups[i]``.
    """

    texts: tuple[str, ...]
    options: tuple[tuple[str, ...], ...]
    answers: np.ndarray
    contexts: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "texts", tuple(self.texts))
        object.__setattr__(self, "options", tuple(tuple(o) for o in self.options))
        object.__setattr__(self, "answers", np.asarray(self.answers, dtype=np.int64).reshape(-1))
        if self.contexts is not None:
            object.__setattr__(self, "contexts", tuple(self.contexts))
        q = len(self.texts)
        if len(self.options) != q or len(self.answers) != q or (self.contexts is not None and len(self.contexts) != q):
            raise ValueError("questions: texts, options, answers (and contexts) differ in length")
        k = self.n_options
        if q and (k.min() < MIN_OPTIONS or k.max() > MAX_OPTIONS):
            raise ValueError(f"every question needs {MIN_OPTIONS} to {MAX_OPTIONS} options")
        if q and (np.any(self.answers < 0) or np.any(self.answers >= k)):
            raise ValueError("an answer index lies outside its question's options")

    def __len__(self) -> int:
        return len(self.texts)

    @property
    def n_options(self) -> np.ndarray:
        """[Q] int64, k_q: the number of options of each question."""
        return np.array([len(o) for o in self.options], dtype=np.int64)

    @property
    def n_rows(self) -> int:
        """N = sum of k_q: the rows (prompts) the questions flatten into."""
        return int(self.n_options.sum())

    @property
    def chance(self) -> float:
        """Expected per-question accuracy of a uniform guesser: the mean of 1 / k_q."""
        return float(np.mean(1.0 / self.n_options)) if len(self) else float("nan")

    @property
    def groups(self) -> np.ndarray:
        """[N] int64: the question of each row (0..Q-1, contiguous)."""
        return np.repeat(np.arange(len(self), dtype=np.int64), self.n_options)

    @property
    def option_index(self) -> np.ndarray:
        """[N] int64: the option of each row within its question (0..k_q-1)."""
        return np.concatenate([np.arange(k, dtype=np.int64) for k in self.n_options]) if len(self) else \
            np.zeros(0, dtype=np.int64)

    @property
    def labels(self) -> np.ndarray:
        """[N] int64: 1 for the row of each question's correct option, else 0."""
        return (self.option_index == np.repeat(self.answers, self.n_options)).astype(np.int64)

    @property
    def row_texts(self) -> tuple[str, ...]:
        """[N] ``option_text`` of every row, question by question."""
        ctx = self.contexts or (None,) * len(self)
        return tuple(option_text(t, o, c) for t, opts, c in zip(self.texts, self.options, ctx) for o in opts)

    @property
    def option_counts(self) -> str:
        """``"4 options"`` or ``"3-5 options"``."""
        k = self.n_options
        return _option_span(int(k.min()), int(k.max())) if len(self) else "no options"

    def letters(self, q: int) -> tuple[str, ...]:
        """The letters ``A``, ``B``, ... of question ``q``'s options."""
        return tuple(LETTERS[: len(self.options[q])])


@dataclass(frozen=True, eq=False)
class SampleSet:
    """Final, model-ready samples of one dataset spec.

    Attributes
    ----------
    name : registry name (or ``custom:<file name>``).
    category : ``factual`` | ``emotional`` | ``inferential`` | ``custom``.
    template : prompt template with one ``{text}`` placeholder.
    texts : [N] the sample texts after noise, as put into the template (for a multiple-choice
        set, one :func:`option_text` per option).
    labels : [N] int64 array of 0/1; 1 is the "positive" class (true, yes, positive, sarcastic;
        for a multiple-choice set, the correct option).
    label_names : names of class 0 and class 1, e.g. ``("false", "true")``; ``("wrong", "right")``
        for a multiple-choice set.
    answer_words : the two answer words for class 0 and class 1 used to read the model's
        own answer, e.g. ``("No", "Yes")`` (multiple choice: "is this option right?"; the
        letters of the options are ``questions.letters(q)``).
    dropped : reason -> number of rows dropped while loading (blank text, missing label...).
    notes : human-readable remarks shown with results (e.g. StrategyQA variant).
    groups : [N] int64 group of each row (0..G-1, the rows of one group contiguous), or None.
        A split must keep a group on one side. Multiple choice: one group per question.
    questions : the questions of a multiple-choice set, or None (a binary set, grouped or not).
    """

    name: str
    category: str
    template: str
    texts: tuple[str, ...]
    labels: np.ndarray
    label_names: tuple[str, str] = ("0", "1")
    answer_words: tuple[str, str] = ("No", "Yes")
    dropped: dict[str, int] = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    groups: np.ndarray | None = None
    questions: Questions | None = None

    def __post_init__(self) -> None:
        if len(self.texts) != len(self.labels):
            raise ValueError("texts and labels differ in length")
        if self.questions is not None and self.groups is None:
            object.__setattr__(self, "groups", self.questions.groups)
        if self.groups is not None:
            groups = np.asarray(self.groups, dtype=np.int64).reshape(-1)
            if len(groups) != len(self.texts):
                raise ValueError("groups and texts differ in length")
            if not _is_contiguous_ids(groups):
                raise ValueError("groups must number contiguous runs of rows 0, 1, 2, ... in order")
            object.__setattr__(self, "groups", groups)
        if self.questions is not None:
            if self.questions.n_rows != len(self.texts) or not np.array_equal(self.groups, self.questions.groups):
                raise ValueError("a multiple-choice set needs one row per option, question by question")
            if not np.array_equal(np.asarray(self.labels), self.questions.labels):
                raise ValueError("a multiple-choice set's labels must mark each question's answer")

    def __len__(self) -> int:
        return len(self.texts)

    @property
    def prompts(self) -> tuple[str, ...]:
        """[N] the exact strings fed to the model."""
        return tuple(render_prompt(self.template, t) for t in self.texts)

    @property
    def template_parts(self) -> tuple[str, str]:
        """(prefix, suffix) around ``{text}``: the instruction that must never be truncated."""
        prefix, _, suffix = self.template.partition(TEXT_PLACEHOLDER)
        return prefix, suffix

    @property
    def class_counts(self) -> tuple[int, int]:
        return int((self.labels == 0).sum()), int((self.labels == 1).sum())

    @property
    def is_multiple_choice(self) -> bool:
        return self.questions is not None

    @property
    def n_groups(self) -> int:
        """G: the number of groups (questions), 0 for an ungrouped set."""
        return int(self.groups[-1]) + 1 if self.groups is not None and len(self.groups) else 0

    @property
    def option_index(self) -> np.ndarray | None:
        """[N] int64 option of each row within its question (multiple choice), else None."""
        return self.questions.option_index if self.questions is not None else None

    @property
    def content_hash(self) -> str:
        """Hash of the final prompts and labels (and groups, when there are): part of every cache
        key built on them. A set without groups hashes exactly as before groups existed."""
        doc = {"prompts": list(self.prompts), "labels": [int(x) for x in self.labels]}
        if self.groups is not None:
            doc["groups"] = [int(g) for g in self.groups]
            doc["multiple_choice"] = self.questions is not None
        return stable_hash(doc, 32)
