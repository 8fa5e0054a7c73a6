"""Deterministic sample selection: class caps, ``limit``, and the reference's arrangement."""

from __future__ import annotations

import numpy as np

from ..core.errors import BadInputError


def _checked_limit(limit: int | None) -> int | None:
    if limit is not None and int(limit) < 2:
        raise BadInputError(f"limit must be at least 2 (one sample per class), got {limit}")
    return None if limit is None else int(limit)


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
    limit = _checked_limit(limit)
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


def group_ids(keys) -> np.ndarray:
    """[N] group keys -> [N] int64 ids numbered by first appearance (None: a group of its own)."""
    ids: dict = {}
    out = np.empty(len(keys), dtype=np.int64)
    for i, key in enumerate(keys):
        out[i] = ids.setdefault(key if key is not None else ("row", i), len(ids))
    return out


def select_groups(labels: np.ndarray, ids: np.ndarray, caps: tuple[int, int] | None = None,
                  limit: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Rows kept when groups may not be cut: whole groups, in order of first appearance.

    A group is kept when its rows of each class still fit that class's cap (``caps`` and
    ``limit // 2`` as in :func:`select_indices`); a group that would overflow one is skipped and
    later groups are still tried. Without caps or limit every group is kept.

    Parameters
    ----------
    labels : [N] int 0/1 in file order.
    ids : [N] int64 group id of each row (:func:`group_ids`).

    Returns
    -------
    order : [M] int64 row indices, group by group (each group's rows in file order).
    groups : [M] int64 new group ids 0..G-1, contiguous, in the kept groups' order.
    """
    labels, ids = np.asarray(labels), np.asarray(ids, dtype=np.int64)
    limit = _checked_limit(limit)
    room = []
    for cls in (0, 1):
        cap = caps[cls] if caps is not None and caps[cls] is not None else len(labels)
        room.append(min(cap, limit // 2) if limit is not None else cap)
    members: dict[int, list[int]] = {}
    for i, g in enumerate(ids):
        members.setdefault(int(g), []).append(i)
    order, groups, kept = [], [], 0
    for rows in members.values():  # dicts keep insertion order: first appearance
        if room == [0, 0]:
            break
        need = [sum(1 for i in rows if labels[i] == cls) for cls in (0, 1)]
        if need[0] > room[0] or need[1] > room[1]:
            continue
        room = [room[0] - need[0], room[1] - need[1]]
        groups.extend([kept] * len(rows))
        order.extend(rows)
        kept += 1
    return np.asarray(order, dtype=np.int64), np.asarray(groups, dtype=np.int64)
