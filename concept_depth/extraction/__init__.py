"""Layer-wise extraction: batched, pooled, cached per layer, resumable."""

from .activations import Activations, activations_from_key
from .extract import extract_activations
from .forward import PooledForward, common_prefix, layer_numbers
from .keys import activation_key, activation_key_dict
from .tokenize import encode_prompts

__all__ = [
    "Activations", "PooledForward", "activation_key", "activation_key_dict", "activations_from_key",
    "common_prefix", "encode_prompts", "extract_activations", "layer_numbers",
]
