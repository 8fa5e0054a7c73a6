"""Command-line options shared by extract, run, sweep and expression."""

from __future__ import annotations

import argparse
import os
import tempfile
from pathlib import Path

from ..analyses import builders as spec_builders
from ..core.errors import BadInputError
from ..core.specs import HOOKS, NOISE_KINDS, POOLINGS, DatasetSpec, ExtractionSpec, ModelSpec, RunSpec


def add_model_options(p: argparse.ArgumentParser, multi: bool = False) -> None:
    h = "comma-separated " if multi else ""
    p.add_argument("--model", default="embedded",
                   help=f"{h}model: 'embedded' (Gemma 3 270M, offline), 'smollm2' (SmolLM2 135M Instruct, offline), "
                        "'minilm', a hub id, a local dir or a .gguf file")
    p.add_argument("--revision", default=None, help="hub revision (branch, tag or commit)")
    p.add_argument("--quant", default="32", help=f"{h}bit width: 32 (float32), 16 (bfloat16), 8 (int8), 4 (NF4)")
    p.add_argument("--trust-remote-code", action="store_true", help="allow a hub model's own code to run")


def add_dataset_options(p: argparse.ArgumentParser, multi: bool = False) -> None:
    h = "comma-separated " if multi else ""
    p.add_argument("--dataset", default=None, help=f"{h}dataset name (see `python -m concept_depth datasets`)")
    p.add_argument("--dataset-file", default=None, help="a CSV, TSV or JSONL file of your own")
    p.add_argument("--text-col", default=None, help="text column of --dataset-file")
    p.add_argument("--label-col", default=None, help="binary label column of --dataset-file")
    p.add_argument("--prompt", default=None, help="prompt template with a {text} placeholder")
    p.add_argument("--variant", default=None, help="dataset variant (StrategyQA: question | rationale)")
    p.add_argument("--limit", type=int, default=None, help="at most limit/2 samples per class, in file order")
    p.add_argument("--noise", default="none", help=f"{h}noise kind: {' | '.join(NOISE_KINDS)}")
    p.add_argument("--noise-strength", type=float, default=0.0, help="edit rate for graded noise (typos)")
    p.add_argument("--noise-seed", type=int, default=0, help="seed of the noise")


def add_chat_template_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--chat-template", action="store_true",
                   help="wrap each prompt as a user turn of the model's chat template (instruct models; "
                        "off by default, as the reference feeds raw prompts)")


def add_extraction_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--hook", default="residual", choices=HOOKS, help="where to read each layer")
    p.add_argument("--pooling", default="last", choices=POOLINGS, help="last token or mean over tokens")
    p.add_argument("--max-tokens", type=int, default=512, help="truncate longer prompts inside the text")
    add_chat_template_option(p)
    p.add_argument("--batch-size", type=int, default=16, help="prompts per forward pass (does not change results)")
    p.add_argument("--device", default=None, help="cpu, cuda, ... (default: cuda if available)")
    p.add_argument("--cache-dir", default=None, help="cache directory (default $CONCEPT_DEPTH_CACHE or ./cache)")


MODEL_KEYS = ("model", "quant", "revision", "trust_remote_code")
DATASET_KEYS = ("dataset", "dataset_file", "text_col", "label_col", "prompt", "variant", "limit", "noise",
                "noise_strength", "noise_seed")
EXTRACTION_KEYS = ("hook", "pooling", "max_tokens", "chat_template")


def options_of(args: argparse.Namespace, keys) -> dict:
    """The given options of ``args`` as keywords (the names ``concept_depth.spec_builders`` takes)."""
    return {k: getattr(args, k) for k in keys if hasattr(args, k)}


def dataset_spec(args: argparse.Namespace, name: str | None = None, noise: str | None = None) -> DatasetSpec:
    options = options_of(args, DATASET_KEYS)
    options.update({k: v for k, v in (("dataset", name), ("noise", noise)) if v is not None})
    return spec_builders.dataset_spec(**options)


def model_spec(args: argparse.Namespace, source: str | None = None, quant: str | int | None = None) -> ModelSpec:
    options = options_of(args, MODEL_KEYS)
    options.update({k: v for k, v in (("model", source), ("quant", quant)) if v is not None})
    return spec_builders.model_spec(**options)


def extraction_spec(args: argparse.Namespace) -> ExtractionSpec:
    return spec_builders.extraction_spec(**options_of(args, MODEL_KEYS + DATASET_KEYS + EXTRACTION_KEYS))


def run_spec(args: argparse.Namespace) -> RunSpec:
    return spec_builders.run_spec(**options_of(args, MODEL_KEYS + DATASET_KEYS + EXTRACTION_KEYS
                                               + spec_builders.PROBE_KEYS + spec_builders.DEPTH_KEYS))


def sweep_options(args: argparse.Namespace) -> dict:
    """Keywords of ``concept_depth.sweeps.plan_sweep`` (model, quant, dataset, noise are comma lists)."""
    return options_of(args, MODEL_KEYS + DATASET_KEYS + EXTRACTION_KEYS + spec_builders.PROBE_KEYS
                      + spec_builders.DEPTH_KEYS)


def split_list(value: str) -> list[str]:
    return [v.strip() for v in str(value).split(",") if v.strip()]


# ---- checks made before any model is loaded --------------------------------------------------
def check_output_path(path: str | os.PathLike, option: str, *, folder: bool = False,
                      suffixes: tuple[str, ...] | None = None) -> Path:
    """``path`` if the command will be able to write it, else one BadInputError line.

    Called before any model is loaded, so a typo costs nothing: a file path must not be a
    folder or lie under a file, a folder path must not be a file, and the nearest existing
    folder must accept a new file (tried with a temporary file, so read-only disks, missing
    permissions and full quotas all show up). ``suffixes`` (e.g. ``(".zip",)``) are the
    allowed extensions.
    """
    text = str(path)
    p = Path(text).expanduser()
    if not text.strip():
        raise BadInputError(f"{option} needs a path")
    if suffixes and p.suffix.lower() not in suffixes:
        ends = suffixes[0] if len(suffixes) == 1 else f"{', '.join(suffixes[:-1])} or {suffixes[-1]}"
        raise BadInputError(f"{option} must end in {ends}, got {p.name!r}")
    if folder:
        if p.exists() and not p.is_dir():
            raise BadInputError(f"{option} {text}: that is a file, not a folder")
    elif p.is_dir() or text.endswith(("/", os.sep)):
        raise BadInputError(f"{option} {text}: that is a folder; give a file name")
    place = p if folder else p.parent
    while not place.exists() and place != place.parent:
        place = place.parent
    if not place.is_dir():
        raise BadInputError(f"{option} {text}: {place} is a file, so nothing can be written under it")
    try:
        fd, probe = tempfile.mkstemp(dir=place, prefix=".concept-depth-write-test-")
        os.close(fd)
        os.unlink(probe)
        if not folder and p.exists():
            with open(p, "ab"):
                pass
    except OSError as exc:
        raise BadInputError(f"{option} {text}: cannot write there ({exc.strerror or exc})") from None
    return p


def check_range(value, option: str, low: float, high: float) -> None:
    """One BadInputError line unless ``low <= value <= high`` (None passes: the default applies)."""
    if value is None:
        return
    if not (low <= value <= high):  # also false for NaN
        raise BadInputError(f"{option} must be between {low:g} and {high:g}, got {value}")


def check_run_options(args: argparse.Namespace) -> None:
    """Run options that are not spec fields: --batch-size, --jobs."""
    check_range(getattr(args, "batch_size", None), "--batch-size", 1, 65536)
    check_range(getattr(args, "jobs", None), "--jobs", 1, 1024)
