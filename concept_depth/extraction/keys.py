"""Activation cache keys: everything that changes the numbers, nothing that does not."""

from __future__ import annotations

from ..datasets.sample_set import SampleSet
from ..specs import SCHEMA_VERSION, ExtractionSpec, stable_hash


def activation_key_dict(spec: ExtractionSpec, samples: SampleSet, fingerprint: str) -> dict:
    """What the key hashes. Batch size and device are deliberately absent.

    The samples' content hash covers the final prompts (template, noise already applied)
    and labels; the noise and prompt fields are listed too so the key reads clearly.
    """
    return {
        "kind": "activations", "schema": SCHEMA_VERSION,
        "model": fingerprint, "quant": int(spec.model.quant),
        "hook": spec.hook, "pooling": spec.pooling, "max_tokens": int(spec.max_tokens),
        "samples": samples.content_hash, "prompt": spec.dataset.prompt,
        "noise": spec.dataset.noise.to_dict(),
    }


def activation_key(spec: ExtractionSpec, samples: SampleSet, fingerprint: str) -> str:
    return "a" + stable_hash(activation_key_dict(spec, samples, fingerprint), 24)
