"""Will a model fit? Memory estimates, free memory, the check before a load, batch sizes.

- :func:`memory_needed` (pure): bytes a model of ``n_params`` needs at a bit width.
- :func:`memory_estimate`: the same for a model *source*, from the catalog, a GGUF header, a
  local directory's safetensors headers and config, or a hub model's metadata, without
  loading or downloading weights; ``None`` when it cannot tell.
- :func:`free_memory`: free bytes of a device (RAM from ``/proc/meminfo``, each GPU from
  ``torch.cuda.mem_get_info``).
- :func:`check_fits`: one clear line (what it needs, what is free, what would fit) instead of
  an out-of-memory crash half-way through a load; says when ``device_map="auto"`` should
  spread a model over several GPUs.
- :func:`suggest_batch_size` (pure): prompts per forward pass from free memory and the
  model's width, depth and vocabulary.
"""

from __future__ import annotations

import json
import math
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

import psutil

from ..core.errors import UnavailableError
from ..core.optional import torch, transformers
from . import architectures as A
from .fingerprint import classify_source, hub_token
from .footprint import BYTES_PER_WEIGHT, OVERHEAD_BYTES, OVERHEAD_FRACTION, GiB, memory_needed
from .gguf_file import read_header
from .known import known_model


@dataclass(frozen=True)
class ModelSize:
    """What a memory estimate starts from: parameter count and the embedding's share of it."""

    n_params: int
    embedding_params: int = 0
    hidden_size: int | None = None
    n_layers: int | None = None
    vocab_size: int | None = None


def model_size(source: str, *, revision: str | None = None, trust_remote_code: bool = False) -> ModelSize | None:
    """Parameter count of the model ``source`` names without loading (or downloading) weights.

    Catalog entries and offline models: their published numbers. A ``.gguf`` file: the element
    count of its tensors. A local directory: its safetensors headers (exact), else its config.
    A hub id: the hub's safetensors metadata, else its config (a small download). ``None`` when
    none of these is at hand (offline, unknown format).
    """

    entry = known_model(source)
    if entry is not None:
        return ModelSize(entry.n_params, entry.embedding_params, entry.hidden_size, entry.n_layers, entry.vocab_size)
    try:
        kind = classify_source(source)
    except Exception:  # noqa: BLE001 - the load itself reports a bad source
        return None
    if kind == "tiny":
        return ModelSize(200_000)
    if kind == "gguf":
        try:

            header = read_header(Path(source).expanduser())
        except (OSError, ValueError):
            return None
        return ModelSize(header.n_params())
    if kind not in ("dir", "hub"):
        return None
    if kind == "hub":
        n_params = _hub_params(source, revision)
        if n_params is None:  # hub unreachable: nothing more to ask it
            return None
    else:
        n_params = _safetensors_params(source)
    config = _config(source, revision, trust_remote_code, local=kind == "dir")

    if config is None:
        return ModelSize(n_params) if n_params else None
    try:
        c = A.text_config(config)
        hidden, layers = A.hidden_size(c), A.layer_count(c)
        vocab = int(getattr(c, "vocab_size", 0) or 0)
        tied = bool(getattr(c, "tie_word_embeddings", True))
        n_params = n_params or A.estimate_params(c)
    except Exception:  # noqa: BLE001 - an architecture we cannot read: size unknown
        return ModelSize(n_params) if n_params else None
    return ModelSize(n_params, vocab * hidden * (1 if tied else 2), hidden, layers, vocab)


def memory_estimate(source: str, quant: int, *, device_type: str = "cuda", revision: str | None = None,
                    trust_remote_code: bool = False) -> int | None:
    """Bytes the model ``source`` needs at ``quant`` bits on ``device_type`` (``cuda`` or ``cpu``),
    or ``None`` when its size cannot be told without loading it. See :func:`memory_needed`."""
    size = model_size(source, revision=revision, trust_remote_code=trust_remote_code)
    if size is None:
        return None
    return memory_needed(size.n_params, int(quant), embedding_params=size.embedding_params, device_type=device_type)


def _config(source: str, revision: str | None, trust_remote_code: bool, local: bool) -> Any | None:
    try:
        return transformers.AutoConfig.from_pretrained(source, revision=revision, trust_remote_code=trust_remote_code,
                                          token=hub_token(), local_files_only=local)
    except Exception:  # noqa: BLE001 - no config, no estimate; the load reports why
        return None


def _safetensors_params(directory: str) -> int:
    """Total elements in a directory's safetensors files (headers only), 0 when unknown."""

    total = 0
    for path in Path(directory).expanduser().glob("*.safetensors"):
        try:
            with path.open("rb") as fh:
                (n,) = struct.unpack("<Q", fh.read(8))
                header = json.loads(fh.read(n))
        except (OSError, ValueError, struct.error):
            return 0
        total += sum(math.prod(v["shape"]) for k, v in header.items() if k != "__metadata__")
    return total


def _hub_params(repo_id: str, revision: str | None) -> int | None:
    """Parameter count the hub states for a repository (0 when it states none), None when the hub
    cannot be reached: one request, no retries, so an offline machine learns it at once."""
    try:
        from huggingface_hub import HfApi  # optional heavy dependency: hub models only


        info = HfApi().model_info(repo_id, revision=revision, token=hub_token(), expand=["safetensors"], timeout=10)
    except Exception:  # noqa: BLE001 - offline, gated, unknown: the load says which
        return None
    safetensors = getattr(info, "safetensors", None)
    return int(getattr(safetensors, "total", 0) or 0)


# ---- free memory --------------------------------------------------------------------------
def ram_available() -> int | None:
    """MemAvailable from /proc/meminfo (psutil elsewhere), None where unknown."""
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:

        return int(psutil.virtual_memory().available)
    except Exception:  # noqa: BLE001
        return None


def gpu_free() -> list[int]:
    """Free bytes of each CUDA GPU (empty without CUDA)."""
    if not torch.cuda.is_available():
        return []
    return [int(torch.cuda.mem_get_info(i)[0]) for i in range(torch.cuda.device_count())]


def free_memory(device) -> int | None:
    """Free bytes where a model on ``device`` would live: RAM for ``cpu``, the GPU for ``cuda:N``
    (all GPUs together for a plain ``cuda``, which may spread a model), None where unknown."""
    dev = torch.device(device)
    if dev.type == "cpu":
        return ram_available()
    if dev.type == "cuda":
        free = gpu_free()
        if not free:
            return None
        return free[dev.index] if dev.index is not None else sum(free)
    return None


# ---- the check before a load --------------------------------------------------------------
def _fmt(n: int) -> str:
    return f"{n / GiB:.1f} GiB"


def placement(needed: int, free_per_gpu: Sequence[int]) -> str | None:
    """``"single"`` when one GPU holds the model, ``"auto"`` when only all of them together do
    (``device_map="auto"`` through accelerate), None when not even that. Pure."""
    if not free_per_gpu:
        return None
    if needed <= max(free_per_gpu):
        return "single"
    return "auto" if needed <= sum(free_per_gpu) else None


def check_fits(label: str, size: ModelSize | None, quant: int, device, *, gpus: Sequence[int] | None = None,
               ram: int | None = None) -> str | None:
    """Raise one clear UnavailableError when the model cannot fit on ``device``; else return the
    placement (``"single"``, ``"auto"`` for a model spread over several GPUs, None on the CPU
    or when the size or free memory is unknown).

    ``gpus`` (free bytes per GPU) and ``ram`` default to what this machine has free now.
    """
    dev = torch.device(device)
    if size is None or dev.type not in ("cpu", "cuda"):
        return None
    gpus = list(gpu_free() if gpus is None else gpus)
    ram = ram_available() if ram is None else ram
    kind = dev.type

    def need(q: int, device_type: str = kind) -> int:
        return memory_needed(size.n_params, q, embedding_params=size.embedding_params, device_type=device_type)

    if kind == "cpu":
        if ram is None or need(quant) <= ram:
            return None
        free_here = ram
    else:
        pool = [gpus[dev.index]] if dev.index is not None and dev.index < len(gpus) else gpus
        where = placement(need(quant), pool)
        if where is not None or not pool:
            return where
        free_here = sum(pool)
    fits = [q for q in (16, 8, 4) if q < quant and need(q) <= free_here]
    advice = []
    if fits:
        advice.append(f"{fits[0]} bits (about {_fmt(need(fits[0]))}) fits here")
    if kind == "cpu" and gpus and need(quant, "cuda") <= sum(gpus):
        advice.append(f"--device cuda ({_fmt(sum(gpus))} free) fits")
    elif kind == "cuda" and ram is not None and need(quant, "cpu") <= ram:
        advice.append(f"--device cpu ({_fmt(ram)} free) fits, slowly")
    if not advice:
        advice.append(f"even 4 bits needs about {_fmt(need(4))}: use a machine with more memory or a smaller model"
                      if quant > 4 else "use a machine with more memory or a smaller model")
    raise UnavailableError(f"not enough memory: {label} at {quant} bits needs about {_fmt(need(quant))} "
                           f"but {_fmt(free_here)} is free on {kind}; " + "; ".join(advice))


# ---- batch size ----------------------------------------------------------------------------
def suggest_batch_size(free_bytes: int, *, hidden_size: int, n_layers: int, tokens: int = 512,
                       dtype_bytes: int = 4, vocab_size: int = 0, model_bytes: int = 0,
                       headroom: float = 0.7, max_batch: int = 64) -> int:
    """Prompts per forward pass that fit in ``free_bytes`` (pure; at least 1, at most ``max_batch``).

    Per prompt of ``tokens`` tokens the forward pass holds, in ``dtype_bytes`` per number:
    the residual stream of every layer (``(n_layers + 1) * tokens * hidden_size``: the capture
    may keep them all), the working set of one block (``16 * tokens * hidden_size``: queries,
    keys, values, attention output and the MLP's ~4x wider activations, twice for the
    autograd-free temporaries) and the last token's logits (``vocab_size`` float32 numbers).
    ``model_bytes`` is subtracted first when ``free_bytes`` was measured before the model
    was loaded; ``headroom`` is the share of the rest the batch may use.
    """
    per_prompt = tokens * hidden_size * dtype_bytes * (n_layers + 1 + 16) + 4 * vocab_size
    budget = (free_bytes - model_bytes) * headroom
    if per_prompt <= 0 or budget <= per_prompt:
        return 1
    return int(max(1, min(max_batch, budget // per_prompt)))


def batch_size_for(loaded, tokens: int = 512, max_batch: int = 64) -> int:
    """:func:`suggest_batch_size` for a loaded model on its device, memory measured now."""
    free = free_memory(loaded.device)
    if free is None:
        return 16
    config = getattr(loaded.model, "config", None)

    vocab = int(getattr(A.text_config(config), "vocab_size", 0) or 0) if config is not None else 0
    dtype_bytes = 2 if str(loaded.dtype).endswith(("float16", "bfloat16")) else 4
    return suggest_batch_size(free, hidden_size=loaded.hidden_size, n_layers=loaded.n_layers, tokens=tokens,
                              dtype_bytes=dtype_bytes, vocab_size=vocab, max_batch=max_batch)


__all__ = ["BYTES_PER_WEIGHT", "OVERHEAD_BYTES", "OVERHEAD_FRACTION", "ModelSize", "batch_size_for", "check_fits",
           "free_memory", "gpu_free", "memory_estimate", "memory_needed", "model_size", "placement",
           "ram_available", "suggest_batch_size"]

