"""GGUF files: dequantise once, keep a plain safetensors + tokenizer directory in the cache.

``convert_gguf`` writes ``<cache_dir>/models/gguf-<sha16>/`` once per file, so later loads take
seconds. Two ways, same numbers:

- **direct** (GGUF architectures in :data:`~concept_depth.models.architectures.GGUF_DIRECT`:
  Llama, Gemma 3): read the header once (:mod:`.gguf_file`), build the config with
  transformers' own GGUF key table, map tensor names with transformers' GGUF name map on a
  weightless (meta-device) model, dequantise each tensor with the ``gguf`` package's numpy
  dequantisation and the same per-architecture fix-ups transformers applies (Llama's q/k
  permutation, Gemma's norm offset), and write them straight into ``model.safetensors``. The
  tokenizer is built by its own class from the GGUF, which is what ``AutoTokenizer`` ends up
  doing, in a second process while this one dequantises (it is pure Python: 5 s of the quick start). No full model is materialised and the file is parsed once instead of three times:
  Gemma 3 270M converts in ~10 s instead of ~55 s on two cores (``bench/bench_quickstart.py``).
- **through transformers** (every other architecture): ``from_pretrained(gguf_file=...)``, then
  ``save_pretrained`` with the GGUF quantizer detached (it refuses otherwise; the tensors are
  plain floats by then).

A test checks that the direct path's config, tokenizer files and state dict equal the
transformers path on both embedded models. :data:`CONVERT_VERSION` is part of a converted
model's fingerprint: bump it whenever the converted numbers change.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from ..core.errors import Cancelled, UnavailableError
from ..core.files import CONVERTED_MARKER
from ..core.optional import (
    torch,
    transformers,
    transformers_ggml,
    transformers_gguf_utils,
    transformers_tokenization_auto,
)
from ..core.progress import ProgressCallback, ProgressEvent
from . import tokenizer_files
from .architectures import GGUF_DIRECT
from .gguf_file import read_header
from .hashing import file_sha256

#: Bumped when the conversion changes the numbers (part of converted models' fingerprint).
#: The direct path (same tensors as transformers' GGUF loader, bit for bit) did not.
CONVERT_VERSION = 1
_MARKER = CONVERTED_MARKER  # what makes a folder under models/ the cache's own (storage.owned)
log = logging.getLogger(__name__)

#: Builds the tokenizer of a GGUF and saves it into a folder, in a process of its own (see
#: :class:`_TokenizerProcess`): ``python -c _TOKENIZER_SCRIPT GGUF MODEL_TYPE OUT TOKENIZER_FILES_PY``. It
#: imports transformers only (not this package, whose imports take seconds; :mod:`.tokenizer_files` is
#: loaded by path), and does what :func:`_tokenizer_from_gguf` and ``record_added_tokens`` do; a test checks
#: that the files equal those of the transformers path.
_TOKENIZER_SCRIPT = """
import importlib.util
import sys
from pathlib import Path
import transformers
from transformers.models.auto import tokenization_auto as auto
path, model_type, out, files = Path(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
try:
    cls = auto.tokenizer_class_from_name(auto.TOKENIZER_MAPPING_NAMES.get(model_type) or "TokenizersBackend")
except (ImportError, AttributeError):
    cls = None
(cls or transformers.AutoTokenizer).from_pretrained(str(path.parent), gguf_file=path.name).save_pretrained(out)
spec = importlib.util.spec_from_file_location("tokenizer_files", files)
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
module.record_added_tokens(out)
"""


def converted_dir(cache_dir: str | os.PathLike, gguf_sha: str) -> Path:
    """Where the converted copy of the GGUF with sha256 ``gguf_sha`` lives."""
    return Path(cache_dir) / "models" / f"gguf-{gguf_sha[:16]}"


def is_converted(target: str | os.PathLike) -> bool:
    return (Path(target) / _MARKER).exists()


class ConvertSteps:
    """Reports a conversion as ``ProgressEvent(stage="convert", done, 4, unit="steps", detail)``.

    Steps: 1 getting the GGUF file (assembling or checking it), 2 converting the tokenizer,
    3 dequantising the weights (the detail counts tensors), 4 saving. ``False`` from the
    callback cancels (raises :class:`~concept_depth.errors.Cancelled`).
    """

    TOTAL = 4

    def __init__(self, progress: ProgressCallback | None) -> None:
        self.progress = progress
        self.seconds: dict[str, float] = {}  # seconds per step, for the converted copy's marker
        self._current: tuple[str, float] | None = None

    def __call__(self, done: int, detail: str) -> None:
        name = detail.split(":")[0]
        if self._current is None or self._current[0] != name:
            self.close()
            self._current = (name, time.perf_counter())
        if self.progress is not None:
            if self.progress(ProgressEvent("convert", done, self.TOTAL, unit="steps", detail=detail)) is False:
                raise Cancelled(f"model conversion cancelled while {detail}")

    def close(self) -> None:
        """End the step under way (its time goes into ``seconds``)."""
        if self._current is not None:
            name, t0 = self._current
            self.seconds[name] = round(self.seconds.get(name, 0.0) + time.perf_counter() - t0, 2)
            self._current = None

    def finish(self) -> None:
        self.close()
        if self.progress is not None:
            self.progress(ProgressEvent("convert", self.TOTAL, self.TOTAL, unit="steps", detail="converted"))


def convert_gguf(gguf_path: str | os.PathLike, target: str | os.PathLike, *, gguf_sha: str | None = None,
                 label: str | None = None, progress: ProgressCallback | None = None,
                 steps: ConvertSteps | None = None) -> Path:
    """Dequantise ``gguf_path`` into a safetensors + tokenizer directory ``target``; returns ``target``.

    Written into a temporary sibling and renamed at the end, so a killed or cancelled
    conversion leaves nothing half-written behind. ``progress`` gets ``stage="convert"``
    events (see :class:`ConvertSteps`; pass ``steps`` to continue a count already begun).
    """
    gguf_path = Path(gguf_path)
    target = Path(target)
    if is_converted(target):
        return target
    if not gguf_path.exists():
        raise UnavailableError(f"GGUF file {gguf_path} does not exist")
    if steps is None:
        steps = ConvertSteps(progress)
        steps(0, "checking the GGUF file")
    sha = gguf_sha or file_sha256(gguf_path)
    t0 = time.perf_counter()
    tmp = target.parent / f".{target.name}.tmp-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    try:

        try:
            header = read_header(gguf_path)
            direct = _direct_arch(header) is not None
            if direct:
                try:
                    _convert_direct(header, tmp, steps)
                except ImportError:  # a transformers without the GGUF tables this path borrows
                    direct = False
                    shutil.rmtree(tmp, ignore_errors=True)
                    tmp.mkdir(parents=True)
            if not direct:
                _convert_with_transformers(header, tmp, steps)
        except (ValueError, KeyError, RuntimeError, OSError, NotImplementedError) as exc:
            raise UnavailableError(f"cannot read GGUF file {gguf_path.name}: "
                                   f"{str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__}") from exc
        steps.close()
        (tmp / _MARKER).write_text(json.dumps({
            "gguf_file": gguf_path.name, "gguf_sha256": sha, "convert_version": CONVERT_VERSION,
            "path": "direct" if direct else "transformers", "label": label,
            "seconds": round(time.perf_counter() - t0, 1), "step_seconds": steps.seconds}, indent=1))
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    if target.exists():  # another process finished first
        shutil.rmtree(tmp, ignore_errors=True)
    else:
        tmp.rename(target)
    steps.finish()
    return target


def _direct_arch(header) -> str | None:
    """HF model_type when the direct path handles this file, else None."""

    try:
        from gguf.constants import GGMLQuantizationType  # optional, heavy: only to convert a GGUF file
        from gguf.quants import _type_traits  # the types with a numpy dequantisation
    except ImportError:
        return None

    arch = header.architecture
    name = str(header.metadata.get("general.name", "")).lower()
    if arch not in GGUF_DIRECT or (arch == "llama" and "mistral" in name):  # transformers renames those
        return None
    plain = {GGMLQuantizationType.F32, GGMLQuantizationType.F16}
    for t in header.tensors:
        qtype = GGMLQuantizationType(t.ggml_type)
        if qtype not in plain and qtype not in _type_traits:
            return None
    return GGUF_DIRECT[arch]


def gguf_config_dict(header) -> dict[str, Any]:
    """The HF config dict transformers builds from this GGUF header (direct architectures).

    Same table (transformers' ``GGUF_CONFIG_MAPPING``) and the same rules: tied embeddings
    when the file has no ``output.weight``, the vocabulary size from the token list when the
    file does not state it, Gemma 3's ``gemma3`` read as the text-only ``gemma3_text``.
    """
    model_type = _direct_arch(header)
    arch = header.architecture
    config: dict[str, Any] = {"tie_word_embeddings": all(t.name != "output.weight" for t in header.tensors)}
    for key, value in (transformers_ggml.GGUF_CONFIG_DEFAULTS_MAPPING.get(arch) or {}).items():
        config.setdefault(key, value)
    for key, value in header.metadata.items():
        prefix, _, rest = key.partition(".")
        renamed = transformers_ggml.GGUF_CONFIG_MAPPING.get(prefix, {}).get(rest, None) if rest else None
        if renamed is None or renamed == -1:
            continue
        config[renamed] = value
    config["model_type"] = model_type
    if "vocab_size" not in config and "tokenizer.ggml.tokens" in header.metadata:
        config["vocab_size"] = len(header.metadata["tokenizer.ggml.tokens"])
    return config


def _tokenizer_from_gguf(path: Path, model_type: str):
    """The tokenizer class ``AutoTokenizer`` picks for ``model_type``, built from the GGUF directly
    (``AutoTokenizer`` would first parse the whole file again just to learn the model type)."""
    try:
        auto = transformers_tokenization_auto.load()
        cls = auto.tokenizer_class_from_name(auto.TOKENIZER_MAPPING_NAMES.get(model_type) or "TokenizersBackend")
    except (ImportError, AttributeError):
        cls = None
    if cls is None:
        cls = transformers.AutoTokenizer
    return cls.from_pretrained(str(path.parent), gguf_file=path.name)


def _convert_direct(header, out: Path, steps: ConvertSteps) -> None:
    steps(1, "converting the tokenizer (in a second process) and laying out the weights")
    config_dict = gguf_config_dict(header)
    tokenizer = _TokenizerProcess(header.path, config_dict["model_type"], out)  # on another core, meanwhile
    try:
        _convert_weights(header, out, steps, config_dict)
    except BaseException:
        tokenizer.stop()  # nothing may still write into ``out`` once the caller removes it
        raise
    steps(3, "saving: waiting for the tokenizer")
    if not tokenizer.finished():  # no second process here (or it failed): build it in this one
        _tokenizer_from_gguf(header.path, config_dict["model_type"]).save_pretrained(str(out))
        tokenizer_files.record_added_tokens(out)


def _convert_weights(header, out: Path, steps: ConvertSteps, config_dict: dict[str, Any]) -> None:
    from gguf.constants import GGMLQuantizationType  # optional, heavy: only to convert a GGUF file
    from gguf.quants import dequantize
    from safetensors.numpy import save_file  # optional, heavy (comes with transformers)
    utils = transformers_gguf_utils

    config = transformers.AutoConfig.for_model(**config_dict)
    with torch.device("meta"):  # names and shapes only: no weights allocated or initialised
        skeleton = transformers.AutoModelForCausalLM.from_config(config)
    processor = utils.TENSOR_PROCESSORS.get(header.architecture, utils.TensorProcessor)(config=config_dict)
    names = utils.get_gguf_hf_weights_map(_TopLevel(skeleton), processor)
    tensors: dict[str, np.ndarray] = {}
    n = len(header.tensors)
    for i, entry in enumerate(header.tensors):
        if i % 16 == 0:
            steps(2, f"dequantising weights: {i}/{n} tensors")
        weights = dequantize(header.raw(entry), GGMLQuantizationType(entry.ggml_type))
        result = processor.process(weights=weights, name=entry.name, tensor_key_mapping=names,
                                   parsed_parameters={"config": config_dict, "tensors": tensors})
        if result.name in names:
            tensors[names[result.name]] = np.ascontiguousarray(result.weights, dtype=np.float32)
    expected = set(skeleton.state_dict())
    missing = expected - set(tensors)
    if config_dict.get("tie_word_embeddings"):
        missing -= {name for name in missing if name.endswith("lm_head.weight")}
    if missing:
        raise ValueError(f"the GGUF lacks {len(missing)} weights the model needs, e.g. {sorted(missing)[0]}")
    steps(3, f"saving: {len(tensors)} tensors")
    save_file(tensors, str(out / "model.safetensors"), metadata={"format": "pt"})
    config.architectures = [type(skeleton).__name__]
    config.dtype = torch.float32
    config.save_pretrained(str(out))
    transformers.GenerationConfig.from_model_config(config).save_pretrained(str(out))


class _TokenizerProcess:
    """Build and save the GGUF's tokenizer in a second Python process while this one dequantises.

    Converting Gemma's tokenizer is pure Python (its 262k-token vocabulary read from the GGUF again,
    the merges rebuilt): in a thread it holds the interpreter lock and slowed the weights' numpy
    work threefold (measured), in a process of its own it runs on the other core. ``finished()``
    waits and says whether the files were written; when not, the caller builds it itself.
    """

    def __init__(self, path: Path, model_type: str, out: Path) -> None:
        try:
            self._proc = subprocess.Popen([sys.executable, "-c", _TOKENIZER_SCRIPT, str(path), model_type, str(out),
                                           tokenizer_files.__file__],
                                          stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                          stderr=subprocess.PIPE)
        except OSError:
            self._proc = None

    def finished(self) -> bool:
        if self._proc is None:
            return False
        _, err = self._proc.communicate()
        if self._proc.returncode != 0:
            log.warning("converting the tokenizer in a second process failed (%s); converting it here",
                        err.decode(errors="replace").strip().splitlines()[-1:] or self._proc.returncode)
            return False
        return True

    def stop(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            self._proc.kill()
            self._proc.wait()


def _convert_with_transformers(header, out: Path, steps: ConvertSteps) -> None:
    path = header.path
    steps(1, "converting the tokenizer")
    tokenizer = transformers.AutoTokenizer.from_pretrained(str(path.parent), gguf_file=path.name)
    steps(2, f"dequantising weights: {len(header.tensors)} tensors (transformers)")
    model = transformers.AutoModelForCausalLM.from_pretrained(str(path.parent), gguf_file=path.name, dtype="float32")
    # The GGUF quantizer only describes how the file was read; the tensors are plain floats now.
    model.hf_quantizer = None
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    steps(3, "saving")
    model.save_pretrained(str(out))
    tokenizer.save_pretrained(str(out))
    tokenizer_files.record_added_tokens(out)


class _TopLevel:
    """A model seen only through its full parameter names: transformers' GGUF name map then
    maps them in one pass instead of once more for every submodule (2 s for Gemma), which
    only matters for models converted from a sub-model (Bloom), none of them direct."""

    def __init__(self, model) -> None:
        self.config = model.config
        self._state = model.state_dict()

    def state_dict(self):
        return self._state

    def named_children(self):
        return []
