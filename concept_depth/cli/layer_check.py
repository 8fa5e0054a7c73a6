"""Layer numbers a command asks for (``steer --layers``, ``transfer --layer``), checked against the model's
depth before anything loads or is extracted.

The depth comes from what is at hand without loading weights (:func:`concept_depth.models.memory.model_size`):
the catalog (the offline models, the paper's and the current small ones), a local folder's config, a hub
model's config when the hub answers. When none of these gives it (tiny test models, GGUF files, offline
hub ids), nothing is checked here and the analysis itself checks right after extraction, as it always did.
"""

from __future__ import annotations

from typing import Any

from ..analyses import Analysis
from ..capture.points import layer_numbers
from ..core.errors import BadInputError
from ..core.specs import ExtractionSpec, ModelSpec, Spec, specs_within
from ..models.memory import model_size

#: Declared option names that hold layer numbers of the spec's hook (a comma list or one number).
LAYER_OPTIONS = ("layers", "layer")


def model_depth(model: ModelSpec) -> int | None:
    """Blocks L of ``model`` without loading weights, or None when it cannot be had here.

    Never runs a model's own code for this (``trust_remote_code`` stays off: such a config is then
    unreadable, and the check waits for the extraction)."""
    size = model_size(model.source, revision=model.revision, trust_remote_code=False)
    return size.n_layers if size is not None and size.n_layers else None


def extractions_of(spec: Any) -> list[ExtractionSpec]:
    """Every ExtractionSpec inside ``spec`` (its own, or each of several), in order."""
    return specs_within(spec, ExtractionSpec)


def asked_layers(analysis: Analysis, spec: Spec, view: dict[str, Any]) -> list[tuple[str, tuple[int, ...]]]:
    """(``--option``, layer numbers) for each layer option of ``analysis`` the user set."""
    groups = (*analysis.options, *((analysis.view,) if analysis.view is not None else ()))
    asked = []
    for option in (o for g in groups for o in g if o.name in LAYER_OPTIONS):
        value = view[option.name] if option.name in view else getattr(spec, option.name, None)
        if value is None:
            continue
        layers = tuple(int(v) for v in value) if isinstance(value, (tuple, list)) else (int(value),)
        asked.append((option.cli, layers))
    return asked


def check_layers(analysis: Analysis, spec: Spec, view: dict[str, Any]) -> None:
    """One BadInputError line when a layer the user asked for is not one of the model's (for the spec's
    hook: residual 0..L, block hooks 1..L); nothing when no layer was asked for or the depth is unknown."""
    asked = asked_layers(analysis, spec, view)
    extractions = extractions_of(spec)
    if not asked or not extractions:
        return
    ex = extractions[0]  # every extraction of one analysis reads one model with one hook
    depth = model_depth(ex.model)
    if depth is None:
        return
    have = layer_numbers(depth, ex.hook)
    for option, layers in asked:
        missing = [layer for layer in layers if layer not in have]
        if missing:
            raise BadInputError(f"{option} {missing[0]}: {ex.model.source} has no {ex.hook} layer {missing[0]} "
                                f"(layers {have[0]}..{have[-1]})")


__all__ = ["LAYER_OPTIONS", "model_depth", "extractions_of", "asked_layers", "check_layers"]
