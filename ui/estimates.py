"""How long a run will take here, from the rate this machine measured: every computed run keeps its timing
(load, extraction in prompts/s, probes) in the cache, so the app can say before a run starts how long it will
take, instead of a number measured once on another machine (issue 22 items 5 and 22).
"""

from __future__ import annotations

from dataclasses import dataclass
from statistics import median
from typing import Sequence

from concept_depth.results.labels import model_text
from concept_depth.results.run import RunResult

from .analyses import stored_grid_runs
from .engine import cached_runs
from .progress import fmt_seconds


@dataclass(frozen=True)
class Rate:
    """What this machine measured for one model at one bit width, over ``runs`` computed runs (medians)."""

    prompts_per_s: float
    load_s: float
    probe_s_per_sample: float
    runs: int

    def seconds(self, n_prompts: int, *, load: bool = True) -> float:
        """A run of ``n_prompts`` prompts: loading the model (once, ``load``), extraction, probes."""
        return (self.load_s if load else 0.0) + n_prompts / self.prompts_per_s + n_prompts * self.probe_s_per_sample


def measured_rate(runs: Sequence[RunResult], model: str, quant: int) -> Rate | None:
    """The median rate of the runs of ``model`` (its source, e.g. ``embedded``) at ``quant`` bits that extracted
    their vectors here (imports and runs read from cached vectors measured nothing); None when there are none."""
    timed = [r for r in runs if r.origin != "import" and str(r.spec.get("model")) == str(model)
             and int(r.spec.get("quant", 32) or 32) == int(quant)
             and isinstance((r.timing or {}).get("prompts_per_s"), (int, float)) and r.timing["prompts_per_s"] > 0]
    if not timed:
        return None
    return Rate(prompts_per_s=median(float(r.timing["prompts_per_s"]) for r in timed),
                load_s=median(float(r.timing.get("load_s") or 0.0) for r in timed),
                probe_s_per_sample=median(float(r.timing.get("probe_s") or 0.0) / max(1, r.n_samples) for r in timed),
                runs=len(timed))


def _rate_text(name: str, rate: Rate) -> str:
    return f"{name} {rate.prompts_per_s:.1f} prompts/s (measured on {rate.runs} run{'s' if rate.runs != 1 else ''} here)"


def run_estimate(runs: Sequence[RunResult], model: str, quant: int, n_prompts: int, name: str) -> str:
    """One sentence: how long a run of ``n_prompts`` prompts of ``model`` will take here, and from what."""
    rate = measured_rate(runs, model, quant)
    if rate is None:
        return (f"No run of {name} at {quant} bits has been timed on this machine yet: the first one measures it "
                "(a bar per step shows its share of the time), and later runs are estimated from it.")
    return (f"About {fmt_seconds(rate.seconds(n_prompts))} on this machine, from the rate it measured: "
            f"{_rate_text(name, rate)}, {fmt_seconds(rate.load_s)} to load the model.")


def grid_estimate(items: Sequence, stored: Sequence[RunResult | None], runs: Sequence[RunResult]) -> str:
    """Before a grid runs: which of its runs are cached already, and how long the missing ones will take here
    (each model loaded once), from the rates this machine measured; models never timed here are named."""
    missing = [it for it, r in zip(items, stored) if r is None]
    cached = [it for it, r in zip(items, stored) if r is not None]
    by_model: dict[tuple[str, int], list] = {}
    for it in missing:
        by_model.setdefault((it.spec.extraction.model.source, it.spec.extraction.model.quant), []).append(it)
    total, counted, rates, untimed, unlimited = 0.0, 0, [], [], []
    for (model, quant), todo in by_model.items():
        rate = measured_rate(runs, model, quant)
        name = _name(model, runs)
        if rate is None:
            untimed.append(name)
            continue
        rates.append(_rate_text(name, rate))
        for k, it in enumerate(todo):
            n = it.spec.extraction.dataset.limit
            if n is None:
                unlimited.append(f"{name} · {it.names[2]}")
                continue
            total += rate.seconds(int(n), load=k == 0)
            counted += 1
    parts = []
    if missing:
        head = f"{len(missing)} run{'s' if len(missing) != 1 else ''} to compute"
        if counted:
            head += (f": about {fmt_seconds(total)} on this machine" + ("" if counted == len(missing) else
                     f" for the {counted} it can estimate") + f", from the rates it measured ({'; '.join(rates)})")
        parts.append(head)
        if untimed:
            parts.append(f"not timed here yet: {', '.join(untimed)} (a model's first run here measures it)")
        if unlimited:
            parts.append(f"every sample, not estimated: {', '.join(unlimited)}")
    if cached:
        parts.append("cached already: " + ", ".join(f"{_name(it.spec.extraction.model.source, runs)} · {it.names[2]}"
                                                      for it in cached))
    return ". ".join(p[0].upper() + p[1:] for p in parts) + "." if parts else ""


def _name(source: str, runs: Sequence[RunResult]) -> str:
    """A model's name as its runs here call it (else its source)."""
    run = next((r for r in runs if str(r.spec.get("model")) == str(source)), None)
    return model_text(run.spec) if run is not None else str(source)


def grid_time_note(items: Sequence) -> str:
    """:func:`grid_estimate` of a grid over the runs cached here."""
    return grid_estimate(items, stored_grid_runs(items), cached_runs())


def run_time_note(model: str, quant: int, n_prompts: int, name: str) -> str:
    """:func:`run_estimate` over the runs cached here."""
    return run_estimate(cached_runs(), model, quant, n_prompts, name)
