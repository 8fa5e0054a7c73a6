"""Same settings except X: the one answer to "do these two results differ only in these fields?".

A result's settings are its typed spec (``result.request``), flattened to dotted names
(``extraction.model.quant``, ``extraction.dataset.noise.seed``, ``probe.folds``...). Before they are
compared, specs are put in canonical form, so that the same samples asked for in two ways compare
equal: a dataset's name as the registry spells it, its default variant spelled out, a prompt equal
to the dataset's own template written as none.

Every comparison of results uses :func:`differ_only_in`: a low bit width against its float32 clean
baseline (only ``extraction.model.quant`` and ``extraction.dataset.noise`` may differ), the runs of a
models x datasets grid, the component curves of one run (only ``extraction.hook``).
"""

from __future__ import annotations

from dataclasses import fields, is_dataclass, replace
from typing import Any, Iterable

from ..core.errors import BadInputError
from ..core.specs import DatasetSpec, DepthSpec, ExtractionSpec, ModelSpec, NoiseSpec, ProbeSpec, RunSpec, Spec
from ..datasets.registry import get_entry

#: A name no spec field has: what two results differ in when either's settings are unknown.
UNKNOWN = "<settings unknown>"


def canonical(spec: Any) -> Any:
    """``spec`` with every dataset in canonical form (nested specs and tuples of them too)."""
    if isinstance(spec, DatasetSpec):
        return canonical_dataset(spec)
    if isinstance(spec, tuple):
        return tuple(canonical(s) for s in spec)
    if isinstance(spec, Spec) and is_dataclass(spec):
        changes = {f.name: canonical(getattr(spec, f.name)) for f in fields(spec)
                   if isinstance(getattr(spec, f.name), (Spec, tuple))}
        return replace(spec, **changes) if changes else spec
    return spec


def canonical_dataset(ds: DatasetSpec) -> DatasetSpec:
    """The registry's spelling of the name, its first variant when none is given, and no prompt when
    the prompt is the dataset's own template. Files of the user's own (not registry names) stay as they are."""
    try:
        entry = get_entry(ds.name)
    except BadInputError:
        return ds
    variant = ds.variant if ds.variant is not None else (entry.variants[0] if entry.variants else None)
    prompt = None if ds.prompt == entry.template else ds.prompt
    return replace(ds, name=entry.name, variant=variant, prompt=prompt)


def flat_fields(spec: Any, prefix: str = "") -> dict[str, Any]:
    """Dotted field name -> value of every leaf of ``spec`` (tuples of specs by position)."""
    out: dict[str, Any] = {}
    if isinstance(spec, Spec) and is_dataclass(spec):
        for f in fields(spec):
            out.update(flat_fields(getattr(spec, f.name), f"{prefix}{f.name}."))
    elif isinstance(spec, tuple) and any(isinstance(s, Spec) for s in spec):
        for i, s in enumerate(spec):
            out.update(flat_fields(s, f"{prefix}{i}."))
    else:
        out[prefix.rstrip(".")] = spec
    return out


def settings_of(item: Any) -> Any:
    """The typed spec of a result (its ``request``), or ``item`` itself when it is a spec."""
    return item if isinstance(item, Spec) else getattr(item, "request", None)


def differences(a: Any, b: Any) -> set[str]:
    """Dotted names of the settings in which results (or specs) ``a`` and ``b`` differ.

    Two specs of different types differ in every field; a result whose settings are unknown
    differs from everything (:data:`UNKNOWN`)."""
    sa, sb = settings_of(a), settings_of(b)
    if sa is None or sb is None:
        return {UNKNOWN}
    fa, fb = flat_fields(canonical(sa)), flat_fields(canonical(sb))
    if type(sa) is not type(sb):
        return set(fa) | set(fb) | {UNKNOWN}
    return {name for name in set(fa) | set(fb) if fa.get(name, UNKNOWN) != fb.get(name, UNKNOWN)}


def _covered(name: str, allowed: Iterable[str]) -> bool:
    return any(name == a or name.startswith(a + ".") for a in allowed)


def differ_only_in(a: Any, b: Any, allowed: Iterable[str] = ()) -> bool:
    """True when ``a`` and ``b`` have the same settings except (at most) the fields named in ``allowed``
    (a name covers the fields under it: ``extraction.dataset.noise`` covers its kind, strength and seed)."""
    allowed = tuple(allowed)
    return all(_covered(name, allowed) for name in differences(a, b))


def same_settings(a: Any, b: Any) -> bool:
    """True when ``a`` and ``b`` were made with the same settings."""
    return differ_only_in(a, b, ())


# ---- the settings of a run stored before runs kept them -------------------------------------------
def run_spec_from_flat(flat: dict[str, Any], probe: dict | None = None, depth: dict | None = None) -> RunSpec | None:
    """The RunSpec a run's flat ``spec`` block describes (runs stored before they kept their RunSpec),
    or None when it cannot tell (an uploaded file, whose path the flat block does not keep). A prompt equal
    to the dataset's own template is read as none (the flat block names the template a run used)."""
    dataset = str(flat.get("dataset") or "")
    if not dataset or dataset.startswith("custom") or not flat.get("model"):
        return None
    probe = dict(probe or {})
    try:
        noise = NoiseSpec(kind=flat.get("noise") or "none", strength=flat.get("noise_strength") or 0.0,
                          seed=flat.get("noise_seed") or 0)
        ds = DatasetSpec(name=dataset, prompt=flat.get("prompt"), variant=flat.get("variant"),
                         limit=flat.get("limit"), noise=noise, group_col=flat.get("group_col"))
        ds = replace(ds, prompt=canonical_dataset(ds).prompt)  # the flat block keeps the template used
        ex = ExtractionSpec(model=ModelSpec(source=str(flat["model"]), quant=flat.get("quant", 32)), dataset=ds,
                            hook=flat.get("hook") or "residual", pooling=flat.get("pooling") or "last",
                            max_tokens=flat.get("max_tokens") or 512, chat_template=bool(flat.get("chat_template")))
        probe_spec = ProbeSpec(**{k: v for k, v in probe.items() if k in {f.name for f in fields(ProbeSpec)}}) \
            if probe else ProbeSpec(protocol=flat.get("protocol") or "paper", probe=flat.get("probe") or "lr",
                                    folds=flat.get("folds") or 5, seed=flat.get("seed", 42))
        depth_spec = DepthSpec(**{k: v for k, v in (depth or {}).items() if k in {f.name for f in fields(DepthSpec)}})
        return RunSpec(extraction=ex, probe=probe_spec, depth=depth_spec)
    except (BadInputError, TypeError, ValueError):
        return None


__all__ = ["UNKNOWN", "canonical", "canonical_dataset", "flat_fields", "settings_of", "differences",
           "differ_only_in", "same_settings", "run_spec_from_flat"]
