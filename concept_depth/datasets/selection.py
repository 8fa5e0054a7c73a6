"""Deterministic sample selection: class caps, ``limit``, and the reference's arrangement."""

from __future__ import annotations

import numpy as np

from ..core.errors import BadInputError


def select_indices(labels: np.ndarray, caps: tuple[int, int] | None = None, limit: int | None = None) -> np.ndarray:
    """Indices kept, in file order: the first ``cap`` of each class, then the first ``limit // 2``.

    Parameters
    ----------
    labels : [N] int 0/1 in file order.
    caps : (cap of class 0, cap of class 1), the dataset's own caps (None = all).
    limit : keep at most ``limit // 2`` samples of each class (None = no limit).

    Returns
    -------
    [M] int64 indices into ``labels``, increasing.
    """
    labels = np.asarray(labels)
    if limit is not None:
        if int(limit) < 2:
            raise BadInputError(f"limit must be at least 2 (one sample per class), got {limit}")
        limit = int(limit)
    keep = []
    for cls in (0, 1):
        idx = np.flatnonzero(labels == cls)
        if caps is not None and caps[cls] is not None:
            idx = idx[: caps[cls]]
        if limit is not None:
            idx = idx[: limit // 2]
        keep.append(idx)
    return np.sort(np.concatenate(keep)).astype(np.int64)


def reference_arrangement(labels: np.ndarray, first: int) -> np.ndarray:
    """Permutation putting every sample of class ``first`` before the others, each in file order.

    The reference code concatenates its two class lists; arranging ours the same way makes the
    paper protocol's ``train_test_split(random_state=42)`` pick the same samples.
    """
    labels = np.asarray(labels)
    return np.concatenate([np.flatnonzero(labels == first), np.flatnonzero(labels != first)]).astype(np.int64)
