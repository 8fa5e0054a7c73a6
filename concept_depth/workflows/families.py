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

from ..results.run import RunResult
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

    from ..figures.heatmaps import model_name

    return {"model": model_name(run),
            "dataset": run.spec.get("dataset"), "category": run.spec.get("category"), "layers": run.n_layers,
            "samples": run.n_samples, "peak_accuracy": round(float(d.peak_accuracy), 4), "peak_layer": peak_layer,
            "jumping_point": d.jumping_point, "converging_point": d.converging_point,
            "relative_peak": rel(peak_layer), "relative_jumping": rel(d.jumping_point),
            "relative_converging": rel(d.converging_point), "chance": round(float(d.chance), 4),
            "acquired": bool(d.acquired), "run_key": run.key}


@dataclass(frozen=True)
class ModelComparison:
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

    def figure(self, metric: str = "accuracy", x: str = "relative"):
        """The paper's layout: one panel per dataset, one curve per model (``family_panels``)."""
        from ..figures.family_panels import family_panels

        return family_panels(self.runs, metric=metric, x=x)

    def heatmap(self, value: str = "jumping_point", relative: bool = True):
        """Model x dataset heatmap of ``value`` (``depth_heatmap``): one row per model."""
        from ..figures.heatmaps import depth_heatmap

        return depth_heatmap(self.runs, value=value, relative=relative)


def compare_models(items: Sequence[SweepItem], *, store, device: str | None = None, batch_size: int = 16,
                   n_jobs: int | None = None, model_loader: Callable | None = None,
                   progress_for: Callable[[int, SweepItem], Any] | None = None,
                   on_outcome: Callable[[int, SweepOutcome], None] | None = None) -> ModelComparison:
    """Run every item of a grid (``plan_sweep``), skipping cached runs; see :func:`run_sweep`."""
    return ModelComparison(tuple(run_sweep(items, store=store, device=device, batch_size=batch_size, n_jobs=n_jobs,
                                           model_loader=model_loader, progress_for=progress_for,
                                           on_outcome=on_outcome)))


# ---- finding a grid's runs among stored ones (no model, no key computed) ---------------------
def _variant(dataset: str, variant: str | None) -> str | None:
    """A dataset's variant with the default spelled out (no variant given = the registry's first)."""
    if variant is not None:
        return variant
    from ..datasets.registry import get_entry
    from ..core.errors import BadInputError

    try:
        variants = get_entry(dataset).variants
    except BadInputError:  # a file of the user's own
        return None
    return variants[0] if variants else None


def _wanted(item: SweepItem) -> dict[str, Any]:
    spec = item.spec
    ex, ds = spec.extraction, spec.extraction.dataset
    return {"model": ex.model.source, "quant": ex.model.quant, "dataset": str(ds.name).lower(), "limit": ds.limit,
            "noise": ds.noise.kind, "noise_strength": ds.noise.strength, "noise_seed": ds.noise.seed,
            "variant": _variant(ds.name, ds.variant), "hook": ex.hook, "pooling": ex.pooling, "max_tokens": ex.max_tokens,
            "chat_template": bool(ex.chat_template)}


def _matches(run: RunResult, item: SweepItem) -> bool:
    s = run.spec
    have = {"model": s.get("model"), "quant": s.get("quant"), "dataset": str(s.get("dataset")).lower(),
            "limit": s.get("limit"), "noise": s.get("noise") or "none", "noise_strength": s.get("noise_strength") or 0.0,
            "noise_seed": s.get("noise_seed") or 0, "variant": _variant(str(s.get("dataset")), s.get("variant")),
            "hook": s.get("hook", "residual"),
            "pooling": s.get("pooling", "last"), "max_tokens": s.get("max_tokens", 512),
            "chat_template": bool(s.get("chat_template"))}
    spec = item.spec
    if spec.extraction.dataset.prompt is not None and s.get("prompt") != spec.extraction.dataset.prompt:
        return False
    if spec.extraction.model.revision and s.get("model_revision") != spec.extraction.model.revision:
        return False
    return (have == _wanted(item) and run.extra.get("probe_spec") == spec.probe.to_dict()
            and run.extra.get("depth_spec") == spec.depth.to_dict() and run.extra.get("origin") != "import")


def stored_runs(items: Sequence[SweepItem], runs: Sequence[RunResult]) -> list[RunResult | None]:
    """For each item, the newest of ``runs`` (newest first) with its settings, or None.

    Matching is by settings, not by cache key (which needs the dataset and the model's
    fingerprint), so it is instant; a run of an older revision of a model still matches.
    Running the grid (:func:`compare_models`) is what checks the keys.
    """
    return [next((r for r in runs if _matches(r, item)), None) for item in items]


# ---- files -------------------------------------------------------------------------------
def write_outputs(comparison: ModelComparison, *, figure: str | None = None, heatmap: str | None = None,
                  value: str = "jumping_point", metric: str = "accuracy", x: str = "relative", width: float = 10.0,
                  height: float | None = None, dpi: int = 300, out: str | None = None) -> list[str]:
    """Write the panels figure, the heatmap of ``value`` (PNG/SVG/PDF by extension) and the table
    (CSV) where paths are given; one ``wrote ...`` line each. ``height`` None: from the panel rows."""
    import csv
    from pathlib import Path

    from ..export.figures import CSS_DPI, figure_to_bytes, format_from_path

    lines = []
    if out:
        Path(out).parent.mkdir(parents=True, exist_ok=True)
        with open(out, "w", newline="", encoding="utf-8") as fh:
            writer = csv.DictWriter(fh, fieldnames=list(TABLE_COLUMNS))
            writer.writeheader()
            writer.writerows(comparison.table())
        lines.append(f"wrote {out} ({len(comparison.runs)} rows)")
    if not comparison.runs:
        return lines
    figures = []
    if figure:
        figures.append((figure, comparison.figure(metric=metric, x=x)))
    if heatmap:
        figures.append((heatmap, comparison.heatmap(value=value, relative=x == "relative" or value == "peak_accuracy")))
    for path, fig in figures:
        h = height or max(3.0, (fig.layout.height or 400) / CSS_DPI)
        data = figure_to_bytes(fig, format_from_path(str(path)), width_in=width, height_in=h, dpi=dpi)
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        Path(path).write_bytes(data)
        lines.append(f"wrote {path} ({len(data)} bytes)")
    return lines
