"""Layer-wise extraction: a pooled-vector reader over the capture core, cached per layer, resumable.

Names are imported on first use, so computing a cache key (``extraction.keys``) does not
import torch.
"""

from __future__ import annotations

import importlib

_EXPORTS = {
    "Activations": ".activations", "activations_from_key": ".activations",
    "extract_activations": ".extract",
    "activation_key": ".keys", "activation_key_dict": ".keys", "activation_key_for": ".keys",
    "common_prefix": "..capture", "encode_samples": "..capture", "layer_numbers": "..capture",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(_EXPORTS[name], __name__), name)
