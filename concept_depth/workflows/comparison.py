"""Everything a comparison of a run against its float32 clean baseline shows, in one call.

:func:`compare_pair` gathers, for a (run, baseline) pair: the paired per-layer differences
and depth shifts with intervals (:mod:`concept_depth.paired`; from the per-sample outcomes
stored with each run, refitted from cached vectors for older runs when asked), or why they
cannot be paired; the run's fidelity table against float32 (:mod:`concept_depth.fidelity`);
and a note when the paper protocol's probe did not converge on layers being compared.
:func:`rerun_spec` rebuilds a run's spec under another protocol (the ``cv`` comparison).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Sequence

from ..analyses.probe import outcomes_or_refit
from ..core.errors import BadInputError, UnavailableError
from ..core.specs import RunSpec
from ..datasets import load_samples
from ..extraction.keys import activation_key_for
from ..models.fingerprint import classify_source
from ..results.labels import setting_label
from ..stats.fidelity import run_fidelity
from ..stats.outcomes import run_outcomes, unconverged_layers
from ..stats.paired import PairedComparison, paired_comparison, pairing_problem


@dataclass(frozen=True)
class PairComparison:
    """A run against its baseline: ``paired`` (None with ``unpaired_reason``), ``fidelity`` (or None),
    ``convergence_note`` (None when the probes converged on every compared layer)."""

    run: Any
    base: Any
    paired: PairedComparison | None
    unpaired_reason: str | None
    fidelity: dict | None
    convergence_note: str | None


def layer_list(layers: Sequence[int]) -> str:
    """[1, 2, 3, 5, 7, 8] -> '1–3, 5, 7–8'."""
    out, start, prev = [], None, None
    for l in sorted(layers):
        if start is None:
            start = prev = l
        elif l == prev + 1:
            prev = l
        else:
            out.append(f"{start}" if start == prev else f"{start}–{prev}")
            start = prev = l
    if start is not None:
        out.append(f"{start}" if start == prev else f"{start}–{prev}")
    return ", ".join(out)


def convergence_note(base: Any, run: Any, layers: Sequence[int] | None = None) -> str | None:
    """A note when either run's paper-protocol probe did not converge on the compared layers, else None."""
    layers = set(layers if layers is not None else (set(base.layer_numbers) & set(run.layer_numbers)))
    parts = []
    for r in (run, base):
        if r.spec.get("protocol", "paper") != "paper":
            continue
        hit = unconverged_layers(r)
        if hit is None:
            parts.append(f"{_setting(r)}: on some layers (this older result does not say which)")
        else:
            hit = [l for l in hit if l in layers]
            if hit:
                parts.append(f"{_setting(r)}: {len(hit)} of {len(layers)} layers ({layer_list(hit)})")
    if not parts:
        return None
    return ("The paper protocol's probe did not converge (lbfgs stopped at max_iter=100 on unscaled features) — "
            + "; ".join(parts) + ". There, a difference can be one of two unfinished fits rather than of the "
            "representations; the cv protocol (standardised features) is the fairer comparison.")


def _setting(run: Any) -> str:

    return setting_label(run)


def compare_pair(store: Any, base: Any, run: Any, *, refit: bool = False, n_boot: int = 2000,
                 level: float = 0.95, alpha: float = 0.05, seed: int = 0, shifts: bool = True,
                 fidelity: bool = True) -> PairComparison:
    """``run`` against ``base`` (its float32 clean baseline): see :class:`PairComparison`.

    refit : for runs without stored per-sample outcomes, refit their probes from the cached
        layer vectors (one fit per layer and run; off by default because it takes a while).
    shifts : bootstrap the depth metrics' shifts too; fidelity : look up / compute the fidelity table.
    """
    getter = (lambda r: outcomes_or_refit(store, r)) if refit else run_outcomes
    out_base, out_run = getter(base), getter(run)
    reason = pairing_problem(base, run, out_base, out_run)
    paired = None
    if reason is None:
        paired = paired_comparison(base, run, out_base, out_run, n_boot=n_boot, level=level, alpha=alpha,
                                   seed=seed, shifts=shifts)
    table = None
    same_prompts = (run.spec.get("noise") or "none") == (base.spec.get("noise") or "none")
    if fidelity and int(run.spec.get("quant", 32)) != 32 and same_prompts:
        table = run_fidelity(store, run, base)
    compared = [l for l in run.layer_numbers if l in set(base.layer_numbers)]
    return PairComparison(run=run, base=base, paired=paired, unpaired_reason=reason, fidelity=table,
                          convergence_note=convergence_note(base, run, compared))


def can_refit(store: Any, run: Any) -> bool:
    """True when the run's layer vectors are cached, so its outcomes can be refitted."""
    key = (getattr(run, "extra", None) or {}).get("activation_key")
    return bool(store is not None and key and store.activation_meta(key) is not None)


# ---- the same run under another protocol --------------------------------------------
def _exact(spec: RunSpec, run: Any, store: Any, data_dir) -> bool:
    """True when ``spec`` reproduces ``run``'s layer vectors (its activation key), or nothing can tell."""
    act_key = (getattr(run, "extra", None) or {}).get("activation_key")
    if store is None or not act_key:
        return True
    try:
        samples = load_samples(spec.extraction.dataset, data_dir=data_dir, cache_dir=store.directory)
        return activation_key_for(spec.extraction, samples, store.directory) == act_key
    except (BadInputError, UnavailableError):
        return False


def imported_rerun_problem(spec: RunSpec) -> str | None:
    """Why a RunSpec read from an imported file must not be run as it stands (None: it may, once the
    user has seen what would load). A file can name any model path and ask for its own code to run:
    only catalog, offline and hub models are rerun, and never with ``trust_remote_code``."""
    model = spec.extraction.model
    if model.trust_remote_code:
        return f"the imported file asks to run {model.source}'s own code (trust_remote_code); that is never rerun"
    try:
        kind = classify_source(model.source)
    except BadInputError as exc:
        return f"the imported file names a model this machine cannot load ({exc})"
    if kind in ("dir", "gguf"):
        return f"the imported file names a local model path ({model.source}); rerun it from the Probe page instead"
    if spec.extraction.dataset.path:
        return "the imported file names a dataset file path; rerun it from the Probe page instead"
    return None


def run_spec_of(run: Any, store: Any = None, data_dir=None) -> RunSpec:
    """The RunSpec that made ``run`` (``run.request``: stored with it, or read from its flat spec for an
    older run and then checked against its activation key when a store is given). An imported run's
    stored spec is validated field by field, and refused when it would run code or a local path
    (:func:`imported_rerun_problem`). BadInputError if it cannot be told."""
    if getattr(run, "origin", None) == "import":
        data = run.extra.get("run_spec")
        spec = run.request_from(data, strict=True) if isinstance(data, dict) else run.request
        if spec is None:
            raise BadInputError(f"{run.label} is an imported result without its settings; rerun it from the Probe page")
        problem = imported_rerun_problem(spec)
        if problem:
            raise BadInputError(problem)
        return spec
    spec = getattr(run, "request", None)
    if spec is None:
        if str(run.spec.get("dataset") or "").startswith("custom"):
            raise BadInputError(f"{run.label} was made from an uploaded file whose path the result does not keep; "
                                "run it again from the Probe page under the other protocol")
        raise BadInputError(f"cannot tell how {run.label} was made (an older result); run it again from the Probe page")
    if isinstance(run.extra.get("run_spec"), dict):
        return spec
    # rebuilt from the flat block: its template may have been asked for as none or spelled out
    explicit = replace(spec, extraction=replace(spec.extraction, dataset=replace(
        spec.extraction.dataset, prompt=run.spec.get("prompt") or None)))
    for candidate in dict.fromkeys((spec, explicit)):
        if _exact(candidate, run, store, data_dir):
            return candidate
    raise BadInputError(f"cannot tell exactly how {run.label} was made (an older result); run it again from the "
                        "Probe page under the other protocol")


def rerun_spec(run: Any, *, store: Any = None, protocol: str = "cv", data_dir=None) -> RunSpec:
    """The spec of ``run`` with its probe under ``protocol`` (same samples, seed and depth settings)."""
    spec = run_spec_of(run, store, data_dir)
    return replace(spec, probe=replace(spec.probe, protocol=protocol))


def rerun_description(spec: RunSpec) -> str:
    """What a rerun would load and run, for a confirmation before an import is rerun."""
    ex = spec.extraction
    return (f"model {ex.model.source} at {ex.model.quant} bits" + (f" (revision {ex.model.revision})" if ex.model.revision
                                                                  else "")
            + f", dataset {ex.dataset.name}" + (f" (limit {ex.dataset.limit})" if ex.dataset.limit else "")
            + f", {ex.hook} / {ex.pooling}, protocol {spec.probe.protocol}, probe {spec.probe.probe}")
