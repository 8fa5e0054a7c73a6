"""Layer-wise extraction: a pooled-vector reader over the capture core, cached per layer, resumable."""

from ..capture import common_prefix, encode_samples, layer_numbers
from .activations import Activations, activations_from_key
from .extract import extract_activations
from .keys import activation_key, activation_key_dict, activation_key_for

__all__ = [
    "Activations", "activation_key", "activation_key_dict", "activation_key_for", "activations_from_key",
    "common_prefix", "encode_samples", "extract_activations", "layer_numbers",
]
