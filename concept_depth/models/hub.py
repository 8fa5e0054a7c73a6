"""Loading Hugging Face directories and hub ids at a bit width, with one-sentence errors."""

from __future__ import annotations

import os
from typing import Any

from ..core.errors import BadInputError, UnavailableError
from ..core.optional import torch, transformers


def hub_error(repo_id: str, exc: BaseException) -> Exception:
    """Map a hub/transformers exception to one clear BadInputError or UnavailableError."""
    names = set()
    e: BaseException | None = exc
    while e is not None:
        names.add(type(e).__name__)
        e = e.__cause__ or e.__context__
    text = str(exc)
    low = text.lower()
    if "GatedRepoError" in names or "gated" in low or "awaiting a review" in low:
        if os.environ.get("HF_TOKEN") or os.environ.get("HUGGING_FACE_HUB_TOKEN"):
            return UnavailableError(f"{repo_id} is gated and your token has no access to it; "
                                    "accept its licence on huggingface.co")
        return UnavailableError(f"{repo_id} is gated: accept its licence on huggingface.co and set HF_TOKEN")
    if "RevisionNotFoundError" in names or "invalid git identifier" in low:
        return BadInputError(f"{repo_id} has no such revision")
    if "RepositoryNotFoundError" in names or "is not a valid model identifier" in low or "404" in low:
        return BadInputError(f"unknown model {repo_id!r}: no such hub repository or local path")
    if ({"LocalEntryNotFoundError", "OfflineModeIsEnabled", "ConnectionError", "ConnectError",
         "ConnectTimeout", "MaxRetryError"} & names or "offline" in low or "connection" in low
            or "couldn't connect" in low or "cannot find the requested files" in low):
        return UnavailableError(f"{repo_id} is not in the local cache and the hub cannot be reached (no network)")
    if isinstance(exc, (MemoryError, torch.OutOfMemoryError)) or "out of memory" in low:
        return UnavailableError(f"not enough memory to load {repo_id}; try a smaller bit width or model")
    # The whole message on one line (a first line alone can end mid-sentence, "... from one of: ").
    summary = " ".join(text.split())[:400] if text.strip() else type(exc).__name__
    return UnavailableError(f"cannot load {repo_id}: {summary}")


def half_dtype(device: torch.device) -> torch.dtype:
    """The 16-bit dtype on ``device``: bfloat16 (the paper's choice) on the CPU and on GPUs that
    support it (NVIDIA Ampere and newer), float16 on older GPUs and on Apple's MPS."""
    if device.type == "cuda":
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    if device.type == "mps":
        return torch.float16
    return torch.bfloat16


def quant_kwargs(quant: int, device: torch.device, device_map: str | None = None) -> dict[str, Any]:
    """``from_pretrained`` keyword arguments for a bit width (raises if it cannot run here).

    32: float32. 16: :func:`half_dtype`. 8/4: bitsandbytes int8 / NF4 (linear layers only),
    computing in float32 on the CPU and in the 16-bit dtype on a GPU. ``device_map="auto"``
    spreads a model too large for one GPU over all of them (accelerate).
    """
    if quant == 32:
        kwargs: dict[str, Any] = {"dtype": torch.float32}
    elif quant == 16:
        kwargs = {"dtype": half_dtype(device)}
    else:
        if device.type not in ("cpu", "cuda", "xpu"):
            raise UnavailableError(f"{quant}-bit (bitsandbytes) cannot run on {device.type}; use 32 or 16")
        try:
            import bitsandbytes  # noqa: F401  (optional heavy dependency, only for 8 and 4 bits)
        except ImportError:
            raise UnavailableError(f"{quant}-bit needs the bitsandbytes package (pip install bitsandbytes)") from None
        compute = torch.float32 if device.type == "cpu" else half_dtype(device)
        if quant == 8:
            config = transformers.BitsAndBytesConfig(load_in_8bit=True)
        else:
            config = transformers.BitsAndBytesConfig(load_in_4bit=True, bnb_4bit_quant_type="nf4", bnb_4bit_compute_dtype=compute)
        kwargs = {"quantization_config": config, "dtype": compute,
                  "device_map": {"": str(device) if device.type != "cuda" else (device.index or 0)}}
    if device_map == "auto":
        kwargs["device_map"] = "auto"
    return kwargs


def is_encoder_config(config) -> bool:
    archs = getattr(config, "architectures", None) or []
    if getattr(config, "is_encoder_decoder", False):
        return False
    if any(a.endswith(("ForCausalLM", "LMHeadModel", "ForConditionalGeneration")) for a in archs):
        return False
    return getattr(config, "model_type", "") in ("bert", "roberta", "xlm-roberta", "distilbert", "mpnet")


def load_pretrained(path_or_id: str, *, quant: int, device: torch.device, revision: str | None = None,
                    trust_remote_code: bool = False, token: str | None = None, local_only: bool = False,
                    gguf_file: str | None = None, device_map: str | None = None):
    """(model, tokenizer) from a directory or hub id, eval mode, on ``device``, at ``quant`` bits
    (``device_map="auto"``: spread over every GPU by accelerate instead)."""
    common: dict[str, Any] = dict(revision=revision, trust_remote_code=trust_remote_code, token=token,
                                  local_files_only=local_only)
    if gguf_file:
        common["gguf_file"] = gguf_file
    try:
        config = transformers.AutoConfig.from_pretrained(path_or_id, **common)
    except ValueError as exc:
        if "trust_remote_code" in str(exc):
            raise UnavailableError(f"{path_or_id} needs its own code: pass trust_remote_code to allow it") from None
        raise hub_error(path_or_id, exc) from None
    except Exception as exc:  # noqa: BLE001
        raise hub_error(path_or_id, exc) from None
    kwargs = quant_kwargs(quant, device, device_map)
    cls = transformers.AutoModel if is_encoder_config(config) else transformers.AutoModelForCausalLM
    try:
        tokenizer = transformers.AutoTokenizer.from_pretrained(path_or_id, **common)
        model = cls.from_pretrained(path_or_id, **common, **kwargs)
    except (MemoryError, torch.OutOfMemoryError) as exc:
        raise hub_error(path_or_id, exc) from None
    except ValueError as exc:
        if "Unrecognized configuration" in str(exc) or "model type" in str(exc):
            raise UnavailableError(f"{path_or_id}: architecture {config.model_type!r} is not supported") from None
        raise hub_error(path_or_id, exc) from None
    except Exception as exc:  # noqa: BLE001
        raise hub_error(path_or_id, exc) from None
    if "device_map" not in kwargs:
        model.to(device)
    if quant == 4 and device.type == "cpu":
        generic_nf4(model)
    model.eval()
    return model, tokenizer


def generic_nf4(model) -> int:
    """Make every NF4 layer of a CPU model dequantise its weight and multiply in the compute dtype
    (float32), bitsandbytes' path on every CPU without AVX512-BF16, instead of its AVX512-BF16 kernel,
    which casts the activations to bfloat16 and takes the same time per row at any batch size. The
    numbers are then the same on every CPU, and batches run at float32 speed. Returns how many layers."""
    n = 0
    for module in model.modules():
        if type(module).__name__ == "Linear4bit" and hasattr(module, "support_avx512bf16_for_cpu"):
            module.support_avx512bf16_for_cpu = False
            n += 1
    return n
