"""The extraction result: one pooled vector per sample per layer, backed by the store."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..core.errors import BadInputError
from ..storage.store import Store


@dataclass(frozen=True, eq=False)
class Activations:
    """Layer vectors of a dataset under a model (read lazily, layer by layer, from the store).

    Attributes
    ----------
    key : cache key (hash of everything that changes the numbers).
    layers : layer numbers held: residual 0..L (0 = embeddings), post_attention_layernorm 1..L.
    labels : [N] int64.
    prompts : [N] the exact strings fed to the model (after truncation).
    n_layers : model depth L.
    hidden_size : D.
    spec : the ExtractionSpec as a dict, plus ``model_fingerprint``, ``model_label``, ``content_hash``.
    model_label : e.g. "Gemma 3 270M (Q4_K_M GGUF, dequantised)".
    cached : True when nothing was computed by this call.
    timing : load_s, extract_s, prompts_per_s (of the run that computed it; 0 when cached).
    """

    key: str
    layers: tuple[int, ...]
    labels: np.ndarray
    prompts: tuple[str, ...]
    n_layers: int
    hidden_size: int
    spec: dict[str, Any]
    model_label: str
    cached: bool
    timing: dict[str, float]
    store: Store | None = field(default=None, repr=False)
    _features: np.ndarray | None = field(default=None, repr=False)  # [N, K, D] when just computed

    def __len__(self) -> int:
        return len(self.labels)

    def layer(self, layer: int) -> np.ndarray:
        """[N, D] float32 vectors of layer number ``layer``."""
        if layer not in self.layers:
            raise BadInputError(f"layer {layer} is not available; layers are {self.layers[0]}..{self.layers[-1]}")
        if self._features is not None:
            return self._features[:, self.layers.index(layer), :]
        return self.store.read_layer(self.key, layer)

    @property
    def features(self) -> np.ndarray:
        """[N, len(layers), D] float32 vectors of every layer (read from the store)."""
        return self.all()

    def all(self) -> np.ndarray:
        """[N, len(layers), D] float32."""
        if self._features is not None:
            return self._features
        return self.store.read_all(self.key)


def activations_from_key(store: Store, key: str, cached: bool = True) -> Activations:
    """Open a finished extraction by its key (KeyError if absent or incomplete)."""
    meta = store.activation_meta(key)
    if meta is None:
        raise KeyError(key)
    return Activations(key=key, layers=tuple(int(l) for l in meta["layers"]),
                       labels=np.asarray(meta["labels"], dtype=np.int64), prompts=tuple(meta["prompts"]),
                       n_layers=int(meta["n_layers"]), hidden_size=int(meta["hidden_size"]), spec=meta["spec"],
                       model_label=meta.get("model_label", ""), cached=cached,
                       timing=dict(meta.get("timing", {})) if not cached else
                       {"load_s": 0.0, "extract_s": 0.0, "prompts_per_s": 0.0}, store=store)
