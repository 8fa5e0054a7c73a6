"""The protocols' splits as index arrays: the paper protocol's 60/40 split (by sample, or by group) and
the k folds of ``cv`` with groups. Shared by every analysis that fits on one part and tests on another
(transfer, direction stability, steering), so that all of them split the same way."""

from __future__ import annotations

import numpy as np
from sklearn.model_selection import StratifiedGroupKFold, train_test_split

from ..core.errors import BadInputError


def paper_split(n: int, seed: int = 42, test_size: float = 0.4, *, groups: np.ndarray | None = None
                ) -> tuple[np.ndarray, np.ndarray]:
    """(train indices, test indices) of the paper protocol's split of n samples.

    Without ``groups``: ``train_test_split(arange(n), test_size, random_state=seed)``, the same
    permutation the paper protocol draws (it depends on n and the seed only).

    With ``groups`` [n] (question ids, pair ids): the distinct group ids, ascending, are split by
    ``train_test_split(ids, test_size, random_state=seed)`` and every sample follows its group, so no
    group has samples on both sides. Both index arrays are then in ascending sample order.
    """
    if groups is None:
        train, test = train_test_split(np.arange(n), test_size=test_size, random_state=seed)
        return np.asarray(train, dtype=np.int64), np.asarray(test, dtype=np.int64)
    groups = np.asarray(groups)
    if groups.shape != (n,):
        raise BadInputError(f"groups must hold one id per sample: {groups.size} ids for {n} samples")
    ids = np.unique(groups)
    if len(ids) < 2:
        raise BadInputError(f"a split by group needs at least 2 groups, found {len(ids)}")
    _, test_ids = train_test_split(ids, test_size=test_size, random_state=seed)
    in_test = np.isin(groups, test_ids)
    return np.flatnonzero(~in_test).astype(np.int64), np.flatnonzero(in_test).astype(np.int64)


def group_folds(y: np.ndarray, groups: np.ndarray, folds: int, seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """The ``cv`` protocol's folds with groups: ``StratifiedGroupKFold(folds, shuffle=True,
    random_state=seed)`` on labels ``y`` [n] and ``groups`` [n]; (train, test) index arrays per fold.

    Every group lies in one test fold only; labels are balanced across folds as far as whole groups
    allow (for multiple-choice questions, one correct option each, that spreads the option counts).
    """
    n_groups = len(np.unique(groups))
    if n_groups < folds:
        raise BadInputError(f"{folds}-fold cross-validation by group needs at least {folds} groups, found {n_groups}; "
                            "lower --folds or raise --limit")
    splitter = StratifiedGroupKFold(n_splits=folds, shuffle=True, random_state=seed)
    return [(np.asarray(tr, dtype=np.int64), np.asarray(te, dtype=np.int64))
            for tr, te in splitter.split(np.zeros((len(y), 1)), y, groups)]
