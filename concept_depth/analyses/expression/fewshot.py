"""Few-shot prompts: labelled examples from a held-out pool, prepended to each query.

The pool is drawn once (seeded, balanced by class) and removed from the evaluation set,
so no evaluated sample is ever shown as an example, whatever k. The examples for k
shots are the first k of one seeded ordering of the pool that alternates the classes,
so the k = 2 examples are among the k = 4 ones and curves over k are comparable.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from ...core.errors import BadInputError
from ...datasets.sample_set import render_prompt


def split_pool(labels: np.ndarray, pool_size: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Hold out ``pool_size`` samples (half per class where possible) as examples.

    Returns (pool indices, evaluation indices), disjoint, each sorted ascending.
    """
    labels = np.asarray(labels)
    n = len(labels)
    if pool_size <= 0:
        return np.zeros(0, dtype=np.int64), np.arange(n, dtype=np.int64)
    if pool_size >= n - 1:
        raise BadInputError(f"{n} samples are too few to hold out {pool_size} few-shot examples and still "
                            "evaluate; raise --limit or lower the shots")
    rng = np.random.default_rng(seed)
    by_class = [rng.permutation(np.flatnonzero(labels == c)) for c in (0, 1)]
    take0 = min(len(by_class[0]), pool_size // 2)
    take1 = min(len(by_class[1]), pool_size - take0)
    take0 = min(len(by_class[0]), pool_size - take1)
    pool = np.sort(np.concatenate([by_class[0][:take0], by_class[1][:take1]])).astype(np.int64)
    evaluation = np.setdiff1d(np.arange(n, dtype=np.int64), pool)
    return pool, evaluation


def example_order(pool: np.ndarray, labels: np.ndarray, seed: int) -> np.ndarray:
    """The pool in the order examples are used: seeded, classes alternating while both last."""
    rng = np.random.default_rng(seed + 1)
    labels = np.asarray(labels)
    queues = [list(rng.permutation(pool[labels[pool] == c])) for c in (0, 1)]
    c = int(rng.integers(2))
    out: list[int] = []
    while queues[0] or queues[1]:
        if not queues[c]:
            c = 1 - c
        out.append(int(queues[c].pop(0)))
        c = 1 - c
    return np.array(out, dtype=np.int64)


def build_prompt(template: str, query_text: str, examples: Sequence[tuple[str, str]], cue: str = "") -> str:
    """The query prompt after k solved examples, all in the dataset's own prompt format.

    Each example is ``render(template, text) + cue + " " + answer_word``; examples and the
    query are separated by a blank line. ``cue`` (e.g. ``"\\nAnswer:"``) ends every prompt.
    """
    shots = "".join(f"{render_prompt(template, text)}{cue} {word}\n\n" for text, word in examples)
    return f"{shots}{render_prompt(template, query_text)}{cue}"
