"""Scoring one layer under a protocol: ``paper`` (one 60/40 split) or ``cv`` (k-fold).

``evaluate_layer`` is the unit of work that is run once per layer (possibly in a
worker process), so it returns plain arrays and counts, including the warnings it
caught: worker warnings would otherwise be lost or flood the terminal.

Without groups the protocols below are the reference's, number for number. With groups (question
ids, pair ids) the split keeps each group on one side and, for multiple choice, the unit of
evaluation is the question: see :mod:`concept_depth.probing.grouped`.
"""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass, field

import numpy as np
from sklearn.model_selection import StratifiedKFold, train_test_split
from threadpoolctl import threadpool_limits

from ..core.errors import BadInputError
from ..core.specs import ProbeSpec
from .fitting import control_labels, fit_score
from .grouped import GroupedOutput, run_grouped
from .metrics import majority_rate, mean_std


@dataclass(frozen=True)
class LayerEval:
    """Scores and predictions of one layer.

    Attributes
    ----------
    layer : layer number.
    scores : accuracy, f1, auc, their ``*_std`` (None under ``paper``), control_accuracy,
        control_accuracy_std (None when no control was run). Multiple choice: accuracy per
        question, auc per option (correct against wrong options of the evaluated questions), f1 NaN.
    chance : majority-class rate of the evaluation samples; multiple choice: mean 1/k over the
        evaluated questions.
    n_eval : number of evaluation units: samples (test split, or all N out-of-fold under ``cv``);
        multiple choice: questions.
    proba : [N] probability of class 1 (NaN where not evaluated), or None if not kept.
    pred : [N] predicted label (-1 where not evaluated), or None. Multiple choice: 1 for the option
        picked, 0 for the other options of an evaluated question.
    is_eval : [N] bool, True for evaluation samples (options of evaluated questions), or None.
    warnings : warning category name -> number caught while fitting.
    messages : warning category name -> first message text.
    seconds : wall time of this layer.
    multiple_choice : True when the units are questions (the fields below are then set).
    score : [N] the value options were ranked by (decision value; P(class 1) for the random forest),
        NaN where not evaluated; kept with the predictions, else None.
    unit_ids : [Q] question ids (distinct group ids, ascending); None unless multiple choice.
    unit_options : [Q] number of options k of each question.
    unit_is_eval : [Q] bool, the question was evaluated.
    unit_correct : [Q] bool, the probe's top-scored option is the question's correct one (False
        where not evaluated): the bit per evaluation unit of the paired comparisons.
    unit_pick : [Q] row of the option picked (-1 where not evaluated).
    """

    layer: int
    scores: dict
    chance: float
    n_eval: int
    proba: np.ndarray | None = None
    pred: np.ndarray | None = None
    is_eval: np.ndarray | None = None
    warnings: dict = field(default_factory=dict)
    messages: dict = field(default_factory=dict)
    seconds: float = 0.0
    multiple_choice: bool = False
    score: np.ndarray | None = None
    unit_ids: np.ndarray | None = None
    unit_options: np.ndarray | None = None
    unit_is_eval: np.ndarray | None = None
    unit_correct: np.ndarray | None = None
    unit_pick: np.ndarray | None = None

    @property
    def eval_chances(self) -> np.ndarray | None:
        """[n_eval] chance of each evaluated question (1/k), for the binomial test; None unless
        multiple choice (every sample then has the same chance, ``chance``)."""
        if self.unit_options is None or self.unit_is_eval is None:
            return None
        return 1.0 / self.unit_options[self.unit_is_eval].astype(np.float64)


def check_labels(y: np.ndarray, spec: ProbeSpec) -> None:
    """Raise BadInputError when ``y`` [N] cannot be probed under ``spec``."""
    y = np.asarray(y)
    classes, counts = np.unique(y, return_counts=True)
    if len(classes) != 2:
        raise BadInputError(f"probing needs two classes, found {len(classes)} (labels {classes.tolist()})")
    if spec.protocol == "cv" and counts.min() < spec.folds:
        raise BadInputError(f"{spec.folds}-fold cross-validation needs at least {spec.folds} samples per class, "
                            f"found {int(counts.min())}; lower --folds or raise --limit")
    if spec.protocol == "paper" and len(y) < 5:
        raise BadInputError(f"the 60/40 split needs at least 5 samples, found {len(y)}")


def _paper(X, y, spec: ProbeSpec, keep: bool):
    n = len(y)
    idx = np.arange(n)
    # Same call as the reference; idx rides along without changing the permutation.
    X_tr, X_te, y_tr, y_te, i_tr, i_te = train_test_split(X, y, idx, test_size=spec.test_size,
                                                       random_state=spec.seed)
    if len(np.unique(y_tr)) < 2:
        raise BadInputError("the training split holds one class only; use more samples")
    scores, pred, proba = fit_score(X_tr, y_tr, X_te, y_te, spec, scale=False)
    out = {**scores, "accuracy_std": None, "f1_std": None, "auc_std": None,
           "control_accuracy": None, "control_accuracy_std": None}
    if spec.control:
        yc = control_labels(y, spec.seed)
        yc_tr, yc_te = yc[i_tr], yc[i_te]  # same split, shuffled labels
        if len(np.unique(yc_tr)) == 2:
            c_scores, _, _ = fit_score(X_tr, yc_tr, X_te, yc_te, spec, scale=False)
            out["control_accuracy"] = c_scores["accuracy"]
    arrays = None
    if keep:
        full_proba = np.full(n, np.nan)
        full_pred = np.full(n, -1, dtype=np.int64)
        full_proba[i_te], full_pred[i_te] = proba, pred
        is_eval = np.zeros(n, dtype=bool)
        is_eval[i_te] = True
        arrays = (full_proba, full_pred, is_eval)
    return out, majority_rate(y_te), len(y_te), arrays


def _cv(X, y, spec: ProbeSpec, keep: bool):
    n = len(y)
    skf = StratifiedKFold(n_splits=spec.folds, shuffle=True, random_state=spec.seed)
    per = {"accuracy": [], "f1": [], "auc": []}
    oof_proba = np.full(n, np.nan)
    oof_pred = np.full(n, -1, dtype=np.int64)
    for tr, te in skf.split(X, y):
        scores, pred, proba = fit_score(X[tr], y[tr], X[te], y[te], spec, scale=True)
        for k in per:
            per[k].append(scores[k])
        oof_proba[te], oof_pred[te] = proba, pred
    out = {}
    for k, values in per.items():
        out[k], out[f"{k}_std"] = mean_std(values)
    out["control_accuracy"] = out["control_accuracy_std"] = None
    if spec.control:
        yc = control_labels(y, spec.seed)
        accs = [fit_score(X[tr], yc[tr], X[te], yc[te], spec, scale=True)[0]["accuracy"]
                for tr, te in skf.split(X, yc)]
        out["control_accuracy"], out["control_accuracy_std"] = mean_std(accs)
    arrays = (oof_proba, oof_pred, np.ones(n, dtype=bool)) if keep else None
    return out, majority_rate(y), n, arrays


def _check_grouping(y: np.ndarray, spec: ProbeSpec, groups, multiple_choice: bool) -> np.ndarray | None:
    """``groups`` as an int64 [N] array (None without groups); BadInputError for a combination that is
    not defined."""
    if groups is None:
        if multiple_choice:
            raise BadInputError("multiple-choice probing needs the question id of every option (groups)")
        if spec.probe == "reading":
            raise BadInputError("the reading vector (RepE LAT) reads differences inside groups: it needs a "
                                "multiple-choice dataset or a group column; use --probe lr or mass-mean here")
        return None
    g = np.asarray(groups)
    if g.shape != y.shape:
        raise BadInputError(f"groups must hold one id per sample: {g.size} ids for {y.size} samples")
    if not np.issubdtype(g.dtype, np.integer):
        raise BadInputError("group ids must be whole numbers")
    return g.astype(np.int64, copy=False)


def evaluate_layer(X: np.ndarray, y: np.ndarray, spec: ProbeSpec, layer: int = 0,
                   keep_predictions: bool = False, *, groups: np.ndarray | None = None,
                   multiple_choice: bool = False) -> LayerEval:
    """Score the probe of ``spec`` on one layer.

    Parameters
    ----------
    X : [N, D] layer vectors (float32 as stored; not copied or rescaled under ``paper``).
    y : [N] labels 0/1 (multiple choice: 1 = the correct option of its question).
    spec : protocol, probe, folds, seed, test size, control on/off.
    layer : layer number, carried into the result.
    keep_predictions : also return per-sample probabilities and predictions.
    groups : [N] int group ids (question ids, pair ids), or None. With groups no group is split
        across training and evaluation; without, every number is the ungrouped protocol's.
    multiple_choice : the samples are options of questions (``groups`` = question ids): accuracy,
        chance, control and ``n_eval`` are per question (see :class:`LayerEval`).
    """
    y = np.asarray(y)
    groups = _check_grouping(y, spec, groups, multiple_choice)
    if not multiple_choice:
        check_labels(y, spec)
    t0 = time.perf_counter()
    # One BLAS/OpenMP thread per fit: parallelism comes from probing layers side by side, and
    # multi-threaded lbfgs on small problems spins (measured 15x slower on a busy 2-core box).
    with warnings.catch_warnings(record=True) as caught, threadpool_limits(limits=1):
        # "always": count every occurrence (the default filter would show each once per place).
        warnings.simplefilter("always")
        if groups is None:
            run = _paper if spec.protocol == "paper" else _cv
            out = GroupedOutput(*run(X, y, spec, keep_predictions))
        else:
            out = run_grouped(X, y, groups, spec, keep_predictions, multiple_choice)
    counts: dict[str, int] = {}
    messages: dict[str, str] = {}
    for w in caught:
        name = w.category.__name__
        counts[name] = counts.get(name, 0) + 1
        messages.setdefault(name, str(w.message).strip().splitlines()[0])
    proba, pred, is_eval = out.arrays if out.arrays else (None, None, None)
    q = out.questions
    return LayerEval(layer=int(layer), scores=out.scores, chance=out.chance, n_eval=int(out.n_eval), proba=proba,
                     pred=pred, is_eval=is_eval, warnings=counts, messages=messages,
                     seconds=time.perf_counter() - t0, multiple_choice=bool(multiple_choice), score=out.score,
                     unit_ids=None if q is None else q.ids, unit_options=None if q is None else q.options,
                     unit_is_eval=None if q is None else q.is_eval, unit_correct=None if q is None else q.correct,
                     unit_pick=None if q is None else q.pick)
