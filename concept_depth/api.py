"""The Python API for notebooks: ``import concept_depth as cd``.

It mirrors the command line: every keyword is the CLI option's name with dashes turned
into underscores (``--dataset-file`` -> ``dataset_file``), and each function is the
command of the same name::

    lm = cd.load_model("embedded")                       # a LoadedModel, safe to share between threads
    acts = cd.extract(model=lm, dataset="cities", limit=200)
    acts.features.shape                                  # (200, 19, 640): [N, layers, hidden], float32
    result = cd.run(model=lm, dataset="cities", limit=200)
    result.depth.jumping_point, result.to_dict(), result.figure()
    expr = cd.expression(model=lm, dataset="cities", limit=200, shots=(0, 4))
    outcomes = cd.sweep(model="embedded,smollm2", dataset="cities,coinflip", limit=200)
    grid = cd.families(model="embedded,smollm2", dataset="cities,coinflip", limit=200)
    grid.table(), grid.figure(), grid.heatmap("jumping_point")   # the paper's layout, one row per model
    t = cd.transfer(model=lm, dataset="cities,counterfact,common", limit=200)   # train on A, test on B
    d = cd.directions(model=lm, dataset="cities", limit=200)                    # cosine of probe directions
    s = cd.steer(model=lm, dataset="cities", limit=200, alpha=(-4, -2, 2, 4))   # does the model use it?

``model`` is a name/path (loaded on a cache miss only) or a :class:`LoadedModel`.
Everything is cached in ``cache_dir`` (default ``$CONCEPT_DEPTH_CACHE`` or ``./cache``),
the same store the app and the CLI use. ``progress=True`` draws progress bars; pass a
callable to receive :class:`~concept_depth.progress.ProgressEvent` objects instead.
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

from .analyses import run_directions, run_steer, run_transfer
from .analyses.builders import (
    dataset_spec,
    directions_spec,
    extraction_spec,
    model_spec,
    run_spec,
    steer_spec,
    transfer_spec,
)
from .analyses.expression import ExpressionSpec, parse_answer_words, run_expression
from .analyses.probe import run_probe
from .cli.progress_bar import RunsBar, TqdmProgress
from .core.errors import BadInputError
from .core.specs import ModelSpec
from .export.families import write_outputs
from .extraction import extract_activations
from .models import load_model as _load
from .storage.store import Store
from .workflows.cluster import run_sweep_on_ray, worker_cache_for
from .workflows.families import ModelComparison
from .workflows.sweeps import OneModelLoader, as_list, plan_sweep, run_sweep


def _store(cache_dir):

    return Store(cache_dir)


def _progress(progress: bool | Callable | None):
    if callable(progress):
        return progress
    if progress:

        return TqdmProgress()
    return None


def _model(model: Any, quant: int | str | None, revision: str | None,
           trust_remote_code: bool) -> tuple[ModelSpec, Callable | None]:
    """(ModelSpec, loader or None) of a name/path or a LoadedModel."""

    spec = getattr(model, "spec", None)
    if isinstance(spec, ModelSpec) and hasattr(model, "model"):
        if quant is not None and int(quant) != spec.quant:
            raise BadInputError(f"the model given is loaded at {spec.quant} bits, not {quant}; "
                                f"load it again with quant={quant}")
        return spec, (lambda _spec, loaded=model: loaded)
    return model_spec(model=model, quant=32 if quant is None else quant, revision=revision,
                      trust_remote_code=trust_remote_code), None


def load_model(name: str = "embedded", quant: int = 32, device: str | None = None, *, revision: str | None = None,
               trust_remote_code: bool = False, cache_dir=None, progress: bool | Callable = True):
    """Load a model once (``LoadedModel``); pass it as ``model=`` to the other functions.

    Every forward pass on it goes through one lock, so threads may share it.
    """

    spec = model_spec(model=name, quant=quant, revision=revision, trust_remote_code=trust_remote_code)
    return _load(spec, device=device, cache_dir=_store(cache_dir).directory, progress=_progress(progress))


def _common(model, quant, revision, trust_remote_code, options):
    spec, loader = _model(model, quant, revision, trust_remote_code)
    options.update(model=spec.source, quant=spec.quant, revision=spec.revision,
                   trust_remote_code=spec.trust_remote_code)
    return loader


def extract(model: Any = "embedded", dataset: str | None = None, *, quant: int | None = None,
            revision: str | None = None, trust_remote_code: bool = False, cache_dir=None, batch_size: int = 16,
            device: str | None = None, progress: bool | Callable = True, **options: Any):
    """Layer vectors of every prompt (``Activations``: ``.features`` [N, layers, hidden] float32,
    ``.layers``, ``.labels``, ``.prompts``).

    ``options``: ``dataset_file``, ``text_col``, ``label_col``, ``prompt``, ``variant``, ``limit``,
    ``noise``, ``noise_strength``, ``noise_seed``, ``hook``, ``pooling``, ``max_tokens``, ``chat_template``.
    """

    loader = _common(model, quant, revision, trust_remote_code, options)
    spec = extraction_spec(dataset=dataset, **options)
    return extract_activations(spec, store=_store(cache_dir), model_loader=loader, batch_size=batch_size,
                               device=device, progress=_progress(progress))


def run(model: Any = "embedded", dataset: str | None = None, *, quant: int | None = None,
        revision: str | None = None, trust_remote_code: bool = False, cache_dir=None, batch_size: int = 16,
        device: str | None = None, jobs: int | None = None, progress: bool | Callable = True, **options: Any):
    """Probe every layer and measure concept depth (``RunResult``: ``.depth``, ``.layers``,
    ``.to_dict()`` = the ``concept-depth/result@1`` JSON, ``.figure()``).

    ``options``: those of :func:`extract` plus ``protocol``, ``probe``, ``folds``, ``seed``,
    ``no_control``, ``jump_fraction``, ``converge_eps``, ``alpha``.
    """

    loader = _common(model, quant, revision, trust_remote_code, options)
    spec = run_spec(dataset=dataset, **options)
    return run_probe(spec, store=_store(cache_dir), model_loader=loader, batch_size=batch_size, device=device,
                     progress=_progress(progress), n_jobs=jobs)


def expression(model: Any = "embedded", dataset: str | None = None, *, shots: Sequence[int] = (0, 1, 2, 4, 8),
               seed: int = 0, answer_words: Sequence[str] | str | None = None, answer_cue: str = "\nAnswer:",
               pool_size: int = 16, max_n: int = 16, max_tokens: int = 512, no_probe: bool = False,
               chat_template: bool = False, quant: int | None = None, revision: str | None = None,
               trust_remote_code: bool = False, cache_dir=None, batch_size: int = 8, device: str | None = None,
               progress: bool | Callable = True, **options: Any):
    """What the model answers against what a probe reads (``ExpressionResult``).

    ``options``: the dataset keywords of :func:`extract` (``limit``, ``noise``, ``prompt``...).
    """

    spec_model, loader = _model(model, quant, revision, trust_remote_code)
    if isinstance(answer_words, str):
        answer_words = parse_answer_words(answer_words)
    spec = ExpressionSpec(model=spec_model, dataset=dataset_spec(dataset=dataset, **options), shots=tuple(shots),
                          seed=seed, answer_words=tuple(answer_words) if answer_words else None,
                          answer_cue=answer_cue, pool_size=pool_size, max_n=max_n, max_tokens=max_tokens,
                          probe=not no_probe, chat_template=chat_template)
    return run_expression(spec, store=_store(cache_dir), model_loader=loader, batch_size=batch_size, device=device,
                          progress=_progress(progress))


def sweep(model: Any = "embedded", dataset: Any = None, *, quant: Any = 32, noise: Any = "none", cache_dir=None,
          batch_size: int = 16, device: str | None = None, jobs: int | None = None,
          progress: bool | Callable = True, ray: bool | str | None = None, gpus_per_task: float | None = None,
          cpus_per_task: float | None = None, max_retries: int = 2, with_vectors: bool = False, **options: Any):
    """Every combination of ``model`` x ``quant`` x ``dataset`` x ``noise`` (comma strings or lists;
    ``model`` may hold loaded models); cached runs come back at once and failures do not stop
    the others.

    ``ray``: run on Ray, one task per (model, bit width) (``pip install -r requirements-cluster.txt``):
    ``True`` starts a local runtime on 127.0.0.1, ``"auto"`` or ``"ray://host:port"`` joins a
    cluster; ``gpus_per_task``, ``cpus_per_task``, ``max_retries`` and ``with_vectors`` as the CLI's
    options of the same names.
    Results land in ``cache_dir`` as they finish; ``progress=True`` draws one bar over runs.

    Returns a list of ``SweepOutcome`` (``.result`` a RunResult, or ``.error`` and ``.exit_code``).
    """

    given = list(model) if isinstance(model, (list, tuple)) else [model]
    loaded = {m.spec: m for m in given if isinstance(getattr(m, "spec", None), ModelSpec) and hasattr(m, "model")}
    if loaded and ray not in (None, False):
        raise BadInputError("a sweep on Ray loads its models on the workers: pass model names, not loaded models")
    if loaded:  # loaded models sweep at the bit width they were loaded at
        names = [m.spec.source if m in loaded.values() else m for m in given]
        quant = sorted({str(s.quant) for s in loaded} | ({str(q) for q in as_list(quant)}
                                                         if len(loaded) < len(given) else set()))
        model = ",".join(str(n) for n in names)
    store = _store(cache_dir)
    items = plan_sweep(model=model, quant=quant, dataset=dataset, noise=noise, **options)
    if ray not in (None, False):

        bar = RunsBar() if progress is True else None
        try:
            return run_sweep_on_ray(items, store=store, ray=ray, gpus_per_task=gpus_per_task,
                                    cpus_per_task=cpus_per_task, max_retries=max_retries,
                                    with_vectors=with_vectors, device=device, batch_size=batch_size, n_jobs=jobs,
                                    worker_cache_dir=worker_cache_for(ray, cache_dir is not None),
                                    progress=bar or (progress if callable(progress) else None))
        finally:
            if bar:
                bar.close()
    fallback = OneModelLoader(device, store.directory)
    if loaded:
        items = [it for it in items if it.spec.extraction.model in loaded or
                 it.spec.extraction.model.source not in {s.source for s in loaded}]
    make = (lambda i, item: _progress(progress)) if progress else None
    return run_sweep(items, store=store, device=device, batch_size=batch_size, n_jobs=jobs, progress_for=make,
                     model_loader=lambda spec: loaded[spec] if spec in loaded else fallback(spec))


def families(model: Any = "embedded,smollm2", dataset: Any = None, *, quant: Any = 32, noise: Any = "none",
             figure: str | None = None, heatmap: str | None = None, value: str = "jumping_point",
             metric: str = "accuracy", x: str = "relative", width: float = 10.0, height: float | None = None,
             dpi: int = 300, out: str | None = None, cache_dir=None, batch_size: int = 16, device: str | None = None,
             jobs: int | None = None, progress: bool | Callable = True, **options: Any):
    """Models side by side (the CLI's ``families``): run the ``model`` x ``dataset`` grid (cached
    runs come back at once) and return a ``ModelComparison``: ``.table()`` (peak, jumping and
    converging point, relative depth per run), ``.figure()`` (one panel per dataset, one curve per
    model, x = relative depth), ``.heatmap(value)`` (model x dataset), ``.failures``.

    ``figure``, ``heatmap`` (PNG/SVG/PDF) and ``out`` (CSV of the table) also write files, at
    ``width`` x ``height`` inches (``height`` None: from the panel rows) and ``dpi``.
    ``model`` may hold loaded models, as in :func:`sweep`; ``options``: the keywords of
    :func:`run` (``limit``, ``hook``, ``chat_template``...).
    """

    comparison = ModelComparison(tuple(sweep(model=model, dataset=dataset, quant=quant, noise=noise,
                                             cache_dir=cache_dir, batch_size=batch_size, device=device, jobs=jobs,
                                             progress=progress, **options)))
    write_outputs(comparison, figure=figure, heatmap=heatmap, value=value, metric=metric, x=x, width=width,
                  height=height, dpi=dpi, out=out)
    return comparison


# ---- beyond the paper ----------------------------------------------------------------------
def transfer(model: Any = "embedded", dataset: Any = None, *, probe: str = "lr", seed: int = 42,
             quant: int | None = None, revision: str | None = None, trust_remote_code: bool = False, cache_dir=None,
             batch_size: int = 16, device: str | None = None, progress: bool | Callable = True, **options: Any):
    """Train a probe at each layer on dataset A, test it on dataset B, for every ordered pair
    (``TransferResult``: ``.matrix(layer)`` [train, test], ``.curve(a, b)``, ``.figure(layer)``).

    ``dataset``: comma list or list of names, e.g. ``"cities,counterfact,common"``. ``options``:
    ``limit``, ``noise``, ``noise_strength``, ``noise_seed``, ``variant``, ``hook``, ``pooling``,
    ``max_tokens``, ``chat_template`` (applied to every dataset).
    """

    loader = _common(model, quant, revision, trust_remote_code, options)
    spec = transfer_spec(dataset=dataset, probe=probe, seed=seed, **options)
    return run_transfer(spec, store=_store(cache_dir), model_loader=loader, batch_size=batch_size, device=device,
                        progress=_progress(progress))


def directions(model: Any = "embedded", dataset: str | None = None, *, quant: Any = 32, noise: Any = "none",
               probe: str = "mass-mean", seed: int = 42, revision: str | None = None, trust_remote_code: bool = False,
               cache_dir=None, batch_size: int = 16, device: str | None = None, progress: bool | Callable = True,
               **options: Any):
    """Cosine between probe directions: layer x layer per setting, and per layer between the settings
    ``quant`` x ``noise`` (comma lists; the first is the reference) (``DirectionsResult``).

    ``model`` may be a loaded model (then ``quant`` must be its bit width).
    """

    spec_model, loader = _model(model, None, revision, trust_remote_code)
    store = _store(cache_dir)
    if loader is not None:  # a loaded model serves its own bit width; others load on demand
        loaded, fallback = model, OneModelLoader(device, store.directory)
        loader = lambda s: loaded if s == spec_model else fallback(s)  # noqa: E731
    spec = directions_spec(model=spec_model.source, revision=spec_model.revision,
                           trust_remote_code=spec_model.trust_remote_code, dataset=dataset,
                           quant=",".join(as_list(quant)), noise=",".join(as_list(noise)), probe=probe, seed=seed,
                           **options)
    return run_directions(spec, store=store, model_loader=loader, batch_size=batch_size, device=device,
                          progress=_progress(progress))


def steer(model: Any = "embedded", dataset: str | None = None, *, alpha: Any = (-4, -2, 2, 4), layers: Any = None,
          probe: str = "mass-mean", seed: int = 42, random_seed: int = 0, answer_words: Any = None,
          answer_cue: str = "\nAnswer:", norm: str = "centered", quant: int | None = None, revision: str | None = None,
          trust_remote_code: bool = False, cache_dir=None, batch_size: int = 16, device: str | None = None,
          progress: bool | Callable = True, **options: Any):
    """Push the last token's residual stream along the probe direction (alpha x the layer's typical norm,
    ``norm="centered"``: median distance from the mean vector, or ``"raw"``: median norm) at each
    layer and measure p(class-1 answer word), against a random direction of the same norm
    (``SteeringResult``: ``.effect(direction, metric)`` [layers, alphas], ``.summary``, ``.figure()``).

    ``options``: the dataset keywords of :func:`extract`, ``max_tokens``, ``chat_template``.
    """

    loader = _common(model, quant, revision, trust_remote_code, options)
    spec = steer_spec(dataset=dataset, alpha=alpha, layers=layers, probe=probe, seed=seed, random_seed=random_seed,
                      answer_words=answer_words, answer_cue=answer_cue, norm=norm, **options)
    return run_steer(spec, store=_store(cache_dir), model_loader=loader, batch_size=batch_size, device=device,
                     progress=_progress(progress))
