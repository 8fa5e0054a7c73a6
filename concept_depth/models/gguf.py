"""GGUF files: dequantise once with transformers, keep a safetensors copy in the cache.

Loading a GGUF through transformers converts the tokenizer and dequantises every
tensor (about a minute for Gemma 3 270M on two cores). We do it once per file and
save a plain Hugging Face directory under ``<cache_dir>/models/gguf-<sha16>/``, so
later loads take seconds. ``save_pretrained`` refuses on a GGUF-loaded model because
the GGUF "quantizer" is not serialisable; the weights are already plain float
tensors, so we detach the quantizer (and its config entry) before saving.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path

from ..errors import UnavailableError
from .fingerprint import file_sha256

#: Bumped when the conversion changes (part of converted models' fingerprint).
CONVERT_VERSION = 1
_MARKER = "concept_depth_converted.json"


def converted_dir(cache_dir: Path, gguf_sha: str) -> Path:
    return Path(cache_dir) / "models" / f"gguf-{gguf_sha[:16]}"


def is_converted(target: Path) -> bool:
    return (Path(target) / _MARKER).exists()


def convert_gguf(gguf_path: str | os.PathLike, target: str | os.PathLike, *, gguf_sha: str | None = None,
                 label: str | None = None) -> Path:
    """Dequantise ``gguf_path`` into a safetensors + tokenizer directory ``target``.

    Written into a temporary sibling and renamed at the end, so a killed conversion
    leaves nothing half-written behind. Returns ``target``.
    """
    from transformers import AutoModelForCausalLM, AutoTokenizer

    gguf_path = Path(gguf_path)
    target = Path(target)
    if is_converted(target):
        return target
    if not gguf_path.exists():
        raise UnavailableError(f"GGUF file {gguf_path} does not exist")
    sha = gguf_sha or file_sha256(gguf_path)
    t0 = time.perf_counter()
    try:
        tokenizer = AutoTokenizer.from_pretrained(str(gguf_path.parent), gguf_file=gguf_path.name)
        model = AutoModelForCausalLM.from_pretrained(str(gguf_path.parent), gguf_file=gguf_path.name,
                                                     dtype="float32")
    except (ValueError, KeyError, RuntimeError, OSError) as exc:
        raise UnavailableError(f"cannot read GGUF file {gguf_path.name}: {str(exc).splitlines()[0][:200]}") from exc
    # The GGUF quantizer only describes how the file was read; the tensors are plain floats now.
    model.hf_quantizer = None
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    tmp = target.parent / f".{target.name}.tmp-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    model.save_pretrained(str(tmp))
    tokenizer.save_pretrained(str(tmp))
    (tmp / _MARKER).write_text(json.dumps({
        "gguf_file": gguf_path.name, "gguf_sha256": sha, "convert_version": CONVERT_VERSION,
        "label": label, "seconds": round(time.perf_counter() - t0, 1)}, indent=1))
    if target.exists():  # another process finished first
        shutil.rmtree(tmp, ignore_errors=True)
        return target
    tmp.rename(target)
    return target
