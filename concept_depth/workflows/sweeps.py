"""Sweeps: the cross product of models, bit widths, datasets and noise settings, one run each.

``plan_sweep`` builds every RunSpec first (a typo in any value fails before hours of
work) in an order that loads each (model, bit width) once; ``run_sweep`` runs them,
skipping what is cached and carrying on past failures. The CLI's ``sweep`` command and
``cd.sweep`` are thin wrappers over these two.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any, Callable, Sequence

from ..analyses.probe import run_probe
from ..core.errors import BadInputError, Cancelled, ConceptDepthError
from ..core.options import comma_list
from ..core.specs import RunSpec
from ..models.loader import OneModelLoader
from ..results.run import RunResult
from ..storage.sweep_records import SweepRecord


@dataclass(frozen=True)
class SweepItem:
    """One combination: its names (model, quant, dataset, noise) and its spec."""

    names: tuple[str, str, str, str]
    spec: RunSpec

    @property
    def label(self) -> str:
        return " ".join(str(x) for x in self.names)


@dataclass(frozen=True)
class SweepOutcome:
    """A finished combination: ``result`` or (``exit_code``, ``error``)."""

    item: SweepItem
    result: RunResult | None = None
    exit_code: int = 0
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.result is not None


def as_list(value: Any) -> list[str]:
    """``"a,b"`` or ``["a", "b"]`` or ``32`` -> ``["a", "b"]`` / ``["32"]`` (``[]`` for None or nothing)."""
    if value is None:
        return []
    try:
        return comma_list(value, "")
    except BadInputError:
        return []


def plan_sweep(*, model: Any = "embedded", quant: Any = 32, dataset: Any = None, noise: Any = "none",
               dataset_file: str | None = None, **options: Any) -> list[SweepItem]:
    """Every combination of the comma lists (or lists) ``model``, ``quant``, ``dataset``, ``noise``.

    ``options``: the other option values of a run (``RunSpec.from_options``), shared by all.
    Items are ordered model, bit width, dataset, noise, so a model is loaded once per bit width.
    """

    models, quants, noises = as_list(model), as_list(quant), as_list(noise)
    datasets: list[str | None] = [None] if dataset_file else as_list(dataset)
    if not datasets:
        raise BadInputError("give --dataset NAME[,NAME...] or --dataset-file PATH")
    if not (models and quants and noises):
        raise BadInputError("--model, --quant and --noise need at least one value each")
    items = []
    for m, q, d, n in itertools.product(models, quants, datasets, noises):
        spec = RunSpec.from_options(model=m, quant=q, dataset=d, noise=n, dataset_file=dataset_file, **options)
        items.append(SweepItem((m, q, d or str(dataset_file).rsplit("/", 1)[-1], n), spec))
    return items


def run_sweep(items: Sequence[SweepItem], *, store, device: str | None = None, batch_size: int = 16,
              n_jobs: int | None = None, model_loader: Callable | None = None,
              progress_for: Callable[[int, SweepItem], Any] | None = None,
              on_outcome: Callable[[int, SweepOutcome], None] | None = None) -> list[SweepOutcome]:
    """Run every item (cached ones come back at once); failures are kept, not raised.

    ``progress_for(i, item)`` makes the progress callback of item ``i`` (1-based);
    ``on_outcome(i, outcome)`` is told of each finished item. Cancelling (Ctrl-C or a
    progress callback returning False) stops the sweep. Its progress is kept in the store as
    a sweep record (see :mod:`concept_depth.sweep_records`) for the app's Runs page.
    ``concept_depth.cluster.run_sweep_on_ray`` runs the same items on a Ray cluster.
    """

    loader = model_loader or OneModelLoader(device, store.directory)
    record = SweepRecord(store, items, "serial")
    outcomes = []
    try:
        for i, item in enumerate(items, 1):
            progress = progress_for(i, item) if progress_for else None
            try:
                result = run_probe(item.spec, store=store, model_loader=loader, batch_size=batch_size, device=device,
                                   progress=progress, n_jobs=n_jobs, origin="sweep")
                outcome = SweepOutcome(item, result)
            except (Cancelled, KeyboardInterrupt):
                raise
            except ConceptDepthError as exc:
                outcome = SweepOutcome(item, exit_code=exc.exit_code, error=str(exc))
            except Exception as exc:  # noqa: BLE001 - keep going; the summary names it
                outcome = SweepOutcome(item, exit_code=1, error=f"{type(exc).__name__}: {exc}")
            finally:
                close = getattr(progress, "close", None)
                if close:
                    close()
            outcomes.append(outcome)
            record.note(outcome)
            if on_outcome:
                on_outcome(i, outcome)
    except BaseException:
        record.finish("interrupted")
        raise
    record.finish()
    return outcomes
