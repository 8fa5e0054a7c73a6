"""``load_samples``: a DatasetSpec in, model-ready SampleSet out."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from ..core.errors import BadInputError
from ..core.specs import DatasetSpec
from .builtin import GENERATORS, parse_seed
from .custom import DEFAULT_MAX_BYTES, load_custom_raw
from .loaders import READERS, RawData
from .noise import apply_noise
from .registry import get_entry
from .sample_set import TEXT_PLACEHOLDER, SampleSet
from .selection import reference_arrangement, select_indices
from .sources import locate_file

CUSTOM_NAMES = ("custom", "file")
DEFAULT_CUSTOM_TEMPLATE = TEXT_PLACEHOLDER


def check_template(template: str) -> str:
    """A prompt template must contain ``{text}`` exactly where the sample goes."""
    if TEXT_PLACEHOLDER not in template:
        raise BadInputError(f"the prompt template must contain the placeholder {TEXT_PLACEHOLDER} "
                            f"(where each sample's text goes); got {template[:60]!r}")
    return template


def _finish(raw: RawData, spec: DatasetSpec, *, name: str, category: str, template: str,
            label_names: tuple[str, str], answer_words: tuple[str, str],
            caps: tuple[int, int] | None, first: int | None, extra_notes: list[str]) -> SampleSet:
    """Select (caps, limit), arrange, add noise, and wrap into a SampleSet."""
    labels = np.asarray(raw.labels, dtype=np.int64)
    keep = select_indices(labels, caps, spec.limit)
    texts = [raw.texts[i] for i in keep]
    labels = labels[keep]
    if first is not None:
        order = reference_arrangement(labels, first)
        texts, labels = [texts[i] for i in order], labels[order]
    notes = list(raw.notes) + extra_notes
    if caps is not None:
        notes.append(f"first {caps[0]} / {caps[1]} samples of {label_names[0]} / {label_names[1]}, in file order")
    if spec.limit is not None:
        notes.append(f"limit {spec.limit}: at most {int(spec.limit) // 2} per class, in file order")
    if spec.noise.kind != "none":
        notes.append(f"noise: {spec.noise.label}")
    texts = apply_noise(texts, spec.noise)
    return SampleSet(name=name, category=category, template=template, texts=tuple(texts), labels=labels,
                     label_names=label_names, answer_words=answer_words, dropped=dict(raw.dropped),
                     notes=tuple(notes))


def load_samples(spec: DatasetSpec, *, data_dir: str | os.PathLike | None = None,
                 cache_dir: str | os.PathLike | None = None, max_bytes: int = DEFAULT_MAX_BYTES) -> SampleSet:
    """Load, select, noise and prompt the samples a DatasetSpec describes.

    Parameters
    ----------
    spec : registry name (case-insensitive) or ``custom`` with path / text_col / label_col.
    data_dir : folder with the dataset files (default ``$CONCEPT_DEPTH_DATA_DIR``).
    cache_dir : cache root; files go to ``<cache_dir>/datasets`` (default ``$CONCEPT_DEPTH_CACHE`` or ./cache).
    max_bytes : size limit of a custom file.

    Raises
    ------
    BadInputError : unknown name or variant, bad template, invalid custom file, bad limit.
    UnavailableError : a dataset file that is neither local nor downloadable.
    """
    if spec.prompt is not None:
        check_template(spec.prompt)
    if str(spec.name).strip().lower() in CUSTOM_NAMES or (spec.path and not spec.name):
        if not spec.path:
            raise BadInputError("a custom dataset needs a file path")
        filename = Path(spec.path).name
        raw, names = load_custom_raw(spec.path, spec.text_col or "", spec.label_col or "", max_bytes=max_bytes)
        return _finish(raw, spec, name=f"custom:{filename}", category="custom",
                       template=spec.prompt or DEFAULT_CUSTOM_TEMPLATE, label_names=names,
                       answer_words=("No", "Yes"), caps=None, first=None, extra_notes=[])

    entry = get_entry(spec.name)
    extra: list[str] = []
    if entry.builtin:
        raw = GENERATORS[entry.name](parse_seed(spec.variant))
        first = None
    else:
        variant = spec.variant
        if variant is not None and variant not in entry.variants:
            options = ", ".join(entry.variants) if entry.variants else "none"
            raise BadInputError(f"dataset {entry.name} has no variant {variant!r} (variants: {options})")
        path = locate_file(entry.files[0], data_dir=data_dir, cache_dir=cache_dir)
        raw = READERS[entry.name](path, variant)
        first = entry.reference_first
    if spec.prompt is not None and spec.prompt != entry.template:
        extra.append("custom prompt template (not the paper's)")
    return _finish(raw, spec, name=entry.name, category=entry.category, template=spec.prompt or entry.template,
                   label_names=entry.label_names, answer_words=entry.answer_words, caps=entry.class_caps,
                   first=first, extra_notes=extra)
