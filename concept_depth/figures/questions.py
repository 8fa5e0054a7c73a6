"""A multiple-choice run seen question by question: each prompt's hover names its question, all of that
question's options, the right one and (with predictions) the one the probe picked; the Layers page's
tables list held-out questions the probe gets right and wrong.

A multiple-choice run's prompts are its questions' options, one row each (``datasets.sample_set``): row i
is ``Question: <question>\\nAnswer: <option>`` (after a passage for RACE), the rows of one question
contiguous and in option order; the run keeps the questions' sizes (``analyses.probe.groups_of``).
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from ..analyses.probe import groups_of
from ..datasets import LETTERS
from ..results.run import RunResult

QUESTION_HEAD, ANSWER_HEAD = "Question: ", "\nAnswer: "
RIGHT_MARK, PICK_MARK = "✓ right", "← probe's pick"


@dataclass(frozen=True)
class QuestionView:
    """One question of a run: its text, its options (in order), the rows they are, the right option's
    index, and (with predictions) whether it was held out and which option the probe picked (-1: none)."""

    question: str
    options: tuple[str, ...]
    rows: tuple[int, ...]
    answer: int
    evaluated: bool = False
    picked: int = -1
    confidence: float = float("nan")

    @property
    def right(self) -> bool:
        return self.evaluated and self.picked == self.answer

    def option_line(self, i: int) -> str:
        marks = [m for m, on in ((RIGHT_MARK, i == self.answer), (PICK_MARK, self.evaluated and i == self.picked))
                 if on]
        return f"{LETTERS[i]}) {self.options[i]}" + (f" {' '.join(marks)}" if marks else "")


def split_option_text(text: str) -> tuple[str, str]:
    """(question, option) of one option row's text; ("", text) when it is not in that form."""
    head, sep, option = str(text).rpartition(ANSWER_HEAD)
    if not sep:
        return "", str(text)
    _, found, question = head.rpartition(QUESTION_HEAD)
    return (question if found else head).strip(), option.strip()


def is_multiple_choice(run: RunResult) -> bool:
    return isinstance(run.extra.get("multiple_choice"), dict) and groups_of(run) is not None


def question_views(run: RunResult, texts: Sequence[str], labels: np.ndarray, *, pred: np.ndarray | None = None,
                   is_eval: np.ndarray | None = None, proba: np.ndarray | None = None) -> list[QuestionView]:
    """The questions of a multiple-choice ``run`` from its rows' ``texts`` and ``labels`` [N] (1 = right
    option); ``pred`` [N] (1 for the option the probe picked), ``is_eval`` [N] and ``proba`` [N] (the probe's
    P(right) of each option) from ``layer_predictions``. The confidence of a pick is its share of the
    question's summed P(right). ValueError when the run is not multiple choice or its rows do not match."""
    groups = groups_of(run)
    if groups is None or not is_multiple_choice(run):
        raise ValueError("not a multiple-choice run: it keeps no questions")
    labels = np.asarray(labels)
    if len(groups) != len(texts) or len(labels) != len(texts):
        raise ValueError(f"the run has {len(groups)} option rows, the vectors {len(texts)}")
    views = []
    for q in range(int(groups.max()) + 1 if len(groups) else 0):
        rows = np.flatnonzero(groups == q)
        split = [split_option_text(texts[i]) for i in rows]
        right = np.flatnonzero(labels[rows] == 1)
        evaluated = bool(is_eval is not None and np.asarray(is_eval)[rows].all())
        picked = -1
        confidence = float("nan")
        if evaluated and pred is not None:
            chosen = np.flatnonzero(np.asarray(pred)[rows] == 1)
            picked = int(chosen[0]) if len(chosen) else -1
            if picked >= 0 and proba is not None:
                p = np.asarray(proba, dtype=float)[rows]
                if np.isfinite(p).all() and p.sum() > 0:
                    confidence = float(p[picked] / p.sum())
        views.append(QuestionView(question=split[0][0], options=tuple(o for _, o in split),
                                  rows=tuple(int(i) for i in rows), answer=int(right[0]) if len(right) else -1,
                                  evaluated=evaluated, picked=picked, confidence=confidence))
    return views


def option_hovers(views: Sequence[QuestionView], n: int, limit: int = 160) -> list[str]:
    """[n] hover text of each row: its question, then every option of it on its own line (the right one
    and the probe's pick marked, the row's own option in bold), HTML-escaped and joined with ``<br>``."""
    out = [""] * n
    for v in views:
        lines = [html.escape(_cut(v.question, limit), quote=False)]
        for i, row in enumerate(v.rows):
            option = [html.escape(_cut(v.option_line(k), limit), quote=False) for k in range(len(v.options))]
            option[i] = f"<b>{option[i]}</b>"
            out[row] = "<br>".join(lines + option)
    return out


def question_table(views: Sequence[QuestionView], *, right: bool, top: int = 5) -> list[dict]:
    """Up to ``top`` held-out questions the probe gets right (or wrong), most confident first: question,
    options (the right one and the pick marked), the probe's pick and the answer as letters, confidence."""
    chosen = [v for v in views if v.evaluated and v.picked >= 0 and v.right == right]
    chosen.sort(key=lambda v: -v.confidence if np.isfinite(v.confidence) else 0.0)
    return [{"question": v.question, "options": " · ".join(v.option_line(i) for i in range(len(v.options))),
             "probe's pick": LETTERS[v.picked], "answer": LETTERS[v.answer] if v.answer >= 0 else "?",
             "confidence": "" if not np.isfinite(v.confidence) else f"{v.confidence:.2f}"} for v in chosen[:top]]


def _cut(text: str, limit: int) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


__all__ = ["QuestionView", "split_option_text", "is_multiple_choice", "question_views", "option_hovers",
           "question_table", "RIGHT_MARK", "PICK_MARK"]
