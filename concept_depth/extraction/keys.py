"""Activation cache keys: everything that changes the numbers, nothing that does not."""

from __future__ import annotations

from ..core.errors import UnavailableError
from ..core.optional import torch
from ..core.specs import SCHEMA_VERSION, ExtractionSpec, ModelSpec, stable_hash
from ..datasets.sample_set import SampleSet
from ..models.fingerprint import model_fingerprint
from ..models.known import known_model
from ..models.memory import check_fits, model_size

#: How each bit width's numbers are computed, where that changed after keys existed (absent: never).
#: 16 and 4 -> 2: batched, batch-invariant forwards (fixed 512-row matrix products, row-wise
#: attention; :mod:`concept_depth.capture.invariant`) and, at 4 bits on a CPU, NF4 weights
#: dequantised and multiplied in float32. 8-bit vectors are bit for bit those of one prompt at a
#: time, as before, and float32 did not change, so their keys stay as they were.
BIT_WIDTH_PATH = {16: 2, 4: 2}


def numbers_path(quant: int) -> dict:
    """The key entry saying how a bit width's numbers are computed (empty where it never changed)."""
    version = BIT_WIDTH_PATH.get(int(quant))
    return {"bit_width_path": version} if version else {}


def activation_key_dict(spec: ExtractionSpec, samples: SampleSet, fingerprint: str) -> dict:
    """What the key hashes. Batch size and device are deliberately absent.

    The samples' content hash covers the final prompts (template, noise already applied)
    and labels; the noise and prompt fields are listed too so the key reads clearly. The
    chat template and the bit-width path appear only where they apply, so keys made before
    they existed stay valid.
    """
    out = {
        "kind": "activations", "schema": SCHEMA_VERSION,
        "model": fingerprint, "quant": int(spec.model.quant),
        "hook": spec.hook, "pooling": spec.pooling, "max_tokens": int(spec.max_tokens),
        "samples": samples.content_hash, "prompt": spec.dataset.prompt,
        "noise": spec.dataset.noise.to_dict(),
        **numbers_path(spec.model.quant),
    }
    if spec.chat_template:
        out["chat_template"] = True
    return out


def activation_key(spec: ExtractionSpec, samples: SampleSet, fingerprint: str) -> str:
    return "a" + stable_hash(activation_key_dict(spec, samples, fingerprint), 24)


def activation_key_for(spec: ExtractionSpec, samples: SampleSet, cache_dir) -> str:
    """The activation key of ``spec`` on ``samples``, with the model's fingerprint resolved
    (no model is loaded; local files are hashed once and memoised in ``cache_dir``)."""
    return activation_key(spec, samples, fingerprint_for(spec.model, cache_dir))


def fingerprint_for(model: ModelSpec, cache_dir) -> str:
    """The model's fingerprint (memoised in ``cache_dir``). When it cannot be resolved (e.g. the hub
    cannot be reached), a catalog model too large for this machine says so first."""

    try:
        return model_fingerprint(model, cache_dir)
    except UnavailableError:
        refuse_if_too_large(model)
        raise


def refuse_if_too_large(model: ModelSpec) -> None:
    """For a model the catalog knows, the one-line "not enough memory" refusal (what it needs,
    what is free, which bit width would fit) on the default device, sized without any network."""

    if known_model(model.source) is None:
        return
    check_fits(model.source, model_size(model.source), int(model.quant), "cuda" if torch.cuda.is_available() else "cpu")
