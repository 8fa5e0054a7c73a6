"""The loaded-model record shared by extraction, the app and the expression analysis."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..core.optional import torch
from ..core.specs import ModelSpec

if TYPE_CHECKING:
    from torch import nn


@dataclass(eq=False)
class LoadedModel:
    """A model ready for inference, with what the rest of the engine needs to know about it.

    Attributes
    ----------
    spec : the ModelSpec it was loaded from.
    model : the eval-mode torch module (``*ForCausalLM`` for decoders, ``*Model`` for encoders).
    tokenizer : its fast tokenizer (left padding, pad token set).
    arch : family name from :mod:`concept_depth.models.architectures` (``llama``, ``gemma``...).
    n_layers : number of transformer blocks L (residual layers are 0..L).
    hidden_size : width D of the residual stream.
    label : human-readable name, e.g. ``"Gemma 3 270M (Q4_K_M GGUF, dequantised)"``.
    fingerprint : identity of the weights (id + resolved revision, or a hash of the files).
    is_decoder : causal decoder (True) or bidirectional encoder (False).
    device, dtype : where it runs and its compute dtype.
    load_s : seconds the load took.
    """

    spec: ModelSpec
    model: nn.Module
    tokenizer: Any
    arch: str
    n_layers: int
    hidden_size: int
    label: str
    fingerprint: str
    is_decoder: bool
    device: torch.device
    dtype: torch.dtype
    load_s: float = 0.0
    info: dict[str, Any] = field(default_factory=dict)

    def __repr__(self) -> str:  # the torch module's repr is huge
        return (f"LoadedModel({self.label!r}, arch={self.arch}, layers={self.n_layers}, hidden={self.hidden_size}, "
                f"quant={self.spec.quant}, device={self.device})")
