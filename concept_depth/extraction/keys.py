"""Activation cache keys: everything that changes the numbers, nothing that does not."""

from __future__ import annotations

from ..datasets.sample_set import SampleSet
from ..specs import SCHEMA_VERSION, ExtractionSpec, stable_hash


def activation_key_dict(spec: ExtractionSpec, samples: SampleSet, fingerprint: str) -> dict:
    """What the key hashes. Batch size and device are deliberately absent.

    The samples' content hash covers the final prompts (template, noise already applied)
    and labels; the noise and prompt fields are listed too so the key reads clearly. The
    chat template appears only when on, so keys made before it existed stay valid.
    """
    out = {
        "kind": "activations", "schema": SCHEMA_VERSION,
        "model": fingerprint, "quant": int(spec.model.quant),
        "hook": spec.hook, "pooling": spec.pooling, "max_tokens": int(spec.max_tokens),
        "samples": samples.content_hash, "prompt": spec.dataset.prompt,
        "noise": spec.dataset.noise.to_dict(),
    }
    if spec.chat_template:
        out["chat_template"] = True
    return out


def activation_key(spec: ExtractionSpec, samples: SampleSet, fingerprint: str) -> str:
    return "a" + stable_hash(activation_key_dict(spec, samples, fingerprint), 24)


def activation_key_for(spec: ExtractionSpec, samples: SampleSet, cache_dir) -> str:
    """The activation key of ``spec`` on ``samples``, with the model's fingerprint resolved
    (no model is loaded; local files are hashed once and memoised in ``cache_dir``)."""
    from ..models.fingerprint import model_fingerprint

    return activation_key(spec, samples, model_fingerprint(spec.model, cache_dir))
