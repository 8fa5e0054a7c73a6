"""The Python API for notebooks: ``import concept_depth as cd``.

It mirrors the command line: every keyword is the CLI option's name with dashes turned into
underscores (``--dataset-file`` -> ``dataset_file``), and each function is the command of the same
name::

    lm = cd.load_model("embedded")                       # a LoadedModel, safe to share between threads
    acts = cd.extract(model=lm, dataset="cities", limit=200)
    acts.features.shape                                  # (200, 19, 640): [N, layers, hidden], float32
    result = cd.run(model=lm, dataset="cities", limit=200)
    result.depth.jumping_point, result.to_dict(), result.figure()
    expr = cd.expression(model=lm, dataset="cities", limit=200, shots=(0, 4))
    outcomes = cd.sweep(model="embedded,smollm2", dataset="cities,coinflip", limit=200)
    grid = cd.families(model="embedded,smollm2", dataset="cities,coinflip", limit=200)
    grid.table(), grid.figure(), grid.heatmap("jumping_point")   # the paper's layout, one row per model
    ser = cd.series(series="base=ckpt/base,sft=ckpt/sft", dataset="cities", limit=200)   # training stages
    ser.table(), ser.correlation(), ser.figure()                  # cognition vs expression per stage
    t = cd.transfer(model=lm, dataset="cities,counterfact,common", limit=200)   # train on A, test on B
    d = cd.directions(model=lm, dataset="cities", limit=200)                    # cosine of probe directions
    s = cd.steer(model=lm, dataset="cities", limit=200, alpha=(-4, -2, 2, 4))   # does the model use it?

``cd.run``, ``cd.expression``, ``cd.transfer``, ``cd.directions`` and ``cd.steer`` are made from the
analyses' declarations (:mod:`concept_depth.analyses`): their keywords are the declared options, so
they cannot drift from the command line. ``cd.compute(spec)`` runs any spec. ``model`` is a name/path
(loaded on a cache miss only) or a :class:`LoadedModel`. Everything is cached in ``cache_dir``
(default ``$CONCEPT_DEPTH_CACHE`` or ``./cache``), the same store the app and the CLI use.
``progress=True`` draws progress bars; pass a callable to receive
:class:`~concept_depth.core.progress.ProgressEvent` objects instead.
"""

from __future__ import annotations

import inspect
from typing import Any, Callable

from .analyses import DIRECTIONS, EXPRESSION, PROBE, STEERING, TRANSFER, Analysis, compute, model_specs, run_analysis
from .core.errors import BadInputError
from .core.options import DATASET_OPTIONS, EXTRACTION_OPTIONS, MODEL_OPTIONS, OptionGroup, refuse_unknown
from .core.progress_bars import RunsBar, TqdmProgress
from .core.specs import ExtractionSpec, ModelSpec, RunSpec, Spec
from .export.families import write_outputs
from .export.series import write_series_outputs
from .extraction import Activations, extract_activations
from .models import LoadedModel, OneModelLoader
from .models import load_model as _load_model
from .results.base import Result
from .storage.store import Store
from .workflows.cluster import run_sweep_on_ray, worker_cache_for
from .workflows.families import ModelComparison
from .workflows.series import SERIES_EXPRESSION_OPTIONS, CheckpointSeries, plan_series, run_series
from .workflows.sweeps import SweepOutcome, as_list, plan_sweep, run_sweep

#: Keywords of how to run (never part of a spec) every function takes.
RUN_KEYWORDS = ("cache_dir", "batch_size", "device", "jobs", "progress")


def _progress(progress: bool | Callable | None):
    if callable(progress):
        return progress
    return TqdmProgress() if progress else None


def _is_loaded(model: Any) -> bool:
    return isinstance(model, LoadedModel) or (isinstance(getattr(model, "spec", None), ModelSpec)
                                              and hasattr(model, "model"))


def _model_values(model: Any, values: dict[str, Any]) -> LoadedModel | None:
    """Put ``model`` (a name/path or a LoadedModel) into the option ``values``; the LoadedModel or None."""
    if not _is_loaded(model):
        values["model"] = model
        return None
    values.update(model=model.spec.source, revision=model.spec.revision, trust_remote_code=model.spec.trust_remote_code)
    values.setdefault("quant", model.spec.quant)  # a loaded model runs at the bit width it was loaded at
    return model


def _loader_for(loaded: LoadedModel | None, spec: Spec, device: str | None, store: Store):
    """``model_loader=`` serving a given loaded model (others load on demand), or None (the default)."""
    if loaded is None:
        return None
    wanted = model_specs(spec)
    if loaded.spec not in wanted:
        asked = wanted[0].quant if wanted else "?"
        raise BadInputError(f"the model given is loaded at {loaded.spec.quant} bits, not {asked}; "
                            f"load it again with quant={asked}")
    fallback = OneModelLoader(device, store.directory)
    return lambda s: loaded if s == loaded.spec else fallback(s)


def _call(analysis: Analysis, model: Any, options: dict[str, Any]) -> Result:
    run = {k: options.pop(k) for k in RUN_KEYWORDS if k in options}
    values = dict(options)
    loaded = _model_values(model, values)
    spec = analysis.spec.take_options(values)
    refuse_unknown(values, f"cd.{analysis.command}")
    store = Store(run.get("cache_dir"))
    return run_analysis(analysis, spec, store=store, model_loader=_loader_for(loaded, spec, run.get("device"), store),
                        batch_size=int(run.get("batch_size") or analysis.batch_size), device=run.get("device"),
                        progress=_progress(run.get("progress", True)), n_jobs=run.get("jobs"))


def _parameters(groups: tuple[OptionGroup, ...], batch_size: int) -> list[inspect.Parameter]:
    kw = inspect.Parameter.KEYWORD_ONLY
    params = [inspect.Parameter("model", inspect.Parameter.POSITIONAL_OR_KEYWORD, default="embedded"),
              inspect.Parameter("dataset", inspect.Parameter.POSITIONAL_OR_KEYWORD, default=None)]
    names = {"model", "dataset"}
    for group in groups:
        for option in group:
            if option.name not in names:
                names.add(option.name)
                params.append(inspect.Parameter(option.name, kw, default=option.default))
    return params + [inspect.Parameter("cache_dir", kw, default=None),
                     inspect.Parameter("batch_size", kw, default=batch_size),
                     inspect.Parameter("device", kw, default=None), inspect.Parameter("jobs", kw, default=None),
                     inspect.Parameter("progress", kw, default=True)]


def _with_options(fn: Callable, groups: tuple[OptionGroup, ...]) -> Callable:
    """``fn`` whose signature also names the options of ``groups`` it takes through ``**options``."""
    sig = inspect.signature(fn)
    own = [p for p in sig.parameters.values() if p.kind is not inspect.Parameter.VAR_KEYWORD]
    names = {p.name for p in own}
    extra = [p for p in _parameters(groups, 16) if p.name not in names and p.kind is inspect.Parameter.KEYWORD_ONLY]
    rest = [p for p in sig.parameters.values() if p.kind is inspect.Parameter.VAR_KEYWORD]
    fn.__signature__ = sig.replace(parameters=own + extra + rest)  # type: ignore[attr-defined]
    return fn


def _function(analysis: Analysis) -> Callable[..., Result]:
    """The notebook function of ``analysis``: its declared options as keywords, run through the registry."""

    def function(model: Any = "embedded", dataset: Any = None, **options: Any) -> Result:
        return _call(analysis, model, dict(options, dataset=dataset))

    options = [o for group in analysis.options for o in group]
    listed = f" Comma lists (or lists) for {', '.join(analysis.listed)}." if analysis.listed else ""
    function.__name__ = function.__qualname__ = analysis.command
    function.__signature__ = inspect.Signature(_parameters(analysis.options, analysis.batch_size))  # type: ignore[attr-defined]
    function.__doc__ = (f"{analysis.help[0].upper()}{analysis.help[1:]} (``{analysis.result.__name__}``).\n\n"
                        f"{analysis.description}\n\nKeywords are the ``{analysis.command}`` command's options "
                        f"({', '.join(o.name for o in options)}), plus ``cache_dir``, ``batch_size``, ``device``, "
                        f"``jobs`` and ``progress``.{listed} ``model`` may be a loaded model.")
    return function


run = _function(PROBE)
expression = _function(EXPRESSION)
transfer = _function(TRANSFER)
directions = _function(DIRECTIONS)
steer = _function(STEERING)


def load_model(name: str = "embedded", quant: int = 32, device: str | None = None, *, revision: str | None = None,
               trust_remote_code: bool = False, cache_dir=None, progress: bool | Callable = True) -> LoadedModel:
    """Load a model once (``LoadedModel``); pass it as ``model=`` to the other functions.

    Every forward pass on it goes through one lock, so threads may share it.
    """
    spec = ModelSpec.from_options(model=name, quant=quant, revision=revision, trust_remote_code=trust_remote_code)
    return _load_model(spec, device=device, cache_dir=Store(cache_dir).directory, progress=_progress(progress))


def extract(model: Any = "embedded", dataset: str | None = None, *, cache_dir=None, batch_size: int = 16,
            device: str | None = None, progress: bool | Callable = True, **options: Any) -> Activations:
    """Layer vectors of every prompt (``Activations``: ``.features`` [N, layers, hidden] float32,
    ``.layers``, ``.labels``, ``.prompts``).

    ``options``: the ``extract`` command's options (the model, dataset and extraction ones).
    """
    values = dict(options, dataset=dataset)
    loaded = _model_values(model, values)
    spec = ExtractionSpec.take_options(values)
    refuse_unknown(values, "cd.extract")
    store = Store(cache_dir)
    return extract_activations(spec, store=store, model_loader=_loader_for(loaded, spec, device, store),
                               batch_size=batch_size, device=device, progress=_progress(progress))


extract.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
    [p for p in _parameters((MODEL_OPTIONS, DATASET_OPTIONS, EXTRACTION_OPTIONS), 16) if p.name != "jobs"])


def sweep(model: Any = "embedded", dataset: Any = None, *, quant: Any = 32, noise: Any = "none", cache_dir=None,
          batch_size: int = 16, device: str | None = None, jobs: int | None = None,
          progress: bool | Callable = True, ray: bool | str | None = None, gpus_per_task: float | None = None,
          cpus_per_task: float | None = None, max_retries: int = 2, with_vectors: bool = False,
          **options: Any) -> list[SweepOutcome]:
    """Every combination of ``model`` x ``quant`` x ``dataset`` x ``noise`` (comma strings or lists;
    ``model`` may hold loaded models); cached runs come back at once and failures do not stop
    the others.

    ``ray``: run on Ray, one task per (model, bit width) (``pip install -r requirements-cluster.txt``):
    ``True`` starts a local runtime on 127.0.0.1, ``"auto"`` or ``"ray://host:port"`` joins a
    cluster; ``gpus_per_task``, ``cpus_per_task``, ``max_retries`` and ``with_vectors`` as the CLI's
    options of the same names. ``options``: the ``run`` command's other options.
    Results land in ``cache_dir`` as they finish; ``progress=True`` draws one bar over runs.

    Returns a list of ``SweepOutcome`` (``.result`` a RunResult, or ``.error`` and ``.exit_code``).
    """
    given = list(model) if isinstance(model, (list, tuple)) else [model]
    loaded = {m.spec: m for m in given if _is_loaded(m)}
    if loaded and ray not in (None, False):
        raise BadInputError("a sweep on Ray loads its models on the workers: pass model names, not loaded models")
    if loaded:  # loaded models sweep at the bit width they were loaded at
        names = [m.spec.source if _is_loaded(m) else m for m in given]
        quant = sorted({str(s.quant) for s in loaded} | ({str(q) for q in as_list(quant)}
                                                         if len(loaded) < len(given) else set()))
        model = ",".join(str(n) for n in names)
    store = Store(cache_dir)
    items = plan_sweep(model=model, quant=quant, dataset=dataset, noise=noise, **options)
    if ray not in (None, False):
        return _sweep_on_ray(items, store, ray, progress, gpus_per_task=gpus_per_task, cpus_per_task=cpus_per_task,
                             max_retries=max_retries, with_vectors=with_vectors, device=device, batch_size=batch_size,
                             n_jobs=jobs, worker_cache_dir=worker_cache_for(ray, cache_dir is not None))
    fallback = OneModelLoader(device, store.directory)
    if loaded:
        items = [it for it in items if it.spec.extraction.model in loaded or
                 it.spec.extraction.model.source not in {s.source for s in loaded}]
    make = (lambda i, item: _progress(progress)) if progress else None
    return run_sweep(items, store=store, device=device, batch_size=batch_size, n_jobs=jobs, progress_for=make,
                     model_loader=lambda spec: loaded[spec] if spec in loaded else fallback(spec))


sweep = _with_options(sweep, RunSpec.OPTIONS)


def _sweep_on_ray(items, store: Store, ray, progress, **options: Any) -> list[SweepOutcome]:
    bar = RunsBar() if progress is True else None
    try:
        return run_sweep_on_ray(items, store=store, ray=ray, progress=bar or (progress if callable(progress) else None),
                                **options)
    finally:
        if bar:
            bar.close()


def families(model: Any = "embedded,smollm2", dataset: Any = None, *, quant: Any = 32, noise: Any = "none",
             figure: str | None = None, heatmap: str | None = None, value: str = "jumping_point",
             metric: str = "accuracy", x: str = "relative", width: float = 10.0, height: float | None = None,
             dpi: int = 300, out: str | None = None, cache_dir=None, batch_size: int = 16, device: str | None = None,
             jobs: int | None = None, progress: bool | Callable = True, **options: Any) -> ModelComparison:
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


families = _with_options(families, RunSpec.OPTIONS)


def series(model: Any = None, dataset: Any = None, *, revision: Any = None, series: Any = None, quant: Any = 32,
           noise: Any = "none", figure: str | None = None, out: str | None = None, width: float = 7.0,
           height: float = 5.5, dpi: int = 300, cache_dir=None, batch_size: int = 16, device: str | None = None,
           jobs: int | None = None, progress: bool | Callable = True, **options: Any) -> CheckpointSeries:
    """A checkpoint series (the CLI's ``series``): one model at several training stages, in training order:
    ``model="org/name", revision="r1,r2,r3"`` (hub revisions) or ``series="base=DIR1,sft=DIR2"`` (local
    folders, .gguf files or any model name; ``NAME=`` names a stage). Per stage and dataset a probe run and
    the zero-shot expression analysis (cached ones come back at once, failures do not stop the others).

    Returns a ``CheckpointSeries``: ``.table()`` (per stage: best probe accuracy and layer, jumping point,
    answer accuracy, gap), ``.correlation(dataset)`` (Pearson and Spearman over stages, with their number;
    undefined below 3 stages), ``.figure()``, ``.runs``, ``.failures``, ``.to_json()``.
    ``out`` (.csv table or .json series) and ``figure`` (PNG/SVG/PDF, ``width`` x ``height`` inches, ``dpi``)
    also write files. ``options``: the keywords of :func:`run` (``limit``, ``hook``...) and the expression
    options (``shots``, default 0; ``answer_words``, ``answer_cue``...).
    """
    if _is_loaded(model):
        raise BadInputError("cd.series loads each stage itself: give the model's name with revision=..., or series=...")
    plan = plan_series(model=model, revision=revision, series=series, dataset=dataset, quant=quant, noise=noise,
                       **options)
    make = (lambda i, step: _progress(progress)) if progress else None
    result = run_series(plan, store=Store(cache_dir), device=device, batch_size=batch_size, n_jobs=jobs,
                        progress_for=make)
    write_series_outputs(result, out=out, figure=figure, width=width, height=height, dpi=dpi)
    return result


series = _with_options(series, RunSpec.OPTIONS + (SERIES_EXPRESSION_OPTIONS,))

__all__ = ["load_model", "extract", "run", "expression", "transfer", "directions", "steer", "sweep", "families",
           "series", "compute"]
