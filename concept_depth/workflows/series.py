"""A checkpoint series: one model at several training stages, compared like model families.

The paper on cognition and expression (arXiv 2405.16964) follows one model through its training
phases (pretrained, SFT, RLHF): what a linear probe reads from its hidden states (cognition) and
what it answers (expression), stage by stage. Here a series is a list of stages in training order,
each a model source: hub revisions of one model (``--model org/name --revision r1,r2,r3``) or
local folders / GGUF files (``--series base=DIR1,sft=DIR2``).

:func:`plan_series` builds every spec first (a typo fails before any model loads): per stage and
dataset a probe run (a :class:`~concept_depth.workflows.sweeps.SweepItem`) and an expression
analysis. :func:`run_series` runs the probe runs as one sweep (cached runs come back at once,
failures do not stop the others) and, right after each stage's probe runs, while its model is still
loaded, that stage's expression analyses. The :class:`CheckpointSeries` it returns puts per stage
the best probe accuracy and jumping point (cognition) beside the zero-shot answer accuracy
(expression), and their correlation over stages (:func:`stage_correlation`).
"""

from __future__ import annotations

import json
import math
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np
from scipy.stats import pearsonr, spearmanr

from ..analyses import EXPRESSION, ExpressionResult, ExpressionSpec, run_analysis
from ..analyses.expression.spec import EXPRESSION_OPTIONS, EXPRESSION_TEXT_OPTIONS
from ..core.drawing import Drawable
from ..core.errors import BadInputError, Cancelled, ConceptDepthError
from ..core.options import DATASET_OPTIONS, Option, OptionGroup
from ..core.specs import ModelSpec, RunSpec
from ..models.loader import OneModelLoader
from ..results.base import json_safe
from ..results.run import RunResult
from .families import depth_row
from .sweeps import SweepItem, SweepOutcome, as_list, run_sweep

SERIES_SCHEMA = "concept-depth/series@1"
_COMMIT = re.compile(r"^[0-9a-f]{40}$")
#: Fewer stages than this leave a correlation undefined (two points always lie on a line).
MIN_STAGES = 3

SERIES_OPTIONS = OptionGroup("checkpoint series", (
    Option("series", None, metavar="NAME=SOURCE,...",
           help="the stages in training order, comma-separated NAME=SOURCE (a local folder, a .gguf file or anything "
                "--model takes), e.g. base=ckpt/base,sft=ckpt/sft; or give one --model and --revision R1,R2,..."),
))
#: The expression options a series takes: zero-shot answers by default; the few-shot pool keeps seed 0
#: (``--seed`` is the probe's split seed here).
SERIES_EXPRESSION_OPTIONS = EXPRESSION_OPTIONS.without("seed").with_defaults(shots="0").with_help(
    no_probe="the expression analyses leave out their probe-vs-lens curves (the series' probe runs still run)")
#: Help of ``--model`` and ``--revision`` in a series.
SERIES_MODEL_HELP = dict(
    model="with --revision: the hub model whose revisions are the stages",
    revision="comma-separated hub revisions of --model, one stage each in training order (NAME=REVISION names "
             "a stage, else the revision names it)")

#: Columns of :meth:`CheckpointSeries.table`, in order.
SERIES_COLUMNS = ("stage", "dataset", "model", "revision", "layers", "samples", "best_probe_accuracy",
                  "best_probe_layer", "jumping_point", "relative_jumping", "converging_point", "chance", "acquired",
                  "answer_accuracy", "answer_auc", "n_eval", "gap", "run_key", "expression_key", "error")
#: What a correlation's cognition can be: the best probe accuracy (default) or the jumping point.
COGNITION = {"best_probe_accuracy": "best probe accuracy", "jumping_point": "jumping point"}


@dataclass(frozen=True)
class Stage:
    """One training stage: its name (the x axis) and the model it is."""

    name: str
    model: ModelSpec

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "model": self.model.source, "revision": self.model.revision,
                "quant": self.model.quant}


def parse_stages(text: Any, option: str) -> list[tuple[str | None, str]]:
    """``"a=X,b=Y"`` (or ``["a=X", "Y"]``) -> ``[("a", "X"), (None, "Y")]``, in the order given.

    A name holds no ``/``: ``ckpt/lr=3e-4`` is an unnamed path, ``base=ckpt/lr=3e-4`` a named one."""
    entries = as_list(text)
    if not entries:
        raise BadInputError(f"{option} needs at least one stage")
    out = []
    for entry in entries:
        name, sep, value = entry.partition("=")
        if not sep or "/" in name or os.sep in name:
            out.append((None, entry))
        elif not name.strip() or not value.strip():
            raise BadInputError(f"{option}: {entry!r} is not NAME=VALUE")
        else:
            out.append((name.strip(), value.strip()))
    return out


def _revision_name(revision: str) -> str:
    """A stage named by its revision: a commit by its first 12 hex digits."""
    return revision[:12] if _COMMIT.match(revision) else revision


def series_stages(*, model: Any = None, revision: Any = None, series: Any = None, quant: Any = 32,
                  trust_remote_code: bool = False) -> list[Stage]:
    """The stages of ``--series NAME=SOURCE,...`` or of ``--model ID --revision R1,R2,...``, in order.

    An unnamed series entry is named by its file or folder name, an unnamed revision by itself.
    """
    if series and revision:
        raise BadInputError("give --series NAME=SOURCE,... or --model ID --revision R1,R2,..., not both")
    if series and model:
        raise BadInputError("--model goes with --revision; with --series each stage names its own source")
    if not series and not revision:
        raise BadInputError("a checkpoint series needs --series NAME=SOURCE,... or --model ID --revision R1,R2,...")
    if series:
        pairs = [(name or Path(source).name or source, source, None) for name, source in parse_stages(series, "--series")]
    else:
        models = as_list(model)
        if len(models) != 1:
            raise BadInputError("--revision takes one --model (the hub model whose revisions are the stages)")
        pairs = [(name or _revision_name(rev), models[0], rev) for name, rev in parse_stages(revision, "--revision")]
    names = [p[0] for p in pairs]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise BadInputError(f"stage names must differ; given twice: {', '.join(twice)}")
    return [Stage(name, ModelSpec.from_options(model=source, revision=rev, quant=quant,
                                               trust_remote_code=trust_remote_code))
            for name, source, rev in pairs]


@dataclass(frozen=True)
class SeriesPlan:
    """Every spec of a series: ``items[i]`` (a probe run) and ``expressions[i]`` of the same stage and
    dataset, stage by stage in training order, datasets in the order given."""

    stages: tuple[Stage, ...]
    datasets: tuple[str, ...]
    items: tuple[SweepItem, ...]
    expressions: tuple[ExpressionSpec, ...]

    def stage_of(self, i: int) -> Stage:
        """The stage of item ``i`` (0-based)."""
        return self.stages[i // len(self.datasets)]


def _one(value: Any, option: str) -> str:
    values = as_list(value)
    if len(values) != 1:
        raise BadInputError(f"a checkpoint series takes one {option} value, got {', '.join(values) or 'none'}")
    return values[0]


def plan_series(*, model: Any = None, revision: Any = None, series: Any = None, dataset: Any = None,
                dataset_file: str | None = None, quant: Any = 32, noise: Any = "none", trust_remote_code: bool = False,
                **options: Any) -> SeriesPlan:
    """The specs of a series (nothing computed, no model loaded).

    ``options``: the run options (``RunSpec.from_options``: limit, hook, probe, depth rule...) and the
    expression options (:data:`SERIES_EXPRESSION_OPTIONS`: shots, answer words...), shared by all stages.
    """
    quant, noise = _one(quant, "--quant"), _one(noise, "--noise")
    stages = series_stages(model=model, revision=revision, series=series, quant=quant,
                           trust_remote_code=trust_remote_code)
    datasets: list[str | None] = [None] if dataset_file else as_list(dataset)
    if not datasets:
        raise BadInputError("give --dataset NAME[,NAME...] or --dataset-file PATH")
    said = SERIES_EXPRESSION_OPTIONS.take(options)  # the series' defaults (zero-shot), not the command's
    shared = set(DATASET_OPTIONS.names) | set(EXPRESSION_TEXT_OPTIONS.names)
    text = {k: v for k, v in options.items() if k in shared}
    labels = tuple(d or str(dataset_file).rsplit("/", 1)[-1] for d in datasets)
    items, expressions = [], []
    for stage in stages:
        m = dict(model=stage.model.source, revision=stage.model.revision, quant=quant,
                 trust_remote_code=trust_remote_code)
        for d, label in zip(datasets, labels):
            spec = RunSpec.from_options(**m, dataset=d, noise=noise, dataset_file=dataset_file, **options)
            items.append(SweepItem((stage.name, str(quant), label, noise), spec))
            expressions.append(ExpressionSpec.from_options(**m, dataset=d, noise=noise, dataset_file=dataset_file,
                                                           **text, **said))
    return SeriesPlan(tuple(stages), labels, tuple(items), tuple(expressions))


# ---- correlation over stages ------------------------------------------------------------------
@dataclass(frozen=True)
class StageCorrelation:
    """Pearson and Spearman correlation of cognition and expression over the stages that have both.

    ``pearson`` / ``spearman`` are None (never NaN) when undefined: fewer than :data:`MIN_STAGES` stages,
    or a constant cognition or expression; ``reason`` says which.
    """

    dataset: str
    cognition: str
    n_stages: int
    pearson: float | None
    spearman: float | None
    reason: str | None = None

    @property
    def defined(self) -> bool:
        return self.reason is None

    @property
    def text(self) -> str:
        """``Pearson r = 0.93, Spearman ρ = 0.80 over 4 stages`` or ``correlation undefined (...)``."""
        if not self.defined:
            return f"correlation undefined ({self.reason})"
        return f"Pearson r = {self.pearson:.2f}, Spearman ρ = {self.spearman:.2f} over {self.n_stages} stages"

    def to_dict(self) -> dict[str, Any]:
        return {"dataset": self.dataset, "cognition": self.cognition, "expression": "answer_accuracy",
                "n_stages": self.n_stages, "pearson": self.pearson, "spearman": self.spearman, "reason": self.reason,
                "text": self.text}


def stage_correlation(cognition: Sequence[float | None], expression: Sequence[float | None]) -> tuple[
        int, float | None, float | None, str | None]:
    """(n, Pearson r, Spearman ρ, reason) over the stages where both values are known (scipy.stats).

    r and ρ are None, with the reason, for fewer than :data:`MIN_STAGES` stages or constant values.
    """
    pairs = [(float(x), float(y)) for x, y in zip(cognition, expression)
             if x is not None and y is not None and math.isfinite(float(x)) and math.isfinite(float(y))]
    n = len(pairs)
    if n < MIN_STAGES:
        return n, None, None, f"{n} stage{'s' if n != 1 else ''} with both values; needs {MIN_STAGES}"
    x, y = np.array(pairs).T
    constant = [what for what, v in (("cognition", x), ("expression", y)) if np.ptp(v) == 0]
    if constant:
        return n, None, None, f"{' and '.join(constant)} constant over the {n} stages"
    r, rho = float(pearsonr(x, y).statistic), float(spearmanr(x, y).statistic)
    if not (math.isfinite(r) and math.isfinite(rho)):  # pragma: no cover - guarded above
        return n, None, None, "not finite"
    return n, r, rho, None


# ---- the series' outcomes ----------------------------------------------------------------------
@dataclass(frozen=True)
class ExpressionOutcome:
    """A finished expression analysis of one stage and dataset: ``result`` or (``exit_code``, ``error``)."""

    stage: str
    dataset: str
    spec: ExpressionSpec
    result: ExpressionResult | None = None
    exit_code: int = 0
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.result is not None

    @property
    def label(self) -> str:
        return f"{self.stage} {self.dataset} expression"


@dataclass(frozen=True)
class CheckpointSeries(Drawable):
    """Cognition and expression per stage (see the module docstring); ``figure()`` draws them.

    stages : in training order (the x axis); datasets : their labels, in the order given.
    probes : the probe runs' outcomes, stage by stage (``SweepOutcome``: ``.result`` a RunResult).
    expressions : the expression analyses' outcomes, in the same order.
    """

    stages: tuple[Stage, ...]
    datasets: tuple[str, ...]
    probes: tuple[SweepOutcome, ...]
    expressions: tuple[ExpressionOutcome, ...]

    @property
    def stage_names(self) -> list[str]:
        return [s.name for s in self.stages]

    @property
    def runs(self) -> list[RunResult]:
        return [o.result for o in self.probes if o.result is not None]

    @property
    def failures(self) -> list[tuple[str, str, int]]:
        """(what, error, exit code) of every failed probe run or expression analysis."""
        return ([(o.item.label + " probe", o.error or "", o.exit_code) for o in self.probes if not o.ok]
                + [(o.label, o.error or "", o.exit_code) for o in self.expressions if not o.ok])

    def _index(self, stage: str, dataset: str) -> int:
        return self.stage_names.index(stage) * len(self.datasets) + self.datasets.index(dataset)

    def run(self, stage: str, dataset: str | None = None) -> RunResult | None:
        """The probe run of ``stage`` on ``dataset`` (default: the first dataset), or None if it failed."""
        return self.probes[self._index(stage, dataset or self.datasets[0])].result

    def expression(self, stage: str, dataset: str | None = None) -> ExpressionResult | None:
        """The expression analysis of ``stage`` on ``dataset`` (default: the first dataset), or None."""
        return self.expressions[self._index(stage, dataset or self.datasets[0])].result

    def table(self) -> list[dict[str, Any]]:
        """One row per stage and dataset (:data:`SERIES_COLUMNS`), stage by stage in training order."""
        rows = []
        for probe, expr in zip(self.probes, self.expressions):
            stage = self.stages[self.stage_names.index(expr.stage)]
            row: dict[str, Any] = dict.fromkeys(SERIES_COLUMNS)
            row.update(stage=stage.name, dataset=expr.dataset, model=stage.model.source, revision=stage.model.revision)
            if probe.result is not None:
                d = depth_row(probe.result)
                row.update(layers=d["layers"], samples=d["samples"], best_probe_accuracy=d["peak_accuracy"],
                           best_probe_layer=d["peak_layer"], jumping_point=d["jumping_point"],
                           relative_jumping=d["relative_jumping"], converging_point=d["converging_point"],
                           chance=d["chance"], acquired=d["acquired"], run_key=d["run_key"])
            if expr.result is not None:
                s = expr.result.summary
                row.update(answer_accuracy=_round(s.get("final_answer_accuracy")),
                           answer_auc=_round(s.get("final_answer_auc")), n_eval=s.get("n_eval"),
                           expression_key=expr.result.key)
            if row["best_probe_accuracy"] is not None and row["answer_accuracy"] is not None:
                row["gap"] = round(row["best_probe_accuracy"] - row["answer_accuracy"], 4)
            errors = ([] if probe.ok else [f"probe: {probe.error}"]) + ([] if expr.ok else [f"expression: {expr.error}"])
            row["error"] = "; ".join(errors) or None
            rows.append(row)
        return rows

    def correlation(self, dataset: str | None = None, cognition: str = "best_probe_accuracy") -> StageCorrelation:
        """Correlation of ``cognition`` (best probe accuracy, or the jumping point) with answer accuracy over
        the stages of ``dataset`` (default: the first) where both are known."""
        if cognition not in COGNITION:
            raise BadInputError(f"cognition must be one of {', '.join(COGNITION)}, got {cognition!r}")
        dataset = dataset or self.datasets[0]
        rows = [r for r in self.table() if r["dataset"] == dataset]
        n, r, rho, reason = stage_correlation([row[cognition] for row in rows], [row["answer_accuracy"] for row in rows])
        return StageCorrelation(dataset, cognition, n, r, rho, reason)

    def correlations(self) -> list[StageCorrelation]:
        """Every dataset's correlations: best probe accuracy, then jumping point, against answer accuracy."""
        return [self.correlation(d, c) for d in self.datasets for c in COGNITION]

    def to_dict(self) -> dict[str, Any]:
        """The series as JSON (schema ``concept-depth/series@1``): stages, table, correlations, failures."""
        return json_safe({"schema": SERIES_SCHEMA, "stages": [s.to_dict() for s in self.stages],
                          "datasets": list(self.datasets), "table": self.table(),
                          "correlations": [c.to_dict() for c in self.correlations()],
                          "failures": [{"what": w, "error": e} for w, e, _ in self.failures]})

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, allow_nan=False)


def _round(value: Any) -> float | None:
    return None if value is None else round(float(value), 4)


# ---- running a series ------------------------------------------------------------------------------
@dataclass(frozen=True)
class SeriesStep:
    """One step of a running series: the probe run or the expression analysis of a stage on a dataset."""

    stage: str
    dataset: str
    what: str  # "probe" | "expression"

    @property
    def label(self) -> str:
        return f"{self.stage} · {self.dataset} · {self.what}"


def _expression(spec: ExpressionSpec, *, stage: str, dataset: str, store, loader, batch_size: int,
                device: str | None, n_jobs: int | None, progress) -> ExpressionOutcome:
    try:
        result = run_analysis(EXPRESSION, spec, store=store, model_loader=loader, batch_size=batch_size,
                              device=device, progress=progress, n_jobs=n_jobs)
        return ExpressionOutcome(stage, dataset, spec, result)
    except (Cancelled, KeyboardInterrupt):
        raise
    except ConceptDepthError as exc:
        return ExpressionOutcome(stage, dataset, spec, exit_code=exc.exit_code, error=str(exc))
    except Exception as exc:  # noqa: BLE001 - keep going; the summary names it
        return ExpressionOutcome(stage, dataset, spec, exit_code=1, error=f"{type(exc).__name__}: {exc}")
    finally:
        close = getattr(progress, "close", None)
        if close:
            close()


def run_series(plan: SeriesPlan, *, store, device: str | None = None, batch_size: int = 16,
               n_jobs: int | None = None, model_loader: Callable | None = None,
               progress_for: Callable[[int, SeriesStep], Any] | None = None,
               on_step: Callable[[int, SeriesStep, Any], None] | None = None) -> CheckpointSeries:
    """Run a series: its probe runs as one sweep (:func:`run_sweep`), each stage's expression analyses
    right after that stage's probe runs (its model still loaded; a probe run the expression analysis
    needs is then cached). Cached results come back at once; a failure does not stop the others.

    Steps are numbered 1..2 x stages x datasets: a stage's probe runs, then its expression analyses.
    ``progress_for(i, step)`` makes step i's progress callback; ``on_step(i, step, outcome)`` is told of
    each finished step (``outcome``: a SweepOutcome or an :class:`ExpressionOutcome`).
    """
    loader = model_loader or OneModelLoader(device, store.directory)
    per = len(plan.datasets)
    expressions: list[ExpressionOutcome] = []

    def number(j: int, offset: int) -> int:  # item j (0-based) -> its step number
        return (j // per) * 2 * per + offset + j % per + 1

    def step_of(j: int, what: str) -> SeriesStep:
        return SeriesStep(plan.stage_of(j).name, plan.datasets[j % per], what)

    def after_probe(i: int, outcome: SweepOutcome) -> None:
        j = i - 1
        if on_step:
            on_step(number(j, 0), step_of(j, "probe"), outcome)
        if j % per != per - 1:
            return
        for k in range(j - per + 1, j + 1):  # the stage's last probe run is done: its answers now
            step, n = step_of(k, "expression"), number(k, per)
            done = _expression(plan.expressions[k], stage=step.stage, dataset=step.dataset, store=store, loader=loader,
                               batch_size=batch_size, device=device, n_jobs=n_jobs,
                               progress=progress_for(n, step) if progress_for else None)
            expressions.append(done)
            if on_step:
                on_step(n, step, done)

    probes = run_sweep(plan.items, store=store, device=device, batch_size=batch_size, n_jobs=n_jobs,
                       model_loader=loader, on_outcome=after_probe,
                       progress_for=(lambda i, _item: progress_for(number(i - 1, 0), step_of(i - 1, "probe")))
                       if progress_for else None)
    return CheckpointSeries(plan.stages, plan.datasets, tuple(probes), tuple(expressions))


__all__ = ["SERIES_SCHEMA", "SERIES_OPTIONS", "SERIES_EXPRESSION_OPTIONS", "SERIES_COLUMNS", "COGNITION", "MIN_STAGES",
           "Stage", "SeriesPlan", "SeriesStep", "StageCorrelation", "ExpressionOutcome", "CheckpointSeries",
           "parse_stages", "series_stages", "plan_series", "stage_correlation", "run_series"]
