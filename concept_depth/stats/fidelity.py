"""How far a bit width moves the layer vectors, in the terms a probe sees.

Cosine to float32 is dominated by a few huge residual dimensions, so it can stay at 0.999
while the dimensions a probe reads move by several standard deviations. So per layer,
for the same samples at a low bit width and in float32:

- ``cosine_mean`` / ``cosine_min``: cosine of each sample's vector to its float32 vector;
- ``max_sd`` / ``mean_sd``: |low − float32| in units of that dimension's standard deviation
  over the samples of the float32 run, the largest and the mean over samples and dimensions.
  Dimensions constant over the float32 samples (SD 0, e.g. layer 0 when every prompt ends in
  the same token) have no scale and are left out (``constant_dims`` counts them).

:func:`bit_width_fidelity` compares two cached activation sets; a low-bit run stores the
table against float32 (``extra["fidelity"]``) when the float32 vectors of the same model,
samples, hook and pooling are cached when it runs (:func:`fidelity_against_float32`);
otherwise :func:`run_fidelity` computes it on demand.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from typing import Any, Callable, Iterable

import numpy as np

from ..core.errors import BadInputError, UnavailableError
from ..core.specs import stable_hash
from ..extraction.keys import activation_key_for

FIDELITY_KIND = "fidelity"
#: SD below which a float32 dimension counts as constant (relative to the layer's largest SD).
CONSTANT_SD = 1e-6


@dataclass(frozen=True)
class LayerFidelity:
    layer: int
    cosine_mean: float
    cosine_min: float
    max_sd: float | None
    mean_sd: float | None
    constant_dims: int = 0


def layer_fidelity(low: np.ndarray, ref: np.ndarray, layer: int = 0) -> LayerFidelity:
    """Fidelity of one layer. low, ref: [N, D] vectors of the same samples (ref: float32)."""
    low = np.asarray(low, dtype=np.float64)
    ref = np.asarray(ref, dtype=np.float64)
    if low.shape != ref.shape or low.ndim != 2:
        raise BadInputError(f"fidelity needs two [N, D] arrays of one shape, got {low.shape} and {ref.shape}")
    num = (low * ref).sum(axis=1)
    den = np.linalg.norm(low, axis=1) * np.linalg.norm(ref, axis=1)
    cos = np.where(den > 0, num / np.where(den > 0, den, 1.0), np.where((low == ref).all(axis=1), 1.0, 0.0))
    sd = ref.std(axis=0)
    scale = float(sd.max()) if sd.size else 0.0
    varying = sd > CONSTANT_SD * max(scale, np.finfo(np.float32).tiny)
    if varying.any():
        z = np.abs(low[:, varying] - ref[:, varying]) / sd[varying]
        max_sd, mean_sd = float(z.max()), float(z.mean())
    else:
        max_sd = mean_sd = None
    cos = np.clip(cos, -1.0, 1.0)
    return LayerFidelity(layer=int(layer), cosine_mean=float(cos.mean()), cosine_min=float(cos.min()),
                         max_sd=max_sd, mean_sd=mean_sd, constant_dims=int((~varying).sum()))


def fidelity_table(read_low: Callable[[int], np.ndarray], read_ref: Callable[[int], np.ndarray],
                   layers: Iterable[int]) -> list[LayerFidelity]:
    """One :class:`LayerFidelity` per layer, reading one layer of each set at a time."""
    return [layer_fidelity(read_low(l), read_ref(l), l) for l in layers]


def _check_same_samples(low_meta: dict, ref_meta: dict) -> None:
    if low_meta.get("n_samples") != ref_meta.get("n_samples") or low_meta.get("hidden_size") != ref_meta.get(
            "hidden_size"):
        raise BadInputError("the two activation sets differ in samples or hidden size")
    if list(low_meta.get("labels") or []) != list(ref_meta.get("labels") or []) or \
            list(low_meta.get("prompts") or []) != list(ref_meta.get("prompts") or []):
        raise BadInputError("the two activation sets hold different prompts or labels")


def bit_width_fidelity(store: Any, low_key: str, ref_key: str) -> dict[str, Any]:
    """Per-layer fidelity of activation set ``low_key`` against ``ref_key`` (float32), same samples.

    Returns ``{"reference": ref_key, "layers": [LayerFidelity as dict, ...]}`` over the layers
    both sets hold. UnavailableError when either set is not cached, BadInputError when they
    hold other samples.
    """
    low_meta, ref_meta = store.activation_meta(low_key), store.activation_meta(ref_key)
    for key, meta in ((low_key, low_meta), (ref_key, ref_meta)):
        if meta is None:
            raise UnavailableError(f"the layer vectors {key} are not in the cache")
    _check_same_samples(low_meta, ref_meta)
    layers = [l for l in low_meta["layers"] if l in set(ref_meta["layers"])]
    table = fidelity_table(lambda l: store.read_layer(low_key, l), lambda l: store.read_layer(ref_key, l), layers)
    return {"reference": ref_key, "layers": [asdict(t) for t in table]}


def float32_key(store: Any, extraction: Any, samples: Any) -> str | None:
    """The activation key of ``extraction`` at 32 bits on ``samples`` when those vectors are cached, else None."""

    ref = replace(extraction, model=replace(extraction.model, quant=32))
    key = activation_key_for(ref, samples, store.directory)
    return key if store.has_activations(key) else None


def fidelity_against_float32(store: Any, extraction: Any, samples: Any, low_key: str) -> dict[str, Any] | None:
    """For a low-bit run: its fidelity table against the cached float32 vectors of the same samples,
    or None (a float32 run, or no float32 vectors cached yet)."""
    if int(extraction.model.quant) == 32:
        return None
    try:
        ref = float32_key(store, extraction, samples)
        return None if ref is None else bit_width_fidelity(store, low_key, ref)
    except (BadInputError, UnavailableError):
        return None


def run_fidelity(store: Any, run: Any, base: Any = None) -> dict[str, Any] | None:
    """The fidelity table of ``run`` against float32: stored with it (against ``base``'s vectors when
    ``base`` is given), else computed from both cached activation sets and kept in the store, else None."""
    stored = (getattr(run, "extra", None) or {}).get("fidelity")
    ref_key = (base.extra.get("activation_key") if base is not None else None)
    if isinstance(stored, dict) and isinstance(stored.get("layers"), list) and \
            (ref_key is None or stored.get("reference") == ref_key):
        return stored
    low_key = (getattr(run, "extra", None) or {}).get("activation_key")
    if store is None or not low_key or not ref_key or low_key == ref_key:
        return None
    if store.activation_meta(low_key) is None or store.activation_meta(ref_key) is None:
        return None

    key = "f" + stable_hash({"low": low_key, "reference": ref_key}, 24)
    try:
        value, _ = store.memoize(FIDELITY_KIND, key, lambda: bit_width_fidelity(store, low_key, ref_key))
    except (BadInputError, UnavailableError):
        return None
    return value


def fidelity_rows(table: dict[str, Any] | None) -> dict[int, dict[str, Any]]:
    """{layer: row} of a stored fidelity table (malformed rows skipped)."""
    out = {}
    for row in (table or {}).get("layers") or []:
        if isinstance(row, dict) and isinstance(row.get("layer"), int):
            out[row["layer"]] = row
    return out
