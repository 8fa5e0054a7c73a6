"""The protocols with sample groups: binary samples split by group, and multiple-choice questions.

With ``groups`` [N] every protocol keeps a group on one side: ``paper`` splits the distinct group ids
60/40 (``train_test_split(ids, test_size, random_state=seed)``), ``cv`` uses ``StratifiedGroupKFold``
(shuffled with ``seed``, standardisation inside each fold as without groups).

- Binary samples with groups (e.g. counterfact's true/false versions of one fact): scores, chance
  (majority rate of the evaluation samples) and control (labels shuffled over all samples) are those
  of the ungrouped protocol; only the split differs.
- Multiple choice (groups = question ids, label 1 = the correct option): the probe is fitted on the
  options of the training questions (one row per option, label 0/1) and answers each evaluation
  question with its top-scored option; accuracy, chance (mean 1/k) and ``n_eval`` are per question,
  ROC-AUC is per option, F1 is NaN. The control marks one random option of every question correct.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..core.errors import BadInputError
from ..core.specs import ProbeSpec
from .choice import Questions, choice_scores, question_control_labels, questions_of
from .fitting import control_labels, fit_probe, fit_score, ranking_scores
from .metrics import majority_rate, mean_std
from .split import group_folds, paper_split

#: The paper split needs this many groups (as it needs 5 samples without groups).
MIN_GROUPS = 5


@dataclass(frozen=True)
class QuestionOutcomes:
    """Per-question results of one layer (multiple choice).

    Attributes
    ----------
    ids : [Q] question ids (distinct group ids, ascending).
    options : [Q] number of options k of each question.
    is_eval : [Q] bool, the question was evaluated (test split; all under ``cv``).
    correct : [Q] bool, the top-scored option is the correct one (False where not evaluated).
    pick : [Q] row of the option the probe picked (-1 where not evaluated).
    """

    ids: np.ndarray
    options: np.ndarray
    is_eval: np.ndarray
    correct: np.ndarray
    pick: np.ndarray


@dataclass(frozen=True)
class GroupedOutput:
    """What a grouped protocol returns for one layer (``evaluate_layer`` turns it into a LayerEval).

    arrays : (proba [N], pred [N], is_eval [N]) when predictions are kept, else None.
    score : [N] ranking score (multiple choice, kept predictions; NaN where not evaluated), else None.
    questions : per-question results (multiple choice), else None.
    """

    scores: dict
    chance: float
    n_eval: int
    arrays: tuple | None = None
    score: np.ndarray | None = None
    questions: QuestionOutcomes | None = None


def _empty_scores() -> dict:
    return {"accuracy_std": None, "f1_std": None, "auc_std": None,
            "control_accuracy": None, "control_accuracy_std": None}


def _check_group_count(groups: np.ndarray, spec: ProbeSpec) -> None:
    n = len(np.unique(groups))
    if spec.protocol == "paper" and n < MIN_GROUPS:
        raise BadInputError(f"the 60/40 split by group needs at least {MIN_GROUPS} groups, found {n}")


# ---- binary samples, split by group ------------------------------------------------------------
def paper_binary(X, y, groups, spec: ProbeSpec, keep: bool) -> GroupedOutput:
    _check_group_count(groups, spec)
    i_tr, i_te = paper_split(len(y), spec.seed, spec.test_size, groups=groups)
    if len(np.unique(y[i_tr])) < 2:
        raise BadInputError("the training split holds one class only; use more samples")
    scores, pred, proba = fit_score(X[i_tr], y[i_tr], X[i_te], y[i_te], spec, False, groups[i_tr])
    out = {**scores, **_empty_scores()}
    if spec.control:
        yc = control_labels(y, spec.seed)
        if len(np.unique(yc[i_tr])) == 2:
            out["control_accuracy"] = fit_score(X[i_tr], yc[i_tr], X[i_te], yc[i_te], spec, False,
                                                groups[i_tr])[0]["accuracy"]
    arrays = None
    if keep:
        full_proba, full_pred = np.full(len(y), np.nan), np.full(len(y), -1, dtype=np.int64)
        full_proba[i_te], full_pred[i_te] = proba, pred
        is_eval = np.zeros(len(y), dtype=bool)
        is_eval[i_te] = True
        arrays = (full_proba, full_pred, is_eval)
    return GroupedOutput(out, majority_rate(y[i_te]), len(i_te), arrays)


def cv_binary(X, y, groups, spec: ProbeSpec, keep: bool) -> GroupedOutput:
    n = len(y)
    per = {"accuracy": [], "f1": [], "auc": []}
    oof_proba, oof_pred = np.full(n, np.nan), np.full(n, -1, dtype=np.int64)
    for tr, te in group_folds(y, groups, spec.folds, spec.seed):
        scores, pred, proba = fit_score(X[tr], y[tr], X[te], y[te], spec, True, groups[tr])
        for k in per:
            per[k].append(scores[k])
        oof_proba[te], oof_pred[te] = proba, pred
    out = _empty_scores()
    for k, values in per.items():
        out[k], out[f"{k}_std"] = mean_std(values)
    if spec.control:
        yc = control_labels(y, spec.seed)
        accs = [fit_score(X[tr], yc[tr], X[te], yc[te], spec, True, groups[tr])[0]["accuracy"]
                for tr, te in group_folds(yc, groups, spec.folds, spec.seed)]
        out["control_accuracy"], out["control_accuracy_std"] = mean_std(accs)
    arrays = (oof_proba, oof_pred, np.ones(n, dtype=bool)) if keep else None
    return GroupedOutput(out, majority_rate(y), n, arrays)


# ---- multiple choice ------------------------------------------------------------------------
def _answer(X, y, groups, tr, te, spec: ProbeSpec, scale: bool, qs: Questions):
    """Fit on the options of the training questions, answer the evaluation questions."""
    probe = fit_probe(X[tr], y[tr], spec, scale, groups[tr])
    score, proba = ranking_scores(probe, X[te])
    scores, units, picked, right = choice_scores(y, score, te, qs)
    return scores, units, picked, right, score, proba


def _control_accuracy(X, groups, qs: Questions, splits, spec: ProbeSpec, scale: bool) -> list[float]:
    yc = question_control_labels(qs, spec.seed)
    qc = questions_of(yc, groups)
    return [_answer(X, yc, groups, tr, te, spec, scale, qc)[0]["accuracy"] for tr, te in splits(yc)]


def _question_outcomes(qs: Questions, units: np.ndarray, picked: np.ndarray, right: np.ndarray) -> QuestionOutcomes:
    is_eval = np.zeros(qs.n, dtype=bool)
    correct = np.zeros(qs.n, dtype=bool)
    pick = np.full(qs.n, -1, dtype=np.int64)
    is_eval[units], correct[units], pick[units] = True, right, picked
    return QuestionOutcomes(ids=qs.ids, options=qs.options, is_eval=is_eval, correct=correct, pick=pick)


def _kept(n: int, rows: np.ndarray, picked: np.ndarray, proba: np.ndarray, score: np.ndarray,
          full: tuple | None = None):
    """Fill (proba [N], pred [N], is_eval [N], score [N]): pred 1 for the picked option, 0 for the other
    options of an evaluated question, -1 elsewhere."""
    if full is None:
        full = (np.full(n, np.nan), np.full(n, -1, dtype=np.int64), np.zeros(n, dtype=bool), np.full(n, np.nan))
    f_proba, f_pred, f_eval, f_score = full
    f_proba[rows], f_score[rows], f_eval[rows], f_pred[rows] = proba, score, True, 0
    f_pred[picked] = 1
    return full


def paper_choice(X, y, groups, spec: ProbeSpec, keep: bool) -> GroupedOutput:
    qs = questions_of(y, groups)
    _check_group_count(groups, spec)
    i_tr, i_te = paper_split(len(y), spec.seed, spec.test_size, groups=groups)
    scores, units, picked, right, score, proba = _answer(X, y, groups, i_tr, i_te, spec, False, qs)
    out = {**scores, **_empty_scores()}
    if spec.control:
        out["control_accuracy"] = _control_accuracy(X, groups, qs, lambda _yc: [(i_tr, i_te)], spec, False)[0]
    full = _kept(len(y), i_te, picked, proba, score) if keep else None
    return GroupedOutput(out, qs.chance(units), len(units), full[:3] if full else None,
                         full[3] if full else None, _question_outcomes(qs, units, picked, right))


def cv_choice(X, y, groups, spec: ProbeSpec, keep: bool) -> GroupedOutput:
    qs = questions_of(y, groups)
    per = {"accuracy": [], "auc": []}
    all_units, all_picked, all_right = [], [], []
    full = None
    for tr, te in group_folds(y, groups, spec.folds, spec.seed):
        scores, units, picked, right, score, proba = _answer(X, y, groups, tr, te, spec, True, qs)
        for k in per:
            per[k].append(scores[k])
        all_units.append(units)
        all_picked.append(picked)
        all_right.append(right)
        if keep:
            full = _kept(len(y), te, picked, proba, score, full)
    out = _empty_scores()
    for k, values in per.items():
        out[k], out[f"{k}_std"] = mean_std(values)
    out["f1"] = float("nan")
    if spec.control:
        accs = _control_accuracy(X, groups, qs, lambda yc: group_folds(yc, groups, spec.folds, spec.seed), spec,
                                 True)
        out["control_accuracy"], out["control_accuracy_std"] = mean_std(accs)
    units, picked, right = (np.concatenate(a) for a in (all_units, all_picked, all_right))
    return GroupedOutput(out, qs.chance(units), len(units), full[:3] if full else None,
                         full[3] if full else None, _question_outcomes(qs, units, picked, right))


def run_grouped(X, y, groups, spec: ProbeSpec, keep: bool, multiple_choice: bool) -> GroupedOutput:
    """The protocol of ``spec`` with groups [N] (see the module text)."""
    if multiple_choice:
        return (paper_choice if spec.protocol == "paper" else cv_choice)(X, y, groups, spec, keep)
    return (paper_binary if spec.protocol == "paper" else cv_binary)(X, y, groups, spec, keep)
