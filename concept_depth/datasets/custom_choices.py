"""User multiple-choice files: a question column, an options column and an answer column.

``--dataset-file f.jsonl --text-col question --choices-col choices --answer-col answer``:

- options: a list of strings (JSON), or one string with the options separated by ``|``
  (CSV/TSV; in JSON too); each question has 2 to 10 options, none blank;
- answer: the 0-based index of the correct option, or its text, or its letter (``A``, ``B``,
  ...). The column is read one way for the whole file: the first of index, letter, text that
  fits every row (a JSON number is always an index); when none fits every row, the way that
  fits most rows is used and the other rows are reported.

Every bad row (blank or non-string question, options that are not a list of strings, too few
or too many options, a blank option, an answer that is not one of the options) is reported in
one ``BadInputError`` naming the file's line numbers (at most ``MAX_LISTED``, the rest counted).
The file needs at least ``MIN_QUESTIONS`` questions.
"""

from __future__ import annotations

import numbers
import os
from pathlib import Path

from ..core.errors import BadInputError
from .choices import RawQuestions
from .custom import DEFAULT_MAX_BYTES, bad_rows_error, check_columns, json_type, missing, read_rows
from .sample_set import LETTERS, MAX_OPTIONS, MIN_OPTIONS

MIN_QUESTIONS = 10
OPTION_SEPARATOR = "|"
#: How an answer cell may name the correct option, tried in this order.
ANSWER_MODES = ("index", "letter", "text")


def parse_options(value) -> tuple[tuple[str, ...] | None, str | None]:
    """The options of one cell, or None and why they cannot be read."""
    if isinstance(value, str):
        items = value.split(OPTION_SEPARATOR)
    elif isinstance(value, (list, tuple)):
        bad = [json_type(v) for v in value if not isinstance(v, str)]
        if bad:
            return None, f"the options hold a JSON {bad[0]}, not only strings"
        items = list(value)
    else:
        return None, f"the options are a JSON {json_type(value)}, not a list of strings or a '|'-separated string"
    options = tuple(o.strip() for o in items)
    if not MIN_OPTIONS <= len(options) <= MAX_OPTIONS:
        return None, f"{len(options)} option(s); a question needs {MIN_OPTIONS} to {MAX_OPTIONS}"
    blank = [i + 1 for i, o in enumerate(options) if not o]
    if blank:
        return None, f"option {blank[0]} is blank"
    return options, None


def answer_candidates(value, options: tuple[str, ...]) -> dict[str, int]:
    """{mode: option index} for every way ``value`` names one of ``options`` (see ``ANSWER_MODES``)."""
    k = len(options)
    if isinstance(value, numbers.Number) and not isinstance(value, bool):
        number = float(value)
        return {"index": int(number)} if number.is_integer() and 0 <= number < k else {}
    if not isinstance(value, str):
        return {}
    text = value.strip()
    out = {}
    if text.lstrip("+").isdigit() and int(text) < k:
        out["index"] = int(text)
    if len(text) == 1 and text in LETTERS[:k]:
        out["letter"] = LETTERS.index(text)
    if text in options:
        out["text"] = options.index(text)
    return out


def _why_not(mode: str, value, options: tuple[str, ...]) -> str:
    k = len(options)
    shown = repr(value) if isinstance(value, str) else str(value)
    if mode == "index":
        return f"answer {shown} is not an option index (0-{k - 1})"
    if mode == "letter":
        return f"answer {shown} is not an option letter (A-{LETTERS[k - 1]})"
    return f"answer {shown[:60]} is none of the {k} options"


def load_custom_choices(source: str | os.PathLike | bytes, text_col: str, choices_col: str, answer_col: str, *,
                        filename: str | None = None, max_bytes: int = DEFAULT_MAX_BYTES,
                        min_questions: int = MIN_QUESTIONS) -> RawQuestions:
    """Read and validate a user multiple-choice file into questions, in file order.

    Raises
    ------
    BadInputError : missing columns, any bad row (all listed, bounded), too few questions.
    """
    filename = filename or Path(str(source)).name
    df, where = read_rows(source, filename, max_bytes=max_bytes)
    check_columns(df, filename, ((text_col, "question"), (choices_col, "choices"), (answer_col, "answer")))
    problems: list[tuple[str, str]] = []
    rows = []  # (where, question, options, answer cell, candidates)
    for question, cell, answer, at in zip(df[text_col], df[choices_col], df[answer_col], where):
        if missing(question):
            problems.append((at, "blank question"))
            continue
        if not isinstance(question, str):
            problems.append((at, f"the question is a JSON {json_type(question)}, not a string"))
            continue
        options, why = parse_options(cell)
        if options is None:
            problems.append((at, why))
            continue
        if missing(answer):
            problems.append((at, "no answer"))
            continue
        rows.append((at, question.strip(), options, answer, answer_candidates(answer, options)))
    fits = {m: sum(1 for r in rows if m in r[4]) for m in ANSWER_MODES}
    mode = max(ANSWER_MODES, key=lambda m: (fits[m], -ANSWER_MODES.index(m)))  # ties: the earlier mode
    raw = RawQuestions()
    for at, question, options, answer, candidates in rows:
        if mode not in candidates:
            problems.append((at, _why_not(mode, answer, options)))
        else:
            raw.add(question, options, candidates[mode])
    if problems:
        position = {at: i for i, at in enumerate(where)}
        problems.sort(key=lambda p: position[p[0]])
        raise bad_rows_error(filename, problems)
    if len(raw) < min_questions:
        raise BadInputError(f"{filename}: {len(raw)} question(s); at least {min_questions} are needed")
    raw.notes.append(f"answers read as option {'indices (0-based)' if mode == 'index' else mode + 's'}")
    return raw
