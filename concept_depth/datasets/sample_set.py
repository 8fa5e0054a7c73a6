"""The samples a run feeds to a model: the contract between datasets and the rest."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..core.specs import stable_hash

TEXT_PLACEHOLDER = "{text}"


def render_prompt(template: str, text: str) -> str:
    """Put ``text`` into ``template`` at ``{text}`` (plain replace: braces in text are safe)."""
    return template.replace(TEXT_PLACEHOLDER, text)


@dataclass(frozen=True, eq=False)
class SampleSet:
    """Final, model-ready samples of one dataset spec.

    Attributes
    ----------
    name : registry name (or ``custom:<file name>``).
    category : ``factual`` | ``emotional`` | ``inferential`` | ``custom``.
    template : prompt template with one ``{text}`` placeholder.
    texts : [N] the sample texts after noise, as put into the template.
    labels : [N] int64 array of 0/1; 1 is the "positive" class (true, yes, positive, sarcastic).
    label_names : names of class 0 and class 1, e.g. ``("false", "true")``.
    answer_words : the two answer words for class 0 and class 1 used to read the model's
        own answer, e.g. ``("No", "Yes")``.
    dropped : reason -> number of rows dropped while loading (blank text, missing label...).
    notes : human-readable remarks shown with results (e.g. StrategyQA variant).
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

    def __post_init__(self) -> None:
        if len(self.texts) != len(self.labels):
            raise ValueError("texts and labels differ in length")

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
    def content_hash(self) -> str:
        """Hash of the final prompts and labels: part of every cache key built on them."""
        return stable_hash({"prompts": list(self.prompts), "labels": [int(x) for x in self.labels]}, 32)
