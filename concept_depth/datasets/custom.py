"""User datasets: a CSV, TSV or JSONL file with a text column and a binary label column.

Every problem a user can cause is one ``BadInputError`` sentence: not a regular file (a folder,
a named pipe, a device), too large, empty, not UTF-8, unknown format, missing columns, text that
is not a string (JSON), one class, more than two classes, fewer than ``MIN_PER_CLASS`` samples in
a class. Rows with blank text or a missing label are dropped and counted, never silently.
Labels are compared as values: ``0``, ``0.0`` and ``"0"`` are one class.

A ``group_col`` (one column, or several separated by commas) makes the rows sharing its value
one group, kept whole by ``limit`` and by every split; a row with a blank group cell is a group
of its own.
"""

from __future__ import annotations

import csv
import io
import json
import math
import numbers
import os
import stat
from pathlib import Path

import pandas as pd

from ..core.errors import BadInputError
from ..core.files import default_cache_dir, sha256_bytes
from .loaders import RawData, group_columns, group_key

DEFAULT_MAX_BYTES = 200 * 1024 * 1024
MIN_PER_CLASS = 10
FORMATS = {".csv": "csv", ".tsv": "tsv", ".tab": "tsv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "jsonl"}

# Known label pairs (lower-cased): the second word of each pair becomes label 1.
_KNOWN_PAIRS = (("0", "1"), ("false", "true"), ("no", "yes"), ("negative", "positive"), ("neg", "pos"),
                ("f", "t"), ("n", "y"), ("-1", "1"))
#: At most this many bad rows are listed in one error (the rest are counted).
MAX_LISTED = 10


def file_size(path: Path) -> int:
    """The size of the regular file at ``path``; otherwise one BadInputError line saying what is there."""
    try:
        st = path.stat()
    except (FileNotFoundError, NotADirectoryError):
        raise BadInputError(f"dataset file {path} does not exist") from None
    except OSError as exc:
        raise BadInputError(f"dataset file {path} cannot be read ({exc.strerror or type(exc).__name__})") from None
    mode = st.st_mode
    what = ("a folder" if stat.S_ISDIR(mode) else "a named pipe (FIFO)" if stat.S_ISFIFO(mode)
            else "a device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode) else "a socket" if stat.S_ISSOCK(mode)
            else None if stat.S_ISREG(mode) else "not a regular file")
    if what is not None:
        raise BadInputError(f"dataset file {path} is {what}, not a regular file; give a CSV, TSV or JSONL file")
    return st.st_size


def _read_bytes(source: str | os.PathLike | bytes, filename: str, max_bytes: int) -> bytes:
    if hasattr(source, "getvalue"):  # an upload object (e.g. Streamlit's UploadedFile)
        source = source.getvalue()
    if isinstance(source, (bytes, bytearray)):
        size = len(source)
    else:
        size = file_size(Path(source))
    if size > max_bytes:  # MB = 2**20 bytes, as the README and Streamlit's upload limit count them
        raise BadInputError(f"{filename} is {size / 2**20:.1f} MB, larger than the limit of "
                            f"{max_bytes / 2**20:.0f} MB; use a smaller file or raise the limit")
    try:
        data = bytes(source) if isinstance(source, (bytes, bytearray)) else Path(source).read_bytes()
    except OSError as exc:
        raise BadInputError(f"dataset file {source} cannot be read ({exc.strerror or type(exc).__name__})") from None
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


def json_type(value) -> str:
    """The JSON name of a parsed value's type: object, array, string, number, boolean, null."""
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, numbers.Number):
        return "number"
    return {dict: "object", list: "array", str: "string", type(None): "null"}.get(type(value), type(value).__name__)


def bad_rows_error(filename: str, problems: list[tuple[str, str]]) -> BadInputError:
    """One error line listing the first ``MAX_LISTED`` (where, what) problems and counting the rest."""
    shown = "; ".join(f"{where}: {what}" for where, what in problems[:MAX_LISTED])
    more = f"; and {len(problems) - MAX_LISTED} more" if len(problems) > MAX_LISTED else ""
    return BadInputError(f"{filename}: {len(problems)} bad row(s): {shown}{more}")


def _is_one_json_value(line: str) -> bool:
    try:
        json.loads(line)
        return True
    except json.JSONDecodeError:
        return False


def _json_records(text: str, filename: str) -> tuple[list[dict], list[str]]:
    """Objects of a JSON-lines file (one per line), or of one JSON array spanning the file, and
    where each one is (``line N`` of the file, or ``item N`` of the array).

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
                raise BadInputError(f"{filename}: item {i} of the JSON array is a JSON {json_type(record)}, not an "
                                    "object with named fields")
        return records, [f"item {i}" for i in range(1, len(records) + 1)]
    records, where = [], []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise BadInputError(f"{filename} is not valid JSON lines ({exc.msg} at line {number}, "
                                f"column {exc.colno})") from None
        if not isinstance(record, dict):
            raise BadInputError(f"{filename}: line {number} is a JSON {json_type(record)}, not an object with "
                                "named fields")
        records.append(record)
        where.append(f"line {number}")
    return records, where


def _csv_lines(text: str, sep: str, n_rows: int) -> list[str]:
    """``line N`` of each data row of a CSV/TSV text (quoted cells may span lines); ``row N`` when
    Python's csv module and pandas disagree on the rows."""
    starts, reader, line = [], csv.reader(io.StringIO(text), delimiter=sep), 0
    try:
        for row in reader:
            if row:
                starts.append(line + 1)
            line = reader.line_num
    except csv.Error:
        starts = []
    if len(starts) == n_rows + 1:  # the header is the first
        return [f"line {n}" for n in starts[1:]]
    return [f"row {i}" for i in range(1, n_rows + 1)]


def read_rows(source: str | os.PathLike | bytes, filename: str | None = None, *,
              max_bytes: int = DEFAULT_MAX_BYTES) -> tuple[pd.DataFrame, list[str]]:
    """:func:`read_table`, and where each row is in the file (``line N``, for error messages)."""
    filename = filename or Path(str(getattr(source, "name", source))).name
    if not hasattr(source, "getvalue") and not isinstance(source, (bytes, bytearray)):
        file_size(Path(source))  # a folder, pipe or device says so before its (missing) extension is blamed
    kind = _format(filename)
    text = _decode(_read_bytes(source, filename, max_bytes), filename)
    if kind == "jsonl":
        records, where = _json_records(text, filename)
        df = pd.DataFrame.from_records(records)
    else:
        sep = "," if kind == "csv" else "\t"
        try:
            df = pd.read_csv(io.StringIO(text), sep=sep, dtype=str, keep_default_na=False)
        except pd.errors.EmptyDataError:
            raise BadInputError(f"{filename} is empty") from None
        except pd.errors.ParserError as exc:
            raise BadInputError(f"{filename} could not be parsed as {kind.upper()}: {str(exc).strip()}") from None
        where = _csv_lines(text, sep, len(df))
    df.columns = [str(c) for c in df.columns]
    if len(df) == 0:
        raise BadInputError(f"{filename} has no data rows")
    return df, where


def read_table(source: str | os.PathLike | bytes, filename: str | None = None, *,
               max_bytes: int = DEFAULT_MAX_BYTES) -> pd.DataFrame:
    """Read a user file into a DataFrame (CSV/TSV cells as str; JSON values kept as parsed).

    ``source`` is a path or the file's bytes (an upload); ``filename`` gives the format
    (defaults to the path's name).
    """
    return read_rows(source, filename, max_bytes=max_bytes)[0]


def missing(value) -> bool:
    """A blank cell: None, NaN or a string of spaces."""
    if value is None:
        return True
    if isinstance(value, float) and value != value:  # NaN
        return True
    return isinstance(value, str) and not value.strip()


def _label_key(value) -> str:
    """A label cell as a canonical string: bools -> true/false, whole numbers (``0``, ``0.0``,
    ``"1.0"``) -> ints, so one value written two ways is one class."""
    if isinstance(value, bool):
        return "true" if value else "false"
    text = str(value).strip()
    try:
        number = float(text)
    except ValueError:
        return text
    return str(int(number)) if math.isfinite(number) and number.is_integer() else text


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


def check_columns(df: pd.DataFrame, filename: str, named: tuple[tuple[str, str], ...]) -> None:
    """Every (column, what it holds) of ``named`` is a column of ``df``, else one error listing them."""
    for col, what in named:
        if not col or col not in df.columns:
            raise BadInputError(f"{filename}: {what} column {col!r} not found; available columns: "
                                f"{', '.join(df.columns)}")


def not_text(value) -> str | None:
    """Why a parsed cell cannot be a sample's text (it is a JSON object, number...), or None."""
    return None if isinstance(value, str) else f"the text is a JSON {json_type(value)}, not a string"


def load_custom_raw(source: str | os.PathLike | bytes, text_col: str, label_col: str, *,
                    group_col: str | None = None, filename: str | None = None, max_bytes: int = DEFAULT_MAX_BYTES,
                    min_per_class: int = MIN_PER_CLASS) -> tuple[RawData, tuple[str, str]]:
    """Read and validate a user file; returns the raw samples and the label names (class 0, class 1)."""
    filename = filename or Path(str(source)).name
    df, where = read_rows(source, filename, max_bytes=max_bytes)
    check_columns(df, filename, ((text_col, "text"), (label_col, "label")))
    keys = [None] * len(df)
    if group_col is not None:
        cols = group_columns(group_col, df.columns, filename)
        keys = [group_key(row) for row in zip(*(df[c] for c in cols))]
    raw = RawData([], [], groups=[] if group_col is not None else None)
    kept, problems = [], []
    for text, label, key, at in zip(df[text_col], df[label_col], keys, where):
        if missing(text):
            raw.drop("blank text")
        elif not_text(text):
            problems.append((at, not_text(text)))
        elif missing(label):
            raw.drop("missing label")
        else:
            kept.append((text, _label_key(label), key))
    if problems:
        raise bad_rows_error(filename, problems)
    if not kept:
        raise BadInputError(f"{filename}: no row has both a text and a label")
    mapping, names = map_labels([label for _, label, _ in kept], filename)
    for text, label, key in kept:
        raw.add(text, mapping[label], key)
    for cls, name in enumerate(names):
        count = sum(1 for y in raw.labels if y == cls)
        if count < min_per_class:
            raise BadInputError(f"{filename}: class {name!r} has only {count} sample(s); at least "
                                f"{min_per_class} per class are needed")
    raw.notes.append(f"labels: {names[0]!r} -> 0, {names[1]!r} -> 1")
    if group_col is not None:
        raw.notes.append(f"grouped by {' + '.join(cols)}")
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
