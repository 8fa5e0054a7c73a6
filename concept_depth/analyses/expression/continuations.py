"""Log-likelihood of option texts after their question: a continuation reader over the capture core.

Tokenisation follows lm-evaluation-harness: the whole string ``context + continuation`` is encoded
once, and the continuation's tokens are those after the context's own token count (so the leading
space joins the option's first token as the tokenizer would have it). Prompts are run in groups
whose continuations have 1, 2, 3-4, 5-8, ... tokens; the reader scores each group's longest
continuation length T (the full-vocabulary projections of at most twice the continuation tokens,
never the whole context) and each row keeps its own last tokens of those T.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Sequence

import numpy as np

from ...capture import Capture, chat_wrap, encode_texts, run_all
from ...capture.continuation import ContinuationLogProbs


@dataclass(frozen=True)
class ContinuationScores:
    """Summed log-likelihoods of N continuations.

    Attributes
    ----------
    logp : [N, K] float64 log p(continuation | context) at each of the K layers read (the last
        block's output = the model's own).
    n_tokens : [N] tokens of each continuation.
    n_chars : [N] characters of each continuation (its leading space included).
    prompt_tokens : [N] tokens of context + continuation.
    layers : the K residual layers read.
    """

    logp: np.ndarray
    n_tokens: np.ndarray
    n_chars: np.ndarray
    prompt_tokens: np.ndarray
    layers: tuple[int, ...]


def encode_continuations(tokenizer: Any, contexts: Sequence[str], continuations: Sequence[str], *,
                         chat_template: bool = False) -> tuple[list[list[int]], list[int]]:
    """(ids of context + continuation [N], continuation token counts [N]).

    With ``chat_template`` the context is one user turn of the chat template and the continuation
    is the start of the assistant's reply.
    """
    if chat_template:
        wrapped = {c: chat_wrap(tokenizer, c) for c in dict.fromkeys(contexts)}
        ctx_texts = [wrapped[c] for c in contexts]
        encode = lambda texts: [list(tokenizer(t, add_special_tokens=False)["input_ids"]) for t in texts]  # noqa: E731
    else:
        ctx_texts = list(contexts)
        encode = lambda texts: encode_texts(tokenizer, texts)  # noqa: E731
    unique = list(dict.fromkeys(ctx_texts))
    ctx_len = dict(zip(unique, (len(x) for x in encode(unique))))
    full = encode([c + t for c, t in zip(ctx_texts, continuations)])
    n_cont = [max(1, len(ids) - ctx_len[c]) for ids, c in zip(full, ctx_texts)]
    return full, n_cont


def score_continuations(loaded: Any, contexts: Sequence[str], continuations: Sequence[str], *,
                        layers: Sequence[int] | None = None, batch_size: int = 8, chat_template: bool = False,
                        on_batch: Callable[[int], None] | None = None,
                        capture: Capture | None = None) -> ContinuationScores:
    """Run ``context + continuation`` prompts and read each continuation's log-likelihood.

    Parameters
    ----------
    loaded : a ``LoadedModel`` of a decoder.
    contexts, continuations : [N] strings; continuation i follows context i directly.
    layers : residual layers to read through the logit lens (default: the last block only, the
        model's own log-likelihood). Each layer costs one full-vocabulary projection per
        continuation token.
    on_batch : called with the number of prompts finished so far.
    capture : an existing :class:`Capture` of ``loaded`` to reuse.
    """
    cap = capture or Capture(loaded)
    layers = (int(loaded.n_layers),) if layers is None else tuple(int(x) for x in layers)
    ids, n_cont = cap.tokenized(lambda tok: encode_continuations(tok, contexts, continuations,
                                                                 chat_template=chat_template))
    n = len(ids)
    logp = np.zeros((n, len(layers)), dtype=np.float64)
    done = 0
    group = [max(0, int(t) - 1).bit_length() for t in n_cont]  # 1 -> 0, 2 -> 1, 3-4 -> 2, 5-8 -> 3, ...
    for g in sorted(set(group)):
        rows = [i for i in range(n) if group[i] == g]
        t = max(n_cont[i] for i in rows)
        got = run_all(cap, [ids[i] for i in rows], ContinuationLogProbs(loaded.model, layers, t),
                      batch_size=batch_size,
                      on_batch=None if on_batch is None else (lambda d, base=done: on_batch(base + d)))
        for r, i in enumerate(rows):  # the row's own continuation: its last n_cont[i] of the T scored tokens
            logp[i] = got[r, :, t - n_cont[i]:].astype(np.float64).sum(axis=-1)
        done += len(rows)
    return ContinuationScores(logp=logp, n_tokens=np.asarray(n_cont, dtype=np.int64),
                              n_chars=np.array([len(c) for c in continuations], dtype=np.int64),
                              prompt_tokens=np.array([len(x) for x in ids], dtype=np.int64), layers=layers)


__all__ = ["ContinuationScores", "encode_continuations", "score_continuations"]
