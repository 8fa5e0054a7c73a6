"""Multiple-choice sets: questions read from a file, flattened into one prompt per option.

A question with k options becomes k rows of one group, in option order; row ``j`` of question
``q`` has the text :func:`~concept_depth.datasets.sample_set.option_text` of question ``q`` and
option ``j``, and label 1 when ``j`` is the correct option. With the dataset's template
``"<instruction>\\n{text}"`` the model sees, for each option::

    <instruction>
    [<passage>\\n\\n]Question: <question>
    Answer: <option>

``limit`` keeps the first ``limit`` questions in file order with all their options (no
balancing of right and wrong options: a 4-option set is 1 right to 3 wrong). Noise is applied
to the question text, once per question (all its options share it), seeded as for a binary set.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..core.specs import DatasetSpec
from .noise import apply_noise
from .sample_set import CHOICE_ANSWER_WORDS, CHOICE_LABEL_NAMES, Questions, SampleSet


@dataclass
class RawQuestions:
    """Questions read from a file, before limit, noise and prompting.

    texts : [Q] question texts; options : [Q] tuples of option texts; answers : [Q] 0-based index
    of the correct option; contexts : [Q] passages (RACE) or None; dropped : reason -> questions
    skipped; notes : remarks.
    """

    texts: list[str] = field(default_factory=list)
    options: list[tuple[str, ...]] = field(default_factory=list)
    answers: list[int] = field(default_factory=list)
    contexts: list[str] | None = None
    dropped: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def add(self, text: str, options, answer: int, context: str | None = None) -> None:
        self.texts.append(str(text))
        self.options.append(tuple(str(o) for o in options))
        self.answers.append(int(answer))
        if context is not None or self.contexts is not None:
            if self.contexts is None:
                self.contexts = [""] * (len(self.texts) - 1)
            self.contexts.append("" if context is None else str(context))

    def drop(self, reason: str, n: int = 1) -> None:
        self.dropped[reason] = self.dropped.get(reason, 0) + n

    def __len__(self) -> int:
        return len(self.texts)


def repeated_options_note(raw: RawQuestions) -> str | None:
    """A remark on questions that list one option text twice (kept as published), or None."""
    repeats = [q for q, opts in enumerate(raw.options) if len(set(opts)) < len(opts)]
    if not repeats:
        return None
    on_answer = sum(1 for q in repeats if raw.options[q].count(raw.options[q][raw.answers[q]]) > 1)
    return (f"{len(repeats)} question(s) list an option text twice (kept as published; only the option at the "
            f"answer's position is labelled right, so {on_answer} of them have a wrong row identical to the right one)")


def choice_set(raw: RawQuestions, spec: DatasetSpec, *, name: str, category: str, template: str,
               extra_notes: list[str]) -> SampleSet:
    """Limit, noise and flatten questions into a multiple-choice SampleSet.

    Returns
    -------
    SampleSet with N = sum of k_q rows, ``groups`` [N] (the question of each row), ``questions``,
    labels 1 at each question's answer, label names ``("wrong", "right")``, answer words
    ``("No", "Yes")`` (each row asks "is this option right?").
    """
    n = len(raw) if spec.limit is None else min(len(raw), int(spec.limit))
    notes = list(raw.notes) + extra_notes
    repeated = repeated_options_note(RawQuestions(raw.texts[:n], raw.options[:n], raw.answers[:n]))
    if repeated:
        notes.append(repeated)
    if spec.limit is not None:
        notes.append(f"limit {spec.limit}: the first {n} questions in file order, all their options "
                     "(right and wrong options are not balanced)")
    if spec.noise.kind != "none":
        notes.append(f"noise: {spec.noise.label}, on the question text (not the options)")
    questions = Questions(texts=tuple(apply_noise(raw.texts[:n], spec.noise)), options=tuple(raw.options[:n]),
                          answers=raw.answers[:n], contexts=tuple(raw.contexts[:n]) if raw.contexts else None)
    notes.append(f"multiple choice: {len(questions)} questions, {questions.option_counts}, one prompt per option; "
                 f"chance {questions.chance:.3f} (mean of 1/k)")
    return SampleSet(name=name, category=category, template=template, texts=questions.row_texts,
                     labels=questions.labels, label_names=CHOICE_LABEL_NAMES, answer_words=CHOICE_ANSWER_WORDS,
                     dropped=dict(raw.dropped), notes=tuple(notes), groups=questions.groups, questions=questions)
