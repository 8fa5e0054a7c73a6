"""Which runs go together: a run's float32 clean baseline, and the component runs of one run.

Both are "the same settings except X" (:func:`concept_depth.results.settings.differ_only_in`): a
baseline is a float32 run without noise whose settings differ from the run's only in the bit
width and the noise (model, revision, dataset, samples, hook, pooling, prompt, chat template,
probe, seed, folds, depth rule... all equal); the component runs of a run differ from it only in
the hook.

A baseline is computed here: an imported run (a file made elsewhere, whose numbers and
timestamps this cache cannot vouch for) is a baseline only when the user picked it explicitly.
Among several candidates the newest one wins, newest by the time this cache stored it.
"""

from __future__ import annotations

from typing import Iterable, Sequence

from ..results.run import RunResult
from ..results.settings import differ_only_in, settings_of

#: What may differ between a run and its baseline.
BASELINE_FREE = ("extraction.model.quant", "extraction.dataset.noise")
#: What may differ between the component runs of one run.
COMPONENT_FREE = ("extraction.hook",)
#: The order component curves are drawn in.
COMPONENT_ORDER = ("residual", "attn_out", "mlp_out", "post_attention_layernorm")


def is_baseline(run: RunResult) -> bool:
    """True for a float32 run without noise."""
    spec = settings_of(run)
    if spec is not None:
        return spec.extraction.model.quant == 32 and spec.extraction.dataset.noise.kind == "none"
    return int(run.spec.get("quant", 32)) == 32 and run.spec.get("noise", "none") in (None, "none")


def newest_first(runs: Iterable[RunResult]) -> list[RunResult]:
    """``runs`` by the time this cache stored them, newest first (an import's own ``created_ts`` is
    replaced by its import time when it is imported, see ``concept_depth.results.imports``)."""
    return sorted(runs, key=lambda r: r.created_ts, reverse=True)


def find_baseline(run: RunResult, candidates: Iterable[RunResult], *, picked: Iterable[str] = ()) -> RunResult | None:
    """The newest float32 clean run whose settings differ from ``run``'s only in bit width and noise, or None.

    Imported runs are candidates only when their key is in ``picked`` (the user chose them)."""
    picked = set(picked)
    for cand in newest_first(candidates):
        if cand.key == run.key or not is_baseline(cand):
            continue
        if cand.origin == "import" and cand.key not in picked:
            continue
        if differ_only_in(cand, run, BASELINE_FREE):
            return cand
    return None


def pair_with_baselines(runs: Sequence[RunResult], pool: Sequence[RunResult]) -> list[tuple[RunResult, RunResult]]:
    """Every non-baseline run in ``runs`` that has a baseline in ``pool``, paired with it (imports among
    ``runs`` count as picked: they may be each other's baselines)."""
    picked = {r.key for r in runs if r.origin == "import"}
    out = []
    for run in runs:
        if is_baseline(run):
            continue
        base = find_baseline(run, pool, picked=picked)
        if base is not None:
            out.append((run, base))
    return out


def missing_difference_message(selected: Sequence[RunResult], pool: Sequence[RunResult]) -> str | None:
    """Why no difference curve can be drawn for ``selected`` (None when at least one can).

    Says what is actually missing: a run to compare (all selected runs are float32 clean
    baselines themselves) or a baseline for the runs that are not.
    """
    if not selected:
        return "Pick at least one run above."
    if pair_with_baselines(selected, pool):
        return None
    if all(is_baseline(r) for r in selected):
        return ("The selected runs are all float32 without noise, so they are baselines themselves: there is no "
                "lower bit width or noisy run among them to compare. Select (or run) the same model and dataset "
                "at another bit width or with noise.")
    lacking = [r.label for r in selected if not is_baseline(r)]
    return ("No float32, noise-free run with the same model, dataset and settings (hook, pooling, sample limit, "
            "protocol, seed, folds, prompt, chat template) computed here is in the cache for: " + "; ".join(lacking)
            + ". Run one (bit width 32, noise none) to see differences; an imported run is used only when you "
            "select it too.")


def component_runs(runs: Sequence[RunResult], anchor: RunResult) -> list[RunResult]:
    """The runs whose settings differ from ``anchor``'s only in the hook (newest first per hook, anchor
    included), in the order residual, attention output, MLP output, others."""
    out: dict[str, RunResult] = {str(anchor.spec.get("hook", "residual")): anchor}
    for r in newest_first(runs):
        hook = str(r.spec.get("hook", "residual"))
        if hook not in out and differ_only_in(r, anchor, COMPONENT_FREE):
            out[hook] = r
    rank = {h: i for i, h in enumerate(COMPONENT_ORDER)}
    return sorted(out.values(), key=lambda r: rank.get(str(r.spec.get("hook", "residual")), len(rank)))


__all__ = ["BASELINE_FREE", "COMPONENT_FREE", "is_baseline", "newest_first", "find_baseline", "pair_with_baselines",
           "missing_difference_message", "component_runs"]
