"""User datasets: a CSV, TSV or JSONL file with a text column and a binary label column.

Every problem a user can cause is one ``BadInputError`` sentence: too large, empty, not
UTF-8, unknown format, missing columns, one class, more than two classes, fewer than
``MIN_PER_CLASS`` samples in a class. Rows with blank text or a missing label are dropped
and counted, never silently.
"""

from __future__ import annotations

import io
import json
import os
from pathlib import Path

import pandas as pd

from ..core.errors import BadInputError
from ..core.files import default_cache_dir, sha256_bytes
from .loaders import RawData

DEFAULT_MAX_BYTES = 200 * 1024 * 1024
MIN_PER_CLASS = 10
FORMATS = {".csv": "csv", ".tsv": "tsv", ".tab": "tsv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "jsonl"}

# Known label pairs (lower-cased): the second word of each pair becomes label 1.
_KNOWN_PAIRS = (("0", "1"), ("false", "true"), ("no", "yes"), ("negative", "positive"), ("neg", "pos"),
                ("f", "t"), ("n", "y"), ("-1", "1"))


def _read_bytes(source: str | os.PathLike | bytes, filename: str, max_bytes: int) -> bytes:
    if hasattr(source, "getvalue"):  # an upload object (e.g. Streamlit's UploadedFile)
        source = source.getvalue()
    if isinstance(source, (bytes, bytearray)):
        size = len(source)
    else:
        path = Path(source)
        if not path.is_file():
            raise BadInputError(f"dataset file {path} does not exist")
        size = path.stat().st_size
    if size > max_bytes:  # MB = 2**20 bytes, as the README and Streamlit's upload limit count them
        raise BadInputError(f"{filename} is {size / 2**20:.1f} MB, larger than the limit of "
                            f"{max_bytes / 2**20:.0f} MB; use a smaller file or raise the limit")
    data = bytes(source) if isinstance(source, (bytes, bytearray)) else Path(source).read_bytes()
    if not data.strip():
        raise BadInputError(f"{filename} is empty")
    return data


def _decode(data: bytes, filename: str) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise BadInputError(f"{filename} is not UTF-8 text (undecodable byte 0x{data[exc.start]:02x} at "
                            f"position {exc.start}); save it as UTF-8") from None


def _format(filename: str) -> str:
    ext = Path(filename).suffix.lower()
    if ext not in FORMATS:
        raise BadInputError(f"{filename}: unsupported file type {ext or '(none)'!r}; use .csv, .tsv or .jsonl")
    return FORMATS[ext]


def _json_type(value) -> str:
    return {list: "array", str: "string", int: "number", float: "number", bool: "boolean",
            type(None): "null"}.get(type(value), type(value).__name__)


def _is_one_json_value(line: str) -> bool:
    try:
        json.loads(line)
        return True
    except json.JSONDecodeError:
        return False


def _json_records(text: str, filename: str) -> list[dict]:
    """Objects of a JSON-lines file (one per line), or of one JSON array spanning the file.

    Errors name the file's own line number. A file is read as one array only when its first
    line is not a complete JSON value by itself (so JSON lines holding arrays are JSON lines).
    """
    lines = text.splitlines()
    first = next((i for i, line in enumerate(lines) if line.strip()), 0)
    if text.lstrip().startswith("[") and not _is_one_json_value(lines[first]):
        try:
            records = json.loads(text)
        except json.JSONDecodeError as exc:
            raise BadInputError(f"{filename} is not a valid JSON array ({exc.msg} at line {exc.lineno})") from None
        if not isinstance(records, list):
            raise BadInputError(f"{filename}: expected a JSON array of objects")
        for i, record in enumerate(records, 1):
            if not isinstance(record, dict):
                raise BadInputError(f"{filename}: item {i} of the JSON array is a JSON {_json_type(record)}, not an "
                                    "object with named fields")
        return records
    records = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise BadInputError(f"{filename} is not valid JSON lines ({exc.msg} at line {number}, "
                                f"column {exc.colno})") from None
        if not isinstance(record, dict):
            raise BadInputError(f"{filename}: line {number} is a JSON {_json_type(record)}, not an object with "
                                "named fields")
        records.append(record)
    return records


def read_table(source: str | os.PathLike | bytes, filename: str | None = None, *,
               max_bytes: int = DEFAULT_MAX_BYTES) -> pd.DataFrame:
    """Read a user file into a DataFrame (CSV/TSV cells as str; JSON values kept as parsed).

    ``source`` is a path or the file's bytes (an upload); ``filename`` gives the format
    (defaults to the path's name).
    """
    filename = filename or Path(str(getattr(source, "name", source))).name
    kind = _format(filename)
    text = _decode(_read_bytes(source, filename, max_bytes), filename)
    if kind == "jsonl":
        df = pd.DataFrame.from_records(_json_records(text, filename))
    else:
        try:
            df = pd.read_csv(io.StringIO(text), sep="," if kind == "csv" else "\t", dtype=str,
                             keep_default_na=False)
        except pd.errors.EmptyDataError:
            raise BadInputError(f"{filename} is empty") from None
        except pd.errors.ParserError as exc:
            raise BadInputError(f"{filename} could not be parsed as {kind.upper()}: {str(exc).strip()}") from None
    df.columns = [str(c) for c in df.columns]
    if len(df) == 0:
        raise BadInputError(f"{filename} has no data rows")
    return df


def _missing(value) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and value != value:  # NaN
        return True
    return isinstance(value, str) and not value.strip()


def _label_key(value) -> str:
    """A label cell as a canonical string: bools -> true/false, integral floats -> ints."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def map_labels(values: list[str], filename: str) -> tuple[dict[str, int], tuple[str, str]]:
    """Map the two distinct label values to 0/1 deterministically.

    Known pairs (0/1, false/true, no/yes, negative/positive, ...; case-insensitive) put the
    "positive" word at 1; any other pair is ordered numerically if both are numbers, else
    alphabetically, the first becoming 0.
    """
    distinct = sorted(set(values))
    if len(distinct) < 2:
        only = distinct[0] if distinct else "(none)"
        raise BadInputError(f"{filename}: the label column has only one class ({only!r}); two are needed")
    if len(distinct) > 2:
        shown = ", ".join(repr(v) for v in distinct[:10]) + (" ..." if len(distinct) > 10 else "")
        raise BadInputError(f"{filename}: the label column has {len(distinct)} classes ({shown}); "
                            "exactly two are needed")
    lower = tuple(sorted(v.lower() for v in distinct))
    for neg, pos in _KNOWN_PAIRS:
        if lower == tuple(sorted((neg, pos))):
            first = next(v for v in distinct if v.lower() == neg)
            second = next(v for v in distinct if v.lower() == pos)
            break
    else:
        try:
            first, second = sorted(distinct, key=float)
        except ValueError:
            first, second = distinct
    return {first: 0, second: 1}, (first, second)


def load_custom_raw(source: str | os.PathLike | bytes, text_col: str, label_col: str, *,
                    filename: str | None = None, max_bytes: int = DEFAULT_MAX_BYTES,
                    min_per_class: int = MIN_PER_CLASS) -> tuple[RawData, tuple[str, str]]:
    """Read and validate a user file; returns the raw samples and the label names (class 0, class 1)."""
    filename = filename or Path(str(source)).name
    df = read_table(source, filename, max_bytes=max_bytes)
    for col, what in ((text_col, "text"), (label_col, "label")):
        if not col or col not in df.columns:
            raise BadInputError(f"{filename}: {what} column {col!r} not found; available columns: "
                                f"{', '.join(df.columns)}")
    raw = RawData([], [])
    kept_text, kept_label = [], []
    for text, label in zip(df[text_col], df[label_col]):
        if _missing(text):
            raw.drop("blank text")
        elif _missing(label):
            raw.drop("missing label")
        else:
            kept_text.append(str(text))
            kept_label.append(_label_key(label))
    if not kept_text:
        raise BadInputError(f"{filename}: no row has both a text and a label")
    mapping, names = map_labels(kept_label, filename)
    for text, key in zip(kept_text, kept_label):
        raw.texts.append(text)
        raw.labels.append(mapping[key])
    for cls, name in enumerate(names):
        count = sum(1 for y in raw.labels if y == cls)
        if count < min_per_class:
            raise BadInputError(f"{filename}: class {name!r} has only {count} sample(s); at least "
                                f"{min_per_class} per class are needed")
    raw.notes.append(f"labels: {names[0]!r} -> 0, {names[1]!r} -> 1")
    return raw, names


def inspect_table(source: str | os.PathLike | bytes, filename: str | None = None, *, rows: int = 5,
                  max_bytes: int = DEFAULT_MAX_BYTES) -> tuple[list[str], pd.DataFrame]:
    """Columns and the first ``rows`` rows of a user file, for the app's column pickers."""
    df = read_table(source, filename, max_bytes=max_bytes)
    return list(df.columns), df.head(rows).reset_index(drop=True)


def store_upload(data: bytes, filename: str, cache_dir: str | os.PathLike | None = None) -> Path:
    """Keep an uploaded file under ``<cache>/uploads/<sha256[:16]>/<name>`` and return its path.

    The folder is named by the content hash, so a DatasetSpec pointing at it names exactly
    these bytes (a changed upload gets a new path, hence a new cache key).
    """

    name = Path(filename).name or "upload.csv"
    folder = default_cache_dir(cache_dir) / "uploads" / sha256_bytes(data)[:16]
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    if not path.is_file():
        tmp = folder / f".{name}.part{os.getpid()}"
        tmp.write_bytes(data)
        os.replace(tmp, path)
    return path
