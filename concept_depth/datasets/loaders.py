"""One reader per published file format of the paper's datasets.

Each reader returns a ``RawData`` in file order with label 1 = true / positive / yes /
hateful / sarcastic, and counts every row it skips in ``dropped`` (never silently).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..core.errors import BadInputError, UnavailableError


@dataclass
class RawData:
    """Texts and labels read from a file, before selection, noise and prompting.

    texts : [N] str; labels : [N] int 0/1; dropped : reason -> rows skipped; notes : remarks.
    groups : [N] group key of each row (rows sharing a key form one group; None = a group of
        its own), or None when the set is not grouped.
    """

    texts: list[str]
    labels: list[int]
    dropped: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    groups: list[str | None] | None = None

    def add(self, text, label: int, group: str | None = None) -> None:
        if text is None or (isinstance(text, float) and np.isnan(text)) or not str(text).strip():
            self.drop("blank text")
            return
        self.texts.append(str(text))
        self.labels.append(int(label))
        if self.groups is not None:
            self.groups.append(group)

    def drop(self, reason: str, n: int = 1) -> None:
        self.dropped[reason] = self.dropped.get(reason, 0) + n


def _bad_format(path: Path, what: str) -> BadInputError:
    return BadInputError(f"{path.name} is not in the expected format: {what}")


def _read_table(path: Path, sep: str, columns: tuple[str, ...]) -> pd.DataFrame:
    try:
        df = pd.read_csv(path, sep=sep, dtype=str, keep_default_na=False)
    except (UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise _bad_format(path, str(exc).splitlines()[0]) from None
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise _bad_format(path, f"missing column(s) {', '.join(missing)}")
    return df


def group_columns(group_col: str, columns, where: str) -> list[str]:
    """The column(s) ``group_col`` names: one column, or several separated by commas.

    Raises
    ------
    BadInputError : a named column is not there (the message lists the columns there are).
    """
    names = [group_col] if group_col in columns else [c.strip() for c in group_col.split(",") if c.strip()]
    missing = [c for c in names if c not in columns]
    if not names or missing:
        raise BadInputError(f"{where}: group column {', '.join(missing) or group_col!r} not found; available "
                            f"columns: {', '.join(map(str, columns))}")
    return names


def group_key(values) -> str | None:
    """The group of one row from its group cells; None (a group of its own) when all are blank."""
    cells = ["" if v is None or (isinstance(v, float) and math.isnan(v)) else str(v).strip() for v in values]
    return None if not any(cells) else "\x1f".join(cells)


def _labelled_table(path: Path, sep: str, text_col: str, label_col: str, mapping: dict[str, int],
                    group_col: str | None = None) -> RawData:
    """A table whose label column holds the keys of ``mapping``; other values are dropped by value."""
    df = _read_table(path, sep, (text_col, label_col))
    raw = RawData([], [])
    keys = [None] * len(df)
    if group_col is not None:
        cols = group_columns(group_col, df.columns, path.name)
        keys = [group_key(row) for row in zip(*(df[c] for c in cols))]
        raw.groups = []
        raw.notes.append(f"grouped by {' + '.join(cols)}")
    for text, value, key in zip(df[text_col], df[label_col], keys):
        value = value.strip()
        if value == "":
            raw.drop("missing label")
        elif value not in mapping:
            raw.drop(f"label {value!r} (not used by the paper)")
        else:
            raw.add(text, mapping[value], key)
    return raw


def read_cities(path: Path, group_col: str | None = None) -> RawData:
    """cities.csv / counterfact.csv: ``statement``, ``label`` (1 true, 0 false).

    counterfact.csv also has ``relation``, ``subject``, ``target``, ``true_target``: each fact
    is a true and a false statement on adjacent rows, sharing ``relation`` and ``subject``
    (group them with ``relation,subject``; ``subject`` alone joins the facts of one subject).
    """
    return _labelled_table(path, ",", "statement", "label", {"1": 1, "0": 0}, group_col)


read_counterfact = read_cities


def read_common(path: Path, group_col: str | None = None) -> RawData:
    """common_claim.csv: ``examples``, ``label`` in True / False / Neither (Neither is not used)."""
    return _labelled_table(path, ",", "examples", "label", {"True": 1, "False": 0}, group_col)


def read_hateeval(path: Path, group_col: str | None = None) -> RawData:
    """hateeval.tsv: ``text``, ``HS`` (1 hate speech)."""
    return _labelled_table(path, "\t", "text", "HS", {"1": 1, "0": 0}, group_col)


def read_stsa(path: Path) -> RawData:
    """stsa.binary.*: one ``<label> <text>`` per line (1 positive, 0 negative)."""
    raw = RawData([], [])
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            line = line.strip()
            if not line:
                continue
            label, _, text = line.partition(" ")
            if label not in ("0", "1"):
                raw.drop("missing label")
                continue
            raw.add(text, int(label))
    return raw


def read_imdb(path: Path) -> RawData:
    """IMDb test split as published on the HF hub: parquet with ``text``, ``label`` (1 positive)."""
    try:
        df = pd.read_parquet(path)
    except ImportError as exc:
        raise UnavailableError(f"reading {path.name} needs pyarrow ({exc}); pip install pyarrow") from None
    except Exception as exc:  # corrupt or not parquet
        raise _bad_format(path, f"not a parquet file ({type(exc).__name__})") from None
    if not {"text", "label"} <= set(df.columns):
        raise _bad_format(path, f"needs columns text and label, has {', '.join(map(str, df.columns))}")
    raw = RawData([], [])
    for text, label in zip(df["text"], df["label"]):
        if label not in (0, 1):
            raw.drop("missing label")
        else:
            raw.add(text, int(label))
    return raw


def _json_records(path: Path) -> list[dict]:
    """JSON lines (the published sarcasm format); a single JSON array is accepted too."""
    text = path.read_text(encoding="utf-8")
    if text.lstrip().startswith("["):
        return json.loads(text)
    records = []
    for i, line in enumerate(text.splitlines(), 1):
        if line.strip():
            try:
                records.append(json.loads(line))
            except json.JSONDecodeError:
                raise _bad_format(path, f"line {i} is not valid JSON") from None
    return records


def read_sarcasm(path: Path) -> RawData:
    """sarcasm.json: JSON lines with ``headline`` and ``is_sarcastic`` (1 sarcastic)."""
    raw = RawData([], [])
    for rec in _json_records(path):
        label = rec.get("is_sarcastic")
        if label not in (0, 1):
            raw.drop("missing label")
        else:
            raw.add(rec.get("headline"), int(label))
    return raw


def _strip_answer(target: str) -> str:
    """The reference drops a leading "Yes." / "No." from the rationale it appends."""
    for head in ("Yes.", "No."):
        if target.startswith(head):
            return target[len(head):].strip()
    return target


def read_strategyqa(path: Path, variant: str = "question") -> RawData:
    """StrategyQA_task.json (BIG-bench): ``examples`` with ``input``, ``target_scores``, ``target``.

    variant ``question``: the question only. ``rationale``: question + " " + gold rationale, as the
    reference code builds it (the rationale often gives the answer away: a label leak).
    """
    data = json.loads(path.read_text(encoding="utf-8"))
    raw = RawData([], [])
    for ex in data["examples"]:
        scores = ex.get("target_scores", {})
        if scores.get("Yes") == 1:
            label = 1
        elif scores.get("No") == 1:
            label = 0
        else:
            raw.drop("missing label")
            continue
        text = ex["input"]
        if variant == "rationale":
            text = ex["input"] + " " + _strip_answer(ex.get("target", ""))
        raw.add(text, label)
    if variant == "rationale":
        raw.notes.append("StrategyQA variant 'rationale': question + gold rationale, as in the reference code "
                         "(label leak: the rationale often states the answer)")
    else:
        raw.notes.append("StrategyQA variant 'question': question only, without the gold rationale "
                         "(the reference code's inputs include it)")
    return raw


def read_coinflip(path: Path) -> RawData:
    """coin_flip.json: ``examples`` with ``question`` and ``answer`` yes / no."""
    data = json.loads(path.read_text(encoding="utf-8"))
    raw = RawData([], [])
    for ex in data["examples"]:
        answer = str(ex.get("answer", "")).strip().lower()
        if answer not in ("yes", "no"):
            raw.drop("missing label")
        else:
            raw.add(ex.get("question"), int(answer == "yes"))
    return raw


#: registry name -> reader(path, variant)
READERS = {
    "cities": lambda p, v: read_cities(p),
    "common": lambda p, v: read_common(p),
    "counterfact": lambda p, v: read_counterfact(p),
    "hateeval": lambda p, v: read_hateeval(p),
    "STSA": lambda p, v: read_stsa(p),
    "IMDb": lambda p, v: read_imdb(p),
    "sarcasm": lambda p, v: read_sarcasm(p),
    "StrategyQA": lambda p, v: read_strategyqa(p, v or "question"),
    "coinflip": lambda p, v: read_coinflip(p),
}
#: registry name -> reader(path, group_col): the datasets whose file has columns to group by
GROUPED_READERS = {"cities": read_cities, "common": read_common, "counterfact": read_counterfact,
                   "hateeval": read_hateeval}
