"""Edits: changes a capture makes to hidden states on the way (e.g. steering along a direction).

An edit names one hook point and returns the new states of that point; readers at the
same or later points see the edited stream. Edits never apply to the shared-prefix pass.
"""

from __future__ import annotations

from typing import Protocol

from ..core.optional import torch
from .batches import Segment


class Edit(Protocol):
    point: tuple[str, int]

    def apply(self, hidden: torch.Tensor, seg: Segment) -> torch.Tensor:
        """[B, S, D] -> [B, S, D], the states the rest of the forward continues from."""


class AddAtLast:
    """Add ``vector`` [D] (or one per row, [B, D]) to each row's last real token at ``point``."""

    def __init__(self, point: tuple[str, int], vector: torch.Tensor) -> None:
        self.point = (point[0], int(point[1]))
        self.vector = vector

    def apply(self, hidden: torch.Tensor, seg: Segment) -> torch.Tensor:
        if seg.is_prefix:
            return hidden
        out = hidden.clone()
        rows = torch.arange(hidden.shape[0], device=hidden.device)
        out[rows, seg.last] = out[rows, seg.last] + self.vector.to(hidden.device, hidden.dtype)
        return out
