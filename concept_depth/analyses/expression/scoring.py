"""Pure functions from answer-token logits to answers, accuracies and pass@n.

Definitions (N prompts, labels y in {0, 1}):

- p1 = p(class 1) = P(ids of word 1) / (P(ids of word 0) + P(ids of word 1)), the model's
  next-token probabilities summed over each word's tokens and renormalised over the two
  words (the softmax normaliser cancels, so only the answer columns are needed).
- answer: class 1 when p1 > 0.5 (greedy / argmax answer); *answer accuracy* is its mean
  correctness.
- p_correct = p1 if y = 1 else 1 - p1: the chance that one answer *sampled* from the
  two-way distribution is right.
- pass@n = mean over prompts of 1 - (1 - p_correct)^n: the chance that at least one of n
  independent sampled answers is right (exact, no sampling noise). pass@1 = mean p_correct,
  the expected accuracy of a sampled answer; it equals answer accuracy only when every
  p_correct is 0 or 1. pass@n rises to the share of prompts with p_correct > 0.
- pass@n says little for two-way answers: a coin flipper (p_correct = 0.5 everywhere) reaches
  1 - 0.5^n, so pass@16 of a coin flipper is 1 - 0.5^16 = 0.99998.
- maj@n (odd n) = mean over prompts of P(Binomial(n, p_correct) > n/2): the accuracy of the
  majority answer of n sampled answers (self-consistency voting), exact. A coin flipper stays
  at 0.5 for every n; a model rises towards the share of prompts with p_correct > 0.5
  (its greedy accuracy) as n grows. maj@1 = pass@1.
- answer AUC: ROC-AUC of p1 against the labels; 0.5 = no signal. A model that always says
  "Yes" has answer accuracy = the share of class 1 but may still rank the classes (AUC > 0.5).
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
from scipy.stats import binom
from sklearn.metrics import roc_auc_score


def _logsumexp(x: np.ndarray, axis: int = -1) -> np.ndarray:
    m = np.max(x, axis=axis, keepdims=True)
    return (m + np.log(np.sum(np.exp(x - m), axis=axis, keepdims=True))).squeeze(axis)


def two_way_p1(answer_logits: np.ndarray, n_class0: int) -> np.ndarray:
    """p(class 1) from answer-token logits.

    answer_logits: [..., K] logits of the class-0 tokens (first ``n_class0`` columns) then the
    class-1 tokens -> [...] float64 in [0, 1].
    """
    z = np.asarray(answer_logits, dtype=np.float64)
    lse0 = _logsumexp(z[..., :n_class0])
    lse1 = _logsumexp(z[..., n_class0:])
    return 1.0 / (1.0 + np.exp(lse0 - lse1))


def answer_mass(answer_logits: np.ndarray, full_lse: np.ndarray) -> np.ndarray:
    """Share of the full next-token probability on the answer tokens. [N, K], [N] -> [N]."""
    return np.exp(_logsumexp(np.asarray(answer_logits, dtype=np.float64)) - np.asarray(full_lse, dtype=np.float64))


def predictions(p1: np.ndarray) -> np.ndarray:
    """Greedy answers: 1 where p1 > 0.5 (ties go to class 0). [...] -> [...] int."""
    return (np.asarray(p1) > 0.5).astype(np.int64)


def answer_accuracy(p1: np.ndarray, labels: np.ndarray) -> float:
    """Mean correctness of the greedy answers. p1: [N], labels: [N]."""
    return float(np.mean(predictions(p1) == np.asarray(labels)))


def p_correct(p1: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Probability that a sampled answer is right. [N], [N] -> [N]."""
    p1 = np.asarray(p1, dtype=np.float64)
    return np.where(np.asarray(labels) == 1, p1, 1.0 - p1)


def pass_at_n(p_right: np.ndarray, ns: Sequence[int]) -> list[float]:
    """Exact pass@n for each n: mean of 1 - (1 - p_correct)^n over prompts."""
    p_right = np.asarray(p_right, dtype=np.float64)
    return [float(np.mean(1.0 - (1.0 - p_right) ** int(n))) for n in ns]


def maj_at_n(p_right: np.ndarray, ns: Sequence[int]) -> list[float]:
    """Exact majority-vote accuracy for each odd n: mean over prompts of P(Binomial(n, p_correct) > n/2).

    p_right: [N] p_correct per prompt. Even n are refused (a tie has no majority answer).
    """

    p_right = np.asarray(p_right, dtype=np.float64)
    out = []
    for n in ns:
        n = int(n)
        if n < 1 or n % 2 == 0:
            raise ValueError(f"maj@n needs an odd n >= 1, got {n}")
        out.append(float(np.mean(binom.sf(n // 2, n, p_right))))  # P(X > n//2) = P(X >= (n+1)/2)
    return out


def maj_table(p_right: np.ndarray, max_n: int) -> list[dict[str, float]]:
    """``[{"n": n, "maj": maj@n}]`` for the odd n = 1, 3, ... <= max_n (as stored in results)."""
    ns = list(range(1, int(max_n) + 1, 2))
    return [{"n": n, "maj": v} for n, v in zip(ns, maj_at_n(p_right, ns))]


def coin_flipper_pass_at_n(ns: Sequence[int]) -> list[float]:
    """pass@n of a random guesser between two answers: 1 - 0.5^n (its maj@n is 0.5 for every n)."""
    return [1.0 - 0.5 ** int(n) for n in ns]


def answer_auc(p1: np.ndarray, labels: np.ndarray) -> float | None:
    """ROC-AUC of p1 against the labels: does the answer distribution rank the classes right,
    whatever its bias? None when only one class is present. [N], [N] -> float."""

    labels = np.asarray(labels)
    if len(np.unique(labels)) < 2:
        return None
    return float(roc_auc_score(labels, np.asarray(p1, dtype=np.float64)))


def layer_accuracies(lens_p1: np.ndarray, labels: np.ndarray) -> tuple[list[float], list[float]]:
    """Per-layer greedy accuracy and pass@1. lens_p1: [N, L+1], labels: [N] -> two lists of L+1."""
    acc = [answer_accuracy(lens_p1[:, j], labels) for j in range(lens_p1.shape[1])]
    p1 = [float(np.mean(p_correct(lens_p1[:, j], labels))) for j in range(lens_p1.shape[1])]
    return acc, p1
