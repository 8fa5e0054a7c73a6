"""The reading vector: RepE's LAT rep-reading direction, as the cognition-to-expression paper reads it.

Zou et al., "Representation Engineering: A Top-Down Approach to AI Transparency" (arXiv 2310.01405,
section 3.1, Linear Artificial Tomography) read a concept along the first principal component of
*differences* between representations of stimuli that differ in the concept; their reference code
(``repe/rep_reading_pipeline.py`` and ``repe/rep_readers.py``, ``PCARepReader``) takes differences of
pairs, fits ``PCA(n_components=1)`` and fixes the sign on the training data (``get_signs``: the side on
which the correct option is the maximum more often than the minimum). arXiv 2405.16964 ("Exploring
the LLM Journey from Cognition to Expression with Linear Representations") applies it to
multiple-choice questions.

Here, for the options of one question (or one group of samples):

- pairs: every (label 1, label 0) pair of rows *within one group*: correct minus each wrong option of a
  multiple-choice question, true minus false of a grouped binary pair. Within-question differences
  cancel what the options share (the question's text), which is why groups are needed. Without
  groups (``fit(X, y)``) the rows of the two classes are paired at random (seeded), as RepE pairs
  stimuli when no pairing is given; the probing protocols refuse that case (the top component of
  random-pair differences mostly measures within-class spread, not the concept).
- direction: the first right singular vector of the difference matrix, *not* re-centred. RepE
  shuffles the order inside each pair before its centred PCA so that the mean difference is about
  zero; the uncentred second moment of the ordered differences is the same matrix that shuffling
  estimates, without a coin per pair (deterministic) and without the residual mean of the coins.
- sign: + when more training pairs project correct-above-wrong than below (RepE's max-versus-min
  count, read pairwise so that it covers groups of any size); ties go to the sign of the summed
  projections, then +.
- score: the projection ``x . direction_``. Within a question only the order matters; for a binary
  decision the threshold along it is fitted on the training rows as for the mass-mean probe.
"""

from __future__ import annotations

import numpy as np
from scipy.sparse.linalg import svds
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.validation import check_is_fitted, validate_data

from ..core.errors import BadInputError
from .mass_mean import FLOAT_DTYPES, best_threshold, binary_only_tags, two_classes

#: Below this many rows or columns the difference matrix goes through a full SVD.
FULL_SVD_MAX = 64


def difference_pairs(positive: np.ndarray, groups: np.ndarray | None, random_state: int = 42
                     ) -> tuple[np.ndarray, np.ndarray]:
    """(positive rows [M], negative rows [M]) of the pairs whose differences define the reading vector.

    Parameters
    ----------
    positive : [n] bool, the label-1 rows.
    groups : [n] group ids, or None.
    random_state : seed of the random pairing when ``groups`` is None.

    With groups: every (positive, negative) pair inside each group, groups in ascending id order,
    rows in ascending order inside a group. Without: the two classes permuted with
    ``numpy.random.default_rng(random_state)`` and paired in that order (min of the class sizes).
    """
    positive = np.asarray(positive, dtype=bool)
    if groups is None:
        rng = np.random.default_rng(random_state)
        pos, neg = rng.permutation(np.flatnonzero(positive)), rng.permutation(np.flatnonzero(~positive))
        m = min(len(pos), len(neg))
        return pos[:m].astype(np.int64), neg[:m].astype(np.int64)
    groups = np.asarray(groups)
    order = np.lexsort((np.arange(len(groups)), groups))  # by group, then row
    bounds = np.flatnonzero(np.diff(groups[order])) + 1
    pos_out, neg_out = [], []
    for rows in np.split(order, bounds):
        p, n = rows[positive[rows]], rows[~positive[rows]]
        if len(p) and len(n):
            pos_out.append(np.repeat(p, len(n)))
            neg_out.append(np.tile(n, len(p)))
    if not pos_out:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    return np.concatenate(pos_out).astype(np.int64), np.concatenate(neg_out).astype(np.int64)


def first_component(D: np.ndarray) -> np.ndarray:
    """[d] unit first right singular vector of ``D`` [M, d] (uncentred), deterministic up to its sign.

    Small matrices: full SVD; larger: ARPACK (``svds``, k=1) started from the mean row, which costs a
    few matrix-vector products instead of the M x d x min(M, d) of a full decomposition. ARPACK iterates
    in the smaller of the two dimensions, so with fewer rows than features (M < d) the start is the mean
    row's image ``D @ mean`` [M].
    """
    if min(D.shape) <= FULL_SVD_MAX:
        return np.linalg.svd(D, full_matrices=False)[2][0]
    start = D.mean(axis=0)
    if D.shape[0] < D.shape[1]:
        start = D @ start
    if not np.any(start):
        start = np.ones(min(D.shape))
    _, _, vt = svds(D, k=1, v0=start / np.linalg.norm(start), solver="arpack")
    return vt[0]


class ReadingVectorProbe(ClassifierMixin, BaseEstimator):
    """Binary probe along RepE's reading vector (first principal component of pair differences).

    Parameters
    ----------
    random_state : seed of the random pairing when ``fit`` gets no groups.

    Attributes
    ----------
    classes_ : [2] the labels seen in ``fit``.
    direction_ : [D] unit reading vector, signed so that label-1 rows project higher on the training pairs.
    n_pairs_ : number of differences it was fitted on.
    threshold_ : the cut along ``direction_`` with the best training accuracy.
    scale_ : standard deviation of the training projections (1 when they are all equal).
    coef_ : [1, D] ``direction_ / scale_``; ``intercept_`` [1] ``-threshold_ / scale_``.
    n_features_in_ : D.
    """

    def __init__(self, random_state: int = 42) -> None:
        self.random_state = random_state

    def __sklearn_tags__(self):
        return binary_only_tags(super().__sklearn_tags__())

    def fit(self, X: np.ndarray, y: np.ndarray, groups: np.ndarray | None = None) -> "ReadingVectorProbe":
        """Fit on X [n, D], y [n] (two classes) and optional groups [n] (question ids); returns self.

        BadInputError when no group holds rows of both classes (no difference to read).
        """
        X, y = validate_data(self, X, y, dtype=FLOAT_DTYPES)
        self.classes_ = two_classes(y, "reading-vector")
        positive = y == self.classes_[1]
        if groups is not None:
            groups = np.asarray(groups)
            if groups.shape != (len(y),):
                raise ValueError(f"groups must hold one id per sample ({len(y)}), got shape {groups.shape}")
        pos, neg = difference_pairs(positive, groups, self.random_state)
        if not len(pos):
            raise BadInputError("the reading vector needs groups that hold both a correct and a wrong sample")
        X64 = np.asarray(X, dtype=np.float64)
        D = X64[pos] - X64[neg]
        v = first_component(D)
        along = D @ v
        up, down = int((along > 0).sum()), int((along < 0).sum())
        if down > up or (down == up and along.sum() < 0):
            v = -v
        self.direction_ = v
        self.n_pairs_ = int(len(pos))
        scores = X64 @ v
        midpoint = float((scores[positive].mean() + scores[~positive].mean()) / 2)
        self.threshold_ = best_threshold(scores, positive, midpoint)
        spread = float(np.std(scores))
        self.scale_ = spread if spread > 0 else 1.0
        self.coef_ = (v / self.scale_)[None, :]
        self.intercept_ = np.array([-self.threshold_ / self.scale_])
        return self

    def project(self, X: np.ndarray) -> np.ndarray:
        """[n] the reading: ``X . direction_`` (float64)."""
        check_is_fitted(self, "direction_")
        X = validate_data(self, X, dtype=FLOAT_DTYPES, reset=False)
        return np.asarray(X, dtype=np.float64) @ self.direction_

    def decision_function(self, X: np.ndarray) -> np.ndarray:
        """[n] ``(projection - threshold_) / scale_`` (positive = class ``classes_[1]``); same order as
        :meth:`project`."""
        return (self.project(X) - self.threshold_) / self.scale_

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        """[n, 2] class probabilities, ``sigmoid`` of the decision function."""
        p1 = 1.0 / (1.0 + np.exp(-np.clip(self.decision_function(X), -500, 500)))
        return np.stack([1.0 - p1, p1], axis=1)

    def predict(self, X: np.ndarray) -> np.ndarray:
        """[n] predicted labels."""
        positive = self.decision_function(X) > 0
        return self.classes_[positive.astype(int)]
