"""A reader of continuation log-likelihoods: how likely the model finds the last tokens of each prompt.

Evaluation harnesses score a multiple-choice option by the log-likelihood of its text after the
question: the prompt is ``context + continuation`` and the score is the sum, over the
continuation's tokens, of the log-probability of each token given the tokens before it. This
reader keeps, for every row, the log-probabilities of its last ``n_last`` tokens (the caller puts
prompts whose continuation has ``n_last`` tokens in one run), read through the logit lens (final
norm and output projection, see :class:`~concept_depth.capture.lens.LensParts`) at the residual
layers asked for. At the last block this is the model's own next-token distribution.

It works with the capture core's layout (:mod:`~concept_depth.capture.batches`): rows are right
padded and read at their own last real token; when a shared prefix sits in the key/value cache, the
prefix pass hands over its last states and token ids, so a continuation that starts inside the shared
prefix (options that begin with the same words) is still scored exactly.

Shapes: B rows, S positions in the segment, D hidden size, K layers, T = ``n_last``, V vocabulary.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from ..core.optional import torch
from .batches import Segment
from .lens import LensParts

#: At most this many token vectors go through the full-vocabulary projection at once (memory:
#: vectors x V x 4 bytes, about 270 MB for a 262k vocabulary).
MAX_VECTORS = 256


class ContinuationLogProbs:
    """Log-probabilities of each row's last ``n_last`` tokens at the residual ``layers``.

    Parameters
    ----------
    model : the causal LM (its final norm and output projection make the lens).
    layers : residual layer numbers 0..L to read (L, the last block, is the model's own output).
    n_last : T, how many of each row's last tokens are scored (the continuation's length).

    ``finish`` returns [B, K, T] float32: entry [b, j, t] is log p(token at position
    ``last - T + 1 + t`` | the tokens before it) under the lens of ``layers[j]``; NaN where that
    token is the row's first (nothing predicts it).
    """

    def __init__(self, model: torch.nn.Module, layers: Sequence[int], n_last: int) -> None:
        if n_last < 1:
            raise ValueError("n_last must be at least 1")
        self.points = tuple(("residual", int(layer)) for layer in layers)
        self.parts = LensParts.from_model(model)
        self.n_last = int(n_last)
        self._taken: dict[int, torch.Tensor] = {}
        self._targets: torch.Tensor | None = None
        self._valid: torch.Tensor | None = None
        self._prefix_states: dict[int, torch.Tensor] = {}
        self._prefix_ids: torch.Tensor | None = None

    def _positions(self, seg: Segment, tail: int) -> tuple[torch.Tensor, torch.Tensor]:
        """(state index [B, T], valid [B, T]) into the prefix tail (``tail`` states) + segment."""
        t = torch.arange(self.n_last, device=seg.last.device)
        state = seg.last[:, None] - self.n_last + t[None] + tail  # predicts the token one further on
        return state.clamp(min=0), state >= 0

    def take(self, index: int, hidden: torch.Tensor, seg: Segment) -> None:
        if seg.is_prefix:  # a continuation may begin inside the shared prefix: keep its end
            self._prefix_states[index] = hidden[:, -self.n_last:]
            self._prefix_ids = seg.ids[:, -self.n_last:]
            return
        tail = self._prefix_states[index] if seg.prefix_len and index in self._prefix_states else None
        b = hidden.shape[0]
        if tail is not None:
            hidden = torch.cat([tail.expand(b, -1, -1), hidden], dim=1)
        n_tail = 0 if tail is None else tail.shape[1]
        state, valid = self._positions(seg, n_tail)
        rows = torch.arange(b, device=hidden.device)[:, None]
        self._taken[index] = hidden[rows, state]  # [B, T, D]
        if self._targets is None:
            ids = seg.ids if tail is None else torch.cat([self._prefix_ids.expand(b, -1), seg.ids], dim=1)
            self._targets = ids[rows, state + 1]
            self._valid = valid

    def finish(self, seg: Segment) -> np.ndarray:
        taken, self._taken = self._taken, {}
        targets, valid = self._targets, self._valid
        self._targets = self._valid = None
        b, t = targets.shape
        flat_targets = targets.reshape(-1)
        out = []
        for i in range(len(self.points)):
            states = taken[i].reshape(b * t, -1)
            logp = torch.empty(b * t, dtype=torch.float32, device=states.device)
            for lo in range(0, b * t, MAX_VECTORS):
                hi = min(lo + MAX_VECTORS, b * t)
                logits = self.parts.logits(states[lo:hi])  # [n, V] float32
                logp[lo:hi] = (logits.gather(1, flat_targets[lo:hi, None]).squeeze(1)
                               - torch.logsumexp(logits, dim=-1))
            out.append(logp.reshape(b, t))
        got = torch.stack(out, dim=1)  # [B, K, T]
        got = torch.where(valid[:, None, :], got, torch.full_like(got, float("nan")))
        return got.cpu().numpy()


__all__ = ["ContinuationLogProbs", "MAX_VECTORS"]
