"""The model's own answer and the logit lens at every layer: answer-logit readers over the capture core.

``score_prompts`` reads, at each prompt's last token, the residual stream after every
block, and puts it through the model's final norm and output projection (the *logit
lens*); for the last block this is exactly the model's own next-token distribution.
Only the answer tokens' columns are kept per layer, plus the full-vocabulary
log-normaliser of the final logits (how much probability the answer words get).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Sequence

import numpy as np

from ...capture import AnswerLogits, Capture, LensLogProbs, run_all
from ...core.optional import torch


@dataclass(frozen=True)
class PromptScores:
    """Answer-token logits of N prompts.

    Attributes
    ----------
    lens : [N, L+1, K] float32 logit-lens logits of the K answer tokens at layers 0..L.
    final : [N, K] float32 the model's own next-token logits of the answer tokens.
    final_lse : [N] float32 log-sum-exp of the model's full next-token logits.
    n_tokens : [N] prompt lengths in tokens.
    """

    lens: np.ndarray
    final: np.ndarray
    final_lse: np.ndarray
    n_tokens: np.ndarray


def score_prompts(loaded: Any, prompts: Sequence[str], token_ids: Sequence[int], *, batch_size: int = 8,
                  on_batch: Callable[[int], None] | None = None, reuse_prefix: bool = True,
                  chat_template: bool = False, capture: Capture | None = None) -> PromptScores:
    """Run the model on ``prompts`` and read the answer-token logits at every layer.

    Parameters
    ----------
    loaded : a ``LoadedModel`` of a decoder.
    prompts : [N] full prompt strings (wrapped in the chat template when ``chat_template``).
    token_ids : the K answer-token ids whose logits are kept.
    on_batch : called with the number of prompts finished so far (progress, cancellation).
    reuse_prefix : compute the shared token prefix once (does not change the numbers).
    capture : an existing :class:`Capture` of ``loaded`` to reuse.
    """
    cap = capture or Capture(loaded, reuse_prefix=reuse_prefix)
    ids = cap.encode(prompts, chat_template=chat_template)
    got = run_all(cap, ids, AnswerLogits(loaded.model, loaded.n_layers, token_ids), batch_size=batch_size,
                  on_batch=on_batch)
    return PromptScores(lens=got["lens"], final=got["final"], final_lse=got["final_lse"],
                        n_tokens=np.array([len(x) for x in ids], dtype=np.int64))


def lens_distribution(loaded: Any, prompt: str) -> tuple[torch.Tensor, torch.Tensor]:
    """(lens log-probs [L+1, V], model's own next-token log-probs [V]) of one prompt.

    Full-vocabulary version, for notebooks and for checking the lens against the model's
    own forward in the tests.
    """
    cap = Capture(loaded)
    logp = run_all(cap, cap.encode([prompt]), LensLogProbs(loaded.model, loaded.n_layers))[0]
    lens = torch.from_numpy(logp)
    return lens, lens[-1]
