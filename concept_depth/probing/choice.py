"""Multiple-choice scoring: the samples are the options of questions, and the unit of evaluation is the question.

A question with k options is k rows that share a group id; its correct option is the row with label 1
(exactly one per question). The probe scores every option; the option with the highest score is the
probe's answer, and the question counts right when that is its correct option. Chance is 1/k for a
question, so the chance of a set of questions is the mean of their 1/k.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.metrics import roc_auc_score

from ..core.errors import BadInputError

#: The most options a question may have (outcome records keep k as one byte).
MAX_OPTIONS = 255


@dataclass(frozen=True)
class Questions:
    """The question structure of N option rows.

    Attributes
    ----------
    ids : [Q] the distinct group ids, ascending (question q is ``ids[q]``).
    index : [N] question index (into ``ids``) of each row.
    options : [Q] number of options k of each question.
    correct_row : [Q] row of each question's correct option.
    """

    ids: np.ndarray
    index: np.ndarray
    options: np.ndarray
    correct_row: np.ndarray

    @property
    def n(self) -> int:
        return len(self.ids)

    def chance(self, units: np.ndarray) -> float:
        """Mean 1/k over the questions ``units`` [q] (indices into ``ids``)."""
        return float(np.mean(1.0 / self.options[units])) if len(units) else float("nan")


def questions_of(y: np.ndarray, groups: np.ndarray) -> Questions:
    """The :class:`Questions` of labels ``y`` [N] (1 = correct option) and ``groups`` [N] (question ids).

    BadInputError (one line) when a label is not 0/1, a question has other than exactly one correct
    option, fewer than 2 or more than :data:`MAX_OPTIONS` options.
    """
    y = np.asarray(y)
    groups = np.asarray(groups)
    if groups.shape != y.shape:
        raise BadInputError(f"groups must hold one question id per option: {groups.size} ids for {y.size} options")
    if not np.isin(y, (0, 1)).all():
        raise BadInputError("multiple-choice labels must be 1 for the correct option and 0 for the others")
    ids, index = np.unique(groups, return_inverse=True)
    options = np.bincount(index, minlength=len(ids))
    n_correct = np.bincount(index, weights=(y == 1).astype(float), minlength=len(ids)).astype(np.int64)
    bad = np.flatnonzero(n_correct != 1)
    if len(bad):
        q = bad[0]
        raise BadInputError(f"question {ids[q]} has {n_correct[q]} correct options; a question needs exactly one "
                            f"({len(bad)} question(s) like this)")
    if options.min() < 2 or options.max() > MAX_OPTIONS:
        q = int(np.argmin(options)) if options.min() < 2 else int(np.argmax(options))
        raise BadInputError(f"question {ids[q]} has {options[q]} option(s); a question needs 2 to {MAX_OPTIONS}")
    correct_row = np.zeros(len(ids), dtype=np.int64)
    rows = np.flatnonzero(y == 1)
    correct_row[index[rows]] = rows
    return Questions(ids=ids, index=index.astype(np.int64), options=options.astype(np.int64),
                     correct_row=correct_row)


def _first_per_question(order: np.ndarray, index: np.ndarray) -> np.ndarray:
    """The first row of each question in ``order`` (rows sorted by question first)."""
    q = index[order]
    starts = np.concatenate([[0], np.flatnonzero(np.diff(q)) + 1])
    return order[starts]


def pick(scores: np.ndarray, rows: np.ndarray, questions: Questions) -> tuple[np.ndarray, np.ndarray]:
    """(questions [q], picked rows [q]): the top-scored option of every question among ``rows``.

    scores : [len(rows)] the probe's score of each of ``rows``; rows must cover whole questions.
    Ties go to the option that comes first (lowest row), a fixed rule, not a random one.
    """
    rows = np.asarray(rows, dtype=np.int64)
    order = rows[np.lexsort((rows, -np.asarray(scores, dtype=np.float64), questions.index[rows]))]
    picked = _first_per_question(order, questions.index)
    return questions.index[picked], picked


def choice_scores(y: np.ndarray, scores: np.ndarray, rows: np.ndarray, questions: Questions
                  ) -> tuple[dict[str, float], np.ndarray, np.ndarray, np.ndarray]:
    """Per-question accuracy of one evaluation, with the per-option ROC-AUC.

    Parameters
    ----------
    y : [N] labels (1 = correct option).
    scores : [len(rows)] probe scores of the evaluated rows.
    rows : evaluated rows (whole questions).
    questions : the structure of all N rows.

    Returns
    -------
    (scores dict, units [q], picked rows [q], right [q] bool): ``accuracy`` = share of the q questions whose top-scored
    option is the correct one; ``auc`` = ROC-AUC of the scores over the evaluated *options* (correct
    against wrong, pooled over questions); ``f1`` = NaN (no per-question F1: with one answer and one
    correct option per question it would equal the accuracy).
    """
    units, picked = pick(scores, rows, questions)
    right = picked == questions.correct_row[units]
    auc = float(roc_auc_score(np.asarray(y)[rows], scores))
    return {"accuracy": float(right.mean()), "f1": float("nan"), "auc": auc}, units, picked, right


def question_control_labels(questions: Questions, seed: int) -> np.ndarray:
    """[N] control labels: in every question one option, drawn uniformly with
    ``numpy.random.default_rng(seed)``, is marked correct (1), the others 0. The shuffled-label control
    of multiple choice: what a probe reads when "correct" means nothing, still one per question."""
    keys = np.random.default_rng(seed).random(len(questions.index))
    order = np.lexsort((-keys, questions.index))
    out = np.zeros(len(questions.index), dtype=np.int64)
    out[_first_per_question(order, questions.index)] = 1
    return out
