"""The paper protocol's train/test split as index arrays, shared by every analysis that fits on one
dataset and tests on another (transfer, direction stability, steering)."""

from __future__ import annotations

import numpy as np
from sklearn.model_selection import train_test_split


def paper_split(n: int, seed: int = 42, test_size: float = 0.4) -> tuple[np.ndarray, np.ndarray]:
    """(train indices, test indices) of ``train_test_split(..., test_size, random_state=seed)`` on n
    samples: the same permutation the paper protocol draws (it depends on n and the seed only)."""

    train, test = train_test_split(np.arange(n), test_size=test_size, random_state=seed)
    return np.asarray(train, dtype=np.int64), np.asarray(test, dtype=np.int64)
