"""Specs from the command line's option names: one translation the CLI and the Python API share.

Every keyword here is a CLI option name with dashes turned into underscores
(``--dataset-file`` -> ``dataset_file``), so ``cd.run(dataset="cities", limit=200)`` and
``python -m concept_depth run --dataset cities --limit 200`` build the same spec.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from ..core.errors import BadInputError
from ..core.specs import DatasetSpec, DepthSpec, ExtractionSpec, ModelSpec, NoiseSpec, ProbeSpec, RunSpec
from . import DirectionsSpec, SteerSpec, TransferSpec
from .expression.spec import parse_answer_words


def model_spec(model: str = "embedded", quant: int | str = 32, revision: str | None = None,
               trust_remote_code: bool = False) -> ModelSpec:
    try:
        q = int(quant)
    except (TypeError, ValueError):
        raise BadInputError(f"--quant must be 32, 16, 8 or 4, got {quant!r}") from None
    return ModelSpec(source=str(model), quant=q, revision=revision, trust_remote_code=bool(trust_remote_code))


def dataset_spec(dataset: str | None = None, dataset_file: str | None = None, text_col: str | None = None,
                 label_col: str | None = None, prompt: str | None = None, variant: str | None = None,
                 limit: int | None = None, noise: str = "none", noise_strength: float = 0.0,
                 noise_seed: int = 0) -> DatasetSpec:
    noise_spec = NoiseSpec(kind=noise, strength=noise_strength, seed=noise_seed)
    if dataset_file:
        if not (text_col and label_col):
            raise BadInputError("--dataset-file needs --text-col and --label-col")
        return DatasetSpec(name="custom", path=str(dataset_file), text_col=text_col, label_col=label_col,
                           prompt=prompt, limit=limit, noise=noise_spec)
    if not dataset:
        raise BadInputError("give --dataset NAME or --dataset-file PATH")
    return DatasetSpec(name=dataset, prompt=prompt, variant=variant, limit=limit, noise=noise_spec)


def extraction_spec(*, hook: str = "residual", pooling: str = "last", max_tokens: int = 512,
                    chat_template: bool = False, **options: Any) -> ExtractionSpec:
    """``options``: the keywords of :func:`model_spec` and :func:`dataset_spec`."""
    model_keys = ("model", "quant", "revision", "trust_remote_code")
    model = model_spec(**{k: options.pop(k) for k in model_keys if k in options})
    return ExtractionSpec(model=model, dataset=dataset_spec(**options), hook=hook, pooling=pooling,
                          max_tokens=int(max_tokens), chat_template=bool(chat_template))


def probe_spec(protocol: str = "paper", probe: str = "lr", folds: int = 5, seed: int = 42,
               no_control: bool = False) -> ProbeSpec:
    return ProbeSpec(protocol=protocol, probe=probe, folds=int(folds), seed=int(seed), control=not no_control)


def depth_spec(jump_fraction: float = 0.8, converge_eps: float = 0.01, alpha: float = 0.05) -> DepthSpec:
    return DepthSpec(jump_fraction=float(jump_fraction), converge_eps=float(converge_eps), alpha=float(alpha))


PROBE_KEYS = ("protocol", "probe", "folds", "seed", "no_control")
DEPTH_KEYS = ("jump_fraction", "converge_eps", "alpha")


def run_spec(**options: Any) -> RunSpec:
    """A RunSpec from extraction, probe and depth keywords together."""
    probe = probe_spec(**{k: options.pop(k) for k in PROBE_KEYS if k in options})
    depth = depth_spec(**{k: options.pop(k) for k in DEPTH_KEYS if k in options})
    return RunSpec(extraction=extraction_spec(**options), probe=probe, depth=depth)


# ---- analyses beyond the paper (transfer, directions, steer) ---------------------------------
def _names(value: Any, option: str) -> list[str]:
    if isinstance(value, (list, tuple)):
        out = [str(v).strip() for v in value if str(v).strip()]
    else:
        out = [v.strip() for v in str(value or "").split(",") if v.strip()]
    if not out:
        raise BadInputError(f"{option} needs at least one value")
    return out


def parse_numbers(value: Any, option: str, kind: type = float) -> tuple:
    """``"-4,-2,2,4"`` or ``[-4, 2]`` -> (-4.0, -2.0, 2.0, 4.0); BadInputError naming ``option`` otherwise."""
    try:
        return tuple(kind(v) for v in _names(value, option))
    except ValueError:
        raise BadInputError(f"{option} must be comma-separated numbers, got {value!r}") from None


def transfer_spec(*, dataset: Any = None, probe: str = "lr", seed: int = 42, **options: Any):
    """A TransferSpec: ``dataset`` is a comma list (or list) of dataset names; the other
    extraction keywords (model, quant, limit, noise, hook, pooling...) apply to every dataset."""


    if options.pop("dataset_file", None):
        raise BadInputError("transfer takes dataset names (--dataset a,b,c), not --dataset-file")
    names = _names(dataset, "--dataset")
    ex = extraction_spec(dataset=names[0], **options)
    return TransferSpec(extractions=tuple(replace(ex, dataset=replace(ex.dataset, name=n)) for n in names),
                        probe=probe, seed=int(seed))


def directions_spec(*, quant: Any = 32, noise: Any = "none", probe: str = "mass-mean", seed: int = 42,
                    **options: Any):
    """A DirectionsSpec: every ``quant`` x ``noise`` (comma lists) of one model and dataset; the first
    combination is the reference."""

    extractions = tuple(extraction_spec(quant=q, noise=n, **options)
                        for q in _names(quant, "--quant") for n in _names(noise, "--noise"))
    return DirectionsSpec(extractions=extractions, probe=probe, seed=int(seed))


def steer_spec(*, alpha: Any = "-4,-2,2,4", layers: Any = None, probe: str = "mass-mean", seed: int = 42,
               random_seed: int = 0, answer_words: Any = None, answer_cue: str = "\nAnswer:", norm: str = "centered",
               **options: Any):
    """A SteerSpec: ``alpha`` and ``layers`` are comma lists (or sequences); ``answer_words`` "No,Yes"."""

    if isinstance(answer_words, str):

        answer_words = parse_answer_words(answer_words)
    return SteerSpec(extraction=extraction_spec(**options), alphas=parse_numbers(alpha, "--alpha"),
                     layers=None if layers in (None, "", "all") else parse_numbers(layers, "--layers", int),
                     probe=probe, seed=int(seed), random_seed=int(random_seed),
                     answer_words=tuple(answer_words) if answer_words else None, answer_cue=answer_cue, norm=norm)
