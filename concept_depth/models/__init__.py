"""Model loading (every source and bit width) and per-architecture layer access."""

from .architectures import base_model, decoder_layers, final_norm, output_embedding, post_attention_norm
from .known import KNOWN_MODELS, KnownModel
from .loaded import LoadedModel
from .loader import load_model, resolve_device
from .fingerprint import model_fingerprint
from .tiny import TINY_ARCHES, build_tiny

__all__ = [
    "KNOWN_MODELS", "KnownModel", "LoadedModel", "TINY_ARCHES", "base_model", "build_tiny", "decoder_layers",
    "final_norm", "load_model", "model_fingerprint", "output_embedding", "post_attention_norm", "resolve_device",
]
