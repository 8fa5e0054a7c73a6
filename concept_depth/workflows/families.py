"""Models side by side: a models x datasets grid of probe runs, its depth table and its figures.

The paper's comparison (Jin et al., arXiv 2404.07066) puts model families next to each other:
for every dataset, each model's layer-wise accuracy against relative depth, and the jumping
and converging points of each model on each dataset. :func:`compare_models` runs the grid
(a sweep: cached runs come back at once, failures do not stop the others) and returns a
:class:`ModelComparison` with the table and both figures. The CLI's ``families`` command,
``cd.families`` and the Compare page's grid action share it. :func:`stored_runs` finds the
grid's runs among cached ones without computing anything (what the page shows before Run).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Sequence

from ..core.drawing import Drawable, draw
from ..results.labels import model_name
from ..results.run import RunResult
from ..results.settings import same_settings
from .baselines import newest_first
from .sweeps import SweepItem, SweepOutcome, run_sweep

#: Columns of :meth:`ModelComparison.table`, in order.
TABLE_COLUMNS = ("model", "dataset", "category", "layers", "samples", "peak_accuracy", "peak_layer",
                 "jumping_point", "converging_point", "relative_peak", "relative_jumping", "relative_converging",
                 "chance", "acquired", "run_key")


def depth_row(run: RunResult) -> dict[str, Any]:
    """One run's depth numbers: peak, jumping and converging layer, each also as layer / layers."""
    d = run.depth
    peak_layer = d.peak_layer if d.peak_layer is not None else max(run.layers, key=lambda s: s.accuracy).layer

    def rel(layer: int | None) -> float | None:
        return None if layer is None or not run.n_layers else round(layer / run.n_layers, 3)


    return {"model": model_name(run),
            "dataset": run.spec.get("dataset"), "category": run.spec.get("category"), "layers": run.n_layers,
            "samples": run.n_samples, "peak_accuracy": round(float(d.peak_accuracy), 4), "peak_layer": peak_layer,
            "jumping_point": d.jumping_point, "converging_point": d.converging_point,
            "relative_peak": rel(peak_layer), "relative_jumping": rel(d.jumping_point),
            "relative_converging": rel(d.converging_point), "chance": round(float(d.chance), 4),
            "acquired": bool(d.acquired), "run_key": run.key}


@dataclass(frozen=True)
class ModelComparison(Drawable):
    """The outcomes of a models x datasets grid, in grid order (model, bit width, dataset, noise)."""

    outcomes: tuple[SweepOutcome, ...]

    @property
    def runs(self) -> list[RunResult]:
        return [o.result for o in self.outcomes if o.result is not None]

    @property
    def failures(self) -> list[SweepOutcome]:
        return [o for o in self.outcomes if not o.ok]

    def table(self) -> list[dict[str, Any]]:
        """One row per run (:data:`TABLE_COLUMNS`): peak, jumping and converging point, relative depth."""
        return [depth_row(r) for r in self.runs]

    def heatmap(self, value: str = "jumping_point", relative: bool = True):
        """Model x dataset heatmap of ``value`` (``figures.depth_heatmap``): one row per model."""
        return draw(self, "heatmap", value=value, relative=relative)




def compare_models(items: Sequence[SweepItem], *, store, device: str | None = None, batch_size: int = 16,
                   n_jobs: int | None = None, model_loader: Callable | None = None,
                   progress_for: Callable[[int, SweepItem], Any] | None = None,
                   on_outcome: Callable[[int, SweepOutcome], None] | None = None) -> ModelComparison:
    """Run every item of a grid (``plan_sweep``), skipping cached runs; see :func:`run_sweep`."""
    return ModelComparison(tuple(run_sweep(items, store=store, device=device, batch_size=batch_size, n_jobs=n_jobs,
                                           model_loader=model_loader, progress_for=progress_for,
                                           on_outcome=on_outcome)))


# ---- finding a grid's runs among stored ones (no model, no key computed) ---------------------
def stored_runs(items: Sequence[SweepItem], runs: Sequence[RunResult]) -> list[RunResult | None]:
    """For each item, the newest of ``runs`` (newest first) with its settings, or None.

    Matching is by settings (:func:`concept_depth.results.settings.same_settings`), not by cache key
    (which needs the dataset and the model's fingerprint), so it is instant; a run of an older revision of
    a model still matches. Imported runs never stand in for a grid's run.
    Running the grid (:func:`compare_models`) is what checks the keys.
    """
    computed = newest_first(r for r in runs if r.origin != "import")
    return [next((r for r in computed if same_settings(r, item.spec)), None) for item in items]
