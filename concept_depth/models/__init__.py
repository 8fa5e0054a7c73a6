"""Model loading (every source and bit width), the catalog, memory checks, layer access.

Importing this package imports neither torch nor transformers (they are deferred through
:mod:`concept_depth.core.optional`), so the catalog, :func:`model_fingerprint` and
:func:`memory_estimate` serve a cached CLI rerun that only computes cache keys.
"""

from .architectures import base_model, decoder_layers, final_norm, output_embedding, post_attention_norm
from .embedded import EMBEDDED_MODELS, EmbeddedModel, embedded_model
from .fingerprint import classify_source, model_fingerprint
from .known import KNOWN_MODELS, KnownModel, known_model
from .loaded import LoadedModel
from .loader import OneModelLoader, cached_loader, load_model, resolve_device
from .memory import batch_size_for, check_fits, free_memory, memory_estimate, memory_needed, suggest_batch_size
from .tiny import TINY_ARCHES, build_tiny

__all__ = [
    "base_model", "decoder_layers", "final_norm", "output_embedding", "post_attention_norm", "EMBEDDED_MODELS",
    "EmbeddedModel", "embedded_model", "classify_source", "model_fingerprint", "KNOWN_MODELS", "KnownModel",
    "known_model", "LoadedModel", "OneModelLoader", "cached_loader", "load_model", "resolve_device",
    "batch_size_for", "check_fits", "free_memory", "memory_estimate", "memory_needed", "suggest_batch_size",
    "TINY_ARCHES", "build_tiny",
]
