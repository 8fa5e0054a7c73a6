"""Datasets: the paper's nine, built-in generated ones, multiple-choice sets, and user files, as SampleSets.

Public API::

    load_samples(spec, *, data_dir=None, cache_dir=None, max_bytes=200 MB) -> SampleSet
    dataset_catalog(*, data_dir=None, cache_dir=None) -> list[DatasetInfo]
    get_dataset_info(name, *, data_dir=None, cache_dir=None) -> DatasetInfo
    inspect_table(path_or_bytes, filename=None, *, rows=5, max_bytes=200 MB) -> (columns, preview DataFrame)
    store_upload(data, filename, cache_dir=None) -> Path   (content-addressed copy of an upload)
    apply_noise(texts, noise_spec) -> list[str]
"""

from ..core.files import CACHE_ENV
from .catalog import DatasetInfo, dataset_catalog, get_dataset_info
from .custom import DEFAULT_MAX_BYTES, MIN_PER_CLASS, inspect_table, read_table, store_upload
from .load import check_template, load_samples
from .noise import apply_noise
from .registry import BUILTIN_DATASETS, CHOICE_DATASETS, PAPER_DATASETS
from .sample_set import LETTERS, Questions, SampleSet, option_text, render_prompt
from .sources import DATA_DIR_ENV, locate_file

__all__ = [
    "SampleSet", "Questions", "LETTERS", "option_text", "render_prompt", "load_samples", "dataset_catalog", "get_dataset_info", "DatasetInfo",
    "inspect_table", "read_table", "store_upload", "apply_noise", "check_template", "locate_file", "PAPER_DATASETS",
    "BUILTIN_DATASETS", "CHOICE_DATASETS", "DEFAULT_MAX_BYTES", "MIN_PER_CLASS", "DATA_DIR_ENV", "CACHE_ENV",
]
