"""The logit lens: a residual-stream vector through the model's final norm and output projection."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from ..core.optional import torch
from ..models import architectures as A


@dataclass(frozen=True)
class LensParts:
    """What the logit lens needs from a model: final norm, output matrix, soft-cap."""

    norm: torch.nn.Module | None
    output: torch.nn.Module
    softcap: float | None

    @classmethod
    def from_model(cls, model: torch.nn.Module) -> "LensParts":
        return cls(norm=A.final_norm(model), output=A.output_embedding(model), softcap=A.final_logit_softcap(model))

    def logits(self, states: torch.Tensor, token_ids: Sequence[int] | None = None) -> torch.Tensor:
        """states: [..., D] residual vectors -> [..., V] (or [..., K] for ``token_ids``), float32.

        For the last block's output this is exactly the model's own next-token logits
        (the model's head is the same final norm and output projection).
        """
        h = states
        if self.norm is not None:
            h = self.norm(h)
        weight = getattr(self.output, "weight", None)
        if token_ids is not None and weight is not None and weight.is_floating_point():
            ids = torch.as_tensor(list(token_ids), device=weight.device, dtype=torch.long)
            bias = getattr(self.output, "bias", None)
            out = torch.nn.functional.linear(h.to(weight.dtype), weight[ids], None if bias is None else bias[ids])
        else:
            out = self.output(h)
            if token_ids is not None:
                out = out[..., list(token_ids)]
        out = out.float()
        if self.softcap:
            out = torch.tanh(out / self.softcap) * self.softcap
        return out
