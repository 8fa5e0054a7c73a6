"""Readers: what a capture keeps from each batch's hidden states.

A reader names the hook points it needs (``points``: (hook, layer number) pairs), is
handed each point's hidden states inside the forward (``take``: reduce [B, S, D] at once,
so all token states of all layers are never held together), and turns what it took
into the batch's result (``finish``). Readers never touch the model or its hooks; the
capture session does.

Shapes: B rows, S positions in the segment, D hidden size, K points, V vocabulary.
"""

from __future__ import annotations

from typing import Any, Protocol, Sequence

import numpy as np

from ..core.optional import torch
from .batches import Segment
from .lens import LensParts


class Reader(Protocol):
    points: tuple[tuple[str, int], ...]

    def take(self, index: int, hidden: torch.Tensor, seg: Segment) -> None:
        """Called inside the forward with ``points[index]``'s states [B, S, D]."""

    def finish(self, seg: Segment) -> Any:
        """The result of one batch (not called for the prefix pass)."""


def last_token(hidden: torch.Tensor, seg: Segment) -> torch.Tensor:
    """[B, S, D] -> [B, D]: each row at its own last real token."""
    return hidden[torch.arange(hidden.shape[0], device=hidden.device), seg.last]


class PooledLayers:
    """Pooled vectors of the layers asked for -> [B, K, D] float32 (CPU numpy).

    ``last``: each row's last real token. ``mean``: mean over the row's real tokens,
    the shared prefix's tokens included (their sums are kept from the prefix pass).
    """

    def __init__(self, hook: str, layers: Sequence[int], pooling: str) -> None:
        self.points = tuple((hook, int(l)) for l in layers)
        self.pooling = pooling
        self._taken: dict[int, torch.Tensor] = {}
        self._prefix_sums: dict[int, torch.Tensor] = {}
        self._prefix_len = 0

    def take(self, index: int, hidden: torch.Tensor, seg: Segment) -> None:
        if self.pooling == "last":
            if not seg.is_prefix:
                self._taken[index] = last_token(hidden, seg).float()
            return
        # sum over real tokens; torch.where keeps NaN/inf of padded positions out
        keep = seg.mask[:, :, None]
        total = torch.where(keep, hidden.float(), hidden.new_zeros((), dtype=torch.float32)).sum(dim=1)
        if seg.is_prefix:
            self._prefix_sums[index] = total  # [1, D]
            self._prefix_len = int(seg.mask.sum())
        else:
            self._taken[index] = total

    def finish(self, seg: Segment) -> np.ndarray:
        taken, self._taken = self._taken, {}
        vecs = [taken[i] for i in range(len(self.points))]
        if self.pooling == "mean":
            counts = seg.mask.sum(dim=1, dtype=torch.float32)[:, None]
            if seg.prefix_len:
                vecs = [v + self._prefix_sums[i] for i, v in enumerate(vecs)]
                counts = counts + seg.prefix_len
            vecs = [v / counts for v in vecs]
        return torch.stack(vecs, dim=1).cpu().numpy()


class _ResidualLastTokens:
    """Shared part of the lens readers: every residual layer 0..L at each row's last token."""

    def __init__(self, n_layers: int) -> None:
        self.points = tuple(("residual", l) for l in range(n_layers + 1))
        self._taken: dict[int, torch.Tensor] = {}

    def take(self, index: int, hidden: torch.Tensor, seg: Segment) -> None:
        if not seg.is_prefix:
            self._taken[index] = last_token(hidden, seg)

    def _states(self) -> torch.Tensor:
        taken, self._taken = self._taken, {}
        return torch.stack([taken[i] for i in range(len(self.points))], dim=1)  # [B, L+1, D]


class AnswerLogits(_ResidualLastTokens):
    """The answer tokens' logits through the logit lens at every layer, and the model's own.

    ``finish`` returns ``lens`` [B, L+1, K] (layer 0 = embeddings), ``final`` [B, K] (the
    model's own next-token logits = the lens of the last block) and ``final_lse`` [B]
    (log-sum-exp of the model's full next-token logits), all float32 numpy.
    """

    def __init__(self, model: torch.nn.Module, n_layers: int, token_ids: Sequence[int]) -> None:
        super().__init__(n_layers)
        self.parts = LensParts.from_model(model)
        self.token_ids = tuple(int(t) for t in token_ids)

    def finish(self, seg: Segment) -> dict[str, np.ndarray]:
        states = self._states()
        lens = self.parts.logits(states, self.token_ids)
        logits = self.parts.logits(states[:, -1])  # [B, V]
        return {"lens": lens.cpu().numpy(), "final": logits[:, list(self.token_ids)].cpu().numpy(),
                "final_lse": torch.logsumexp(logits, dim=-1).cpu().numpy()}


class LensLogProbs(_ResidualLastTokens):
    """Full-vocabulary logit-lens log-probabilities [B, L+1, V] (the last layer is the model's own)."""

    def __init__(self, model: torch.nn.Module, n_layers: int) -> None:
        super().__init__(n_layers)
        self.parts = LensParts.from_model(model)

    def finish(self, seg: Segment) -> np.ndarray:
        return torch.log_softmax(self.parts.logits(self._states()), dim=-1).cpu().numpy()
