"""Pure functions from letter logits and option log-likelihoods to answers, accuracies, pass@n and maj@n.

Definitions (Q questions, question q with k_q options and correct option c_q; J = max k_q):

- **letter distribution**: p_q(j) = P(ids of letter j) / sum over the question's k_q letters, the
  model's next-token probabilities summed over each letter's tokens (with and without a leading
  space) and renormalised over the letters the question has (the softmax normaliser cancels).
  The **letter answer** is argmax_j p_q(j) (ties: the first letter); *letter accuracy* is its mean
  correctness. p_correct = p_q(c_q) is the chance that one sampled letter is right.
- **option text**: ll_q(j) = log p(" " + option j | context), summed over the option's tokens.
  The **option-text answer** is argmax_j ll_q(j) / chars(" " + option j): per-character length
  normalisation, OLMES' "character" normalisation (Gu et al. 2024, arXiv 2406.08446) and
  lm-evaluation-harness' ``acc_norm`` (which divides by ``len(choice)``; OLMES counts the leading
  space, as here). Per character rather than per token, so the answer does not depend on how a
  vocabulary happens to split an option. The per-token normalised and unnormalised answers are
  kept beside it.
- **pass@n** = mean over questions of 1 - (1 - p_correct)^n (exact), as for two answers.
- **maj@n** = mean over questions of P(the correct letter wins the plurality vote of n letters
  sampled from p_q), ties between the top options broken uniformly at random (a tie of t options
  counts 1/t). Computed exactly (no sampling) by summing multinomial probabilities; every n has a
  value. For k = 2 and odd n it is the binary maj@n, P(Binomial(n, p_correct) > n/2).
- **uniform guesser** over k_q options: pass@n = mean of 1 - (1 - 1/k_q)^n; maj@n = mean of 1/k_q
  for every n (by symmetry every option wins the vote equally often); its accuracy is the chance
  level, the mean of 1/k_q.
"""

from __future__ import annotations

import math
from typing import Sequence

import numpy as np


def _logsumexp(x: np.ndarray, axis: int = -1) -> np.ndarray:
    m = np.max(x, axis=axis, keepdims=True)
    m = np.where(np.isfinite(m), m, 0.0)
    with np.errstate(divide="ignore"):
        return (m + np.log(np.sum(np.exp(x - m), axis=axis, keepdims=True))).squeeze(axis)


def option_mask(n_options: np.ndarray, width: int) -> np.ndarray:
    """[Q, width] bool: True for the options a question has (j < k_q)."""
    return np.arange(width)[None, :] < np.asarray(n_options)[:, None]


def letter_log_scores(logits: np.ndarray, columns: Sequence[int]) -> np.ndarray:
    """Per-letter log-scores: log of the summed probability of each letter's tokens (unnormalised).

    logits : [..., C] answer-token logits, letter by letter (``columns[j]`` columns for letter j).
    Returns [..., J] float64.
    """
    z = np.asarray(logits, dtype=np.float64)
    edges = np.cumsum([0, *columns])
    return np.stack([_logsumexp(z[..., a:b]) for a, b in zip(edges[:-1], edges[1:])], axis=-1)


def letter_probs(logits: np.ndarray, columns: Sequence[int], n_options: np.ndarray) -> np.ndarray:
    """The letter distribution of each question (see the module docstring).

    logits : [Q, ..., C] answer-token logits, letter by letter; columns : columns per letter (J letters);
    n_options : [Q] k_q. Returns [Q, ..., J] float64, rows summing to 1, 0 on letters the question lacks.
    """
    s = letter_log_scores(logits, columns)
    mask = option_mask(n_options, s.shape[-1]).reshape((len(s),) + (1,) * (s.ndim - 2) + (s.shape[-1],))
    s = np.where(mask, s, -np.inf)
    s = s - _logsumexp(s)[..., None]
    return np.exp(s)


def letter_mass(final: np.ndarray, final_lse: np.ndarray, columns: Sequence[int], n_options: np.ndarray) -> np.ndarray:
    """Share of the full next-token probability on the question's letters. [Q, C], [Q] -> [Q]."""
    s = letter_log_scores(final, columns)
    s = np.where(option_mask(n_options, s.shape[-1]), s, -np.inf)
    return np.exp(_logsumexp(s) - np.asarray(final_lse, dtype=np.float64))


def picks(scores: np.ndarray, n_options: np.ndarray) -> np.ndarray:
    """Each question's answer: the option with the highest score (ties: the first). [Q, ..., J] -> [Q, ...]."""
    s = np.asarray(scores, dtype=np.float64)
    mask = option_mask(n_options, s.shape[-1]).reshape((len(s),) + (1,) * (s.ndim - 2) + (s.shape[-1],))
    return np.argmax(np.where(mask & ~np.isnan(s), s, -np.inf), axis=-1)


def accuracy(chosen: np.ndarray, answers: np.ndarray) -> float:
    """Mean correctness of the answers. chosen: [Q], answers: [Q]."""
    return float(np.mean(np.asarray(chosen) == np.asarray(answers)))


def layer_accuracies(chosen: np.ndarray, answers: np.ndarray) -> list[float]:
    """Per-layer accuracy. chosen: [Q, L+1], answers: [Q] -> L+1 floats."""
    right = np.asarray(chosen) == np.asarray(answers)[:, None]
    return [float(v) for v in right.mean(axis=0)]


def correct_probability(probs: np.ndarray, answers: np.ndarray) -> np.ndarray:
    """p_correct: the probability of each question's correct option. [Q, ..., J], [Q] -> [Q, ...]."""
    p = np.asarray(probs, dtype=np.float64)
    idx = np.asarray(answers).reshape((len(p),) + (1,) * (p.ndim - 1))
    return np.take_along_axis(p, np.broadcast_to(idx, p.shape[:-1] + (1,)), axis=-1)[..., 0]


def by_question(values: np.ndarray, n_options: np.ndarray, fill: float = np.nan) -> np.ndarray:
    """Rows (one per option, question by question) into [Q, J] (``fill`` beyond each k_q)."""
    values = np.asarray(values, dtype=np.float64)
    k = np.asarray(n_options)
    out = np.full((len(k), int(k.max()) if len(k) else 0) + values.shape[1:], fill, dtype=np.float64)
    out[option_mask(k, out.shape[1])] = values
    return out


def text_scores(logp: np.ndarray, n_chars: np.ndarray, n_tokens: np.ndarray, n_options: np.ndarray,
                norm: str = "char") -> np.ndarray:
    """Option-text scores per question: [R] log-likelihoods (one row per option) -> [Q, J].

    norm : ``char`` (÷ characters, the answer), ``token`` (÷ tokens) or ``none``.
    """
    div = {"char": np.asarray(n_chars, dtype=np.float64), "token": np.asarray(n_tokens, dtype=np.float64),
           "none": np.ones(len(n_chars))}[norm]
    logp = np.asarray(logp, dtype=np.float64)
    return by_question(logp / (div if logp.ndim == 1 else div[:, None]), n_options)


def plurality_at_n(probs: np.ndarray, answers: np.ndarray, n: int) -> np.ndarray:
    """P(the correct option wins the plurality vote of n sampled answers), per question, exact.

    probs : [Q, J] each question's answer distribution (0 on missing options); answers : [Q].
    A tie between t top options counts 1/t (uniform tie-breaking). Sums the multinomial
    probabilities: the correct option drawn m times (m = 1..n), the others' counts all <= m, through
    a product over the other options of sum_x p^x / x! (x <= m), tracking how many tie at m.
    Returns [Q] float64.
    """
    p = np.asarray(probs, dtype=np.float64)
    q, j = p.shape
    answers = np.asarray(answers, dtype=np.int64)
    pc = p[np.arange(q), answers]
    keep = np.ones_like(p, dtype=bool)
    keep[np.arange(q), answers] = False
    others = p[keep].reshape(q, j - 1)
    total = np.zeros(q)
    for m in range(1, n + 1):
        r = n - m
        # state[:, s, t]: sum over counts of the options so far (total s, t of them equal to m) of prod p^x / x!
        state = np.zeros((q, r + 1, j))
        state[:, 0, 0] = 1.0
        for o in range(j - 1):
            po = others[:, o]
            new = np.zeros_like(state)
            for x in range(0, min(m, r) + 1):
                w = (po ** x / math.factorial(x))[:, None, None]
                tie = int(x == m)
                new[:, x:, tie:] += state[:, : r + 1 - x, : j - tie] * w
            state = new
        ways = state[:, r, :] @ (1.0 / (np.arange(j) + 1.0))  # a tie with t others: 1/(t+1)
        total += math.factorial(n) / math.factorial(m) * pc ** m * ways
    return total


def maj_table(probs: np.ndarray, answers: np.ndarray, max_n: int) -> list[dict[str, float]]:
    """``[{"n": n, "maj": maj@n}]`` for n = 1..max_n (every n: ties are broken at random)."""
    return [{"n": n, "maj": float(np.mean(plurality_at_n(probs, answers, n)))} for n in range(1, int(max_n) + 1)]


def guesser_pass_at_n(n_options: np.ndarray, ns: Sequence[int]) -> list[float]:
    """pass@n of a uniform guesser over each question's k options: mean of 1 - (1 - 1/k)^n."""
    k = np.asarray(n_options, dtype=np.float64)
    return [float(np.mean(1.0 - (1.0 - 1.0 / k) ** int(n))) for n in ns]


def guesser_maj_at_n(n_options: np.ndarray, ns: Sequence[int]) -> list[float]:
    """maj@n of a uniform guesser: mean of 1/k for every n (each option wins the vote equally often)."""
    chance = float(np.mean(1.0 / np.asarray(n_options, dtype=np.float64)))
    return [chance for _ in ns]


def answer_shares(chosen: np.ndarray, width: int) -> list[float]:
    """Share of the questions answered with each option position (A, B, ...): a positional bias."""
    chosen = np.asarray(chosen, dtype=np.int64)
    return [float(v) for v in np.bincount(chosen, minlength=width)[:width] / max(len(chosen), 1)]


__all__ = ["option_mask", "letter_log_scores", "letter_probs", "letter_mass", "picks", "accuracy", "layer_accuracies",
           "correct_probability", "by_question", "text_scores", "plurality_at_n", "maj_table", "guesser_pass_at_n",
           "guesser_maj_at_n", "answer_shares"]
