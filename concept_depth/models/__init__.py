"""Model loading (every source and bit width), the catalog, memory checks, layer access.

Imported lazily (PEP 562 ``__getattr__``): ``concept_depth.models`` and the torch-free parts
(:func:`model_fingerprint`, the catalog, :func:`memory_estimate`) import without torch, so a
cached CLI rerun that only computes cache keys never loads torch or transformers. Names that
need torch (``load_model``, ``LoadedModel``, the architecture accessors) import it on first use.
"""

from __future__ import annotations

import importlib
from typing import Any

# public name -> submodule that defines it
_EXPORTS = {
    "base_model": "architectures", "decoder_layers": "architectures", "final_norm": "architectures",
    "output_embedding": "architectures", "post_attention_norm": "architectures",
    "KNOWN_MODELS": "known", "KnownModel": "known", "known_model": "known",
    "EMBEDDED_MODELS": "embedded", "EmbeddedModel": "embedded", "embedded_model": "embedded",
    "LoadedModel": "loaded",
    "load_model": "loader", "resolve_device": "loader", "cached_loader": "loader",
    "model_fingerprint": "fingerprint", "classify_source": "fingerprint",
    "memory_estimate": "memory", "memory_needed": "memory", "suggest_batch_size": "memory",
    "batch_size_for": "memory", "free_memory": "memory", "check_fits": "memory",
    "TINY_ARCHES": "tiny", "build_tiny": "tiny",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))
