"""Layer-wise extraction: a pooled-vector reader over the capture core, cached per layer, resumable.

Computing a cache key (:mod:`.keys`) needs no model and imports no torch.
"""

from .activations import Activations, activations_from_key
from .extract import extract_activations
from .keys import activation_key, activation_key_dict, activation_key_for

__all__ = ["Activations", "activations_from_key", "extract_activations", "activation_key", "activation_key_dict",
           "activation_key_for"]
