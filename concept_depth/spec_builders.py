"""Specs from the command line's option names: one translation the CLI and the Python API share.

Every keyword here is a CLI option name with dashes turned into underscores
(``--dataset-file`` -> ``dataset_file``), so ``cd.run(dataset="cities", limit=200)`` and
``python -m concept_depth run --dataset cities --limit 200`` build the same spec.
"""

from __future__ import annotations

from typing import Any

from .errors import BadInputError
from .specs import DatasetSpec, DepthSpec, ExtractionSpec, ModelSpec, NoiseSpec, ProbeSpec, RunSpec


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
