"""Map a dataset's two answer words to the token ids that spell them.

The model "answers" with its next token. ``Yes`` can be spelt by several tokens
("Yes", "yes", "YES", with or without a leading space), and how a leading space
is written differs between tokenizer families (SentencePiece ``▁`` in Gemma and
Llama, byte-level ``Ġ`` in GPT-2 and Qwen). We never hard-code a space marker:
every variant is encoded by the tokenizer itself, alone and after a short
context (``"a" + " Yes"`` minus ``"a"``), and kept when it is one token that
decodes back to the variant.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Sequence

from ...core.errors import BadInputError

# Contexts a variant is appended to; the ids the context alone produces are removed.
# "" = the variant on its own; the others are typical endings of a prompt.
_CONTEXTS = ("", "a", "Answer:", "\n")


@dataclass(frozen=True)
class AnswerTokens:
    """Token ids of the two answer words.

    Attributes
    ----------
    words : the answer words of class 0 and class 1, e.g. ``("No", "Yes")``.
    ids : two tuples of token ids (sorted, disjoint); the model's probability of
        answering class c is the sum of its next-token probabilities over ``ids[c]``.
    tokens : the same ids as token strings (for display).
    fallback : per class, True when no variant of the word is a single token and the
        first token of its multi-token spelling stands in for it.
    """

    words: tuple[str, str]
    ids: tuple[tuple[int, ...], tuple[int, ...]]
    tokens: tuple[tuple[str, ...], tuple[str, ...]]
    fallback: tuple[bool, bool] = (False, False)
    notes: tuple[str, ...] = field(default=())

    @property
    def all_ids(self) -> tuple[int, ...]:
        """Class-0 ids followed by class-1 ids (column order used by the scorers)."""
        return self.ids[0] + self.ids[1]

    def to_dict(self) -> dict[str, Any]:
        return {"words": list(self.words), "ids": [list(i) for i in self.ids],
                "tokens": [list(t) for t in self.tokens], "fallback": list(self.fallback),
                "notes": list(self.notes)}


def case_variants(word: str) -> list[str]:
    """``word`` as given, lower, Capitalised and UPPER case, without duplicates, in that order."""
    out: list[str] = []
    for v in (word, word.lower(), word[:1].upper() + word[1:].lower(), word.upper()):
        if v not in out:
            out.append(v)
    return out


def _encode(tokenizer: Any, text: str) -> list[int]:
    return list(tokenizer.encode(text, add_special_tokens=False))


def _appended_ids(tokenizer: Any, context: str, text: str) -> list[int] | None:
    """Ids that ``text`` adds after ``context`` (None when the context's own ids change)."""
    pre = _encode(tokenizer, context) if context else []
    full = _encode(tokenizer, context + text)
    if full[: len(pre)] != pre:
        return None  # the variant merged with the context: not a clean boundary
    return full[len(pre):]


def _decodes_to(tokenizer: Any, token_id: int, variant: str) -> bool:
    text = tokenizer.decode([token_id], skip_special_tokens=False, clean_up_tokenization_spaces=False)
    return text.strip() == variant.strip() and text.strip() != ""


def _variant_tokens(tokenizer: Any, word: str, cases: Sequence[str] | None = None) -> tuple[list[int], list[int]]:
    """(single-token ids of all variants, first-token ids of multi-token variants); ``cases``: the
    spellings tried (default: :func:`case_variants`)."""
    singles: list[int] = []
    firsts: list[int] = []
    for case in (case_variants(word) if cases is None else cases):
        for variant in (case, " " + case):
            for context in _CONTEXTS:
                ids = _appended_ids(tokenizer, context, variant)
                if not ids:
                    continue
                if len(ids) == 1:
                    if _decodes_to(tokenizer, ids[0], case) and ids[0] not in singles:
                        singles.append(ids[0])
                elif ids[0] not in firsts:
                    firsts.append(ids[0])
    return singles, firsts


def resolve_answer_words(tokenizer: Any, words: Sequence[str], *, allow_fallback: bool = True) -> AnswerTokens:
    """Find the token ids of the case and leading-space variants of two answer words.

    Parameters
    ----------
    tokenizer : a Hugging Face tokenizer (``encode``/``decode``/``convert_ids_to_tokens``).
    words : the answer words of class 0 and class 1, e.g. ``("No", "Yes")``.
    allow_fallback : when a word has no single-token variant, use the first token of its
        spellings instead (flagged in ``fallback`` and ``notes``); when False that is an error.

    Raises
    ------
    BadInputError
        When the words are not two distinct non-empty words, when neither word is a single
        token in any variant, or when a word cannot be told apart from the other.
    """
    words = tuple(str(w).strip() for w in words)
    if len(words) != 2 or not all(words):
        raise BadInputError(f"need exactly two non-empty answer words (class 0, class 1), got {list(words)}")
    if words[0].lower() == words[1].lower():
        raise BadInputError(f"the two answer words must differ (ignoring case), got {list(words)}")
    found = [_variant_tokens(tokenizer, w) for w in words]
    if not found[0][0] and not found[1][0]:
        raise BadInputError(
            f"neither answer word {words[0]!r} nor {words[1]!r} is a single token of this tokenizer in any "
            "case or leading-space variant; choose shorter answer words (e.g. --answer-words No,Yes)")
    ids: list[list[int]] = []
    fallback: list[bool] = []
    notes: list[str] = []
    for word, (singles, firsts) in zip(words, found):
        if singles:
            ids.append(singles)
            fallback.append(False)
            continue
        if not allow_fallback:
            raise BadInputError(f"answer word {word!r} is not a single token of this tokenizer in any variant")
        ids.append(firsts)
        fallback.append(True)
        notes.append(f"answer word {word!r} is several tokens; its first token stands in for it")
    # A token in both sets (e.g. a shared first piece) cannot tell the classes apart.
    shared = set(ids[0]) & set(ids[1])
    ids = [[i for i in group if i not in shared] for group in ids]
    for word, group in zip(words, ids):
        if not group:
            raise BadInputError(f"answer word {word!r} has no token that the other answer word does not share")
    id_groups = (tuple(sorted(ids[0])), tuple(sorted(ids[1])))
    tokens = tuple(tuple(str(t) for t in tokenizer.convert_ids_to_tokens(list(g))) for g in id_groups)
    return AnswerTokens(words=words, ids=id_groups, tokens=tokens,  # type: ignore[arg-type]
                        fallback=(fallback[0], fallback[1]), notes=tuple(notes))


@dataclass(frozen=True)
class LetterTokens:
    """Token ids of the option letters ``A``, ``B``, ...

    Attributes
    ----------
    letters : the letters, e.g. ``("A", "B", "C", "D", "E")``.
    ids : per letter, the sorted ids of its single-token spellings (with and without a leading
        space); the model's probability of answering letter j is the sum of its next-token
        probabilities over ``ids[j]``.
    tokens : the same ids as token strings (for display).
    """

    letters: tuple[str, ...]
    ids: tuple[tuple[int, ...], ...]
    tokens: tuple[tuple[str, ...], ...]

    @property
    def all_ids(self) -> tuple[int, ...]:
        """Every letter's ids, letter by letter (the column order of the scorers)."""
        return tuple(i for group in self.ids for i in group)

    @property
    def columns(self) -> tuple[int, ...]:
        """How many columns of :attr:`all_ids` each letter has."""
        return tuple(len(group) for group in self.ids)

    def to_dict(self) -> dict[str, Any]:
        return {"letters": list(self.letters), "ids": [list(i) for i in self.ids],
                "tokens": [list(t) for t in self.tokens]}


def resolve_letters(tokenizer: Any, letters: Sequence[str]) -> LetterTokens:
    """Find the single tokens that spell each option letter, with and without a leading space.

    Only the letter as given (upper case) counts: ``a`` is an English word, not an answer. Each
    spelling is encoded by the tokenizer itself, alone and after a prompt-like context (as for
    answer words), so SentencePiece (``▁A``) and byte-level (``ĠA``) tokenizers both work.

    Raises
    ------
    BadInputError
        When a letter is no single token of this tokenizer in any spelling.
    """
    ids: list[tuple[int, ...]] = []
    for letter in letters:
        singles, _ = _variant_tokens(tokenizer, letter, cases=(letter,))
        if not singles:
            raise BadInputError(f"the option letter {letter!r} is not a single token of this tokenizer, with or "
                                "without a leading space; the letter reading needs one")
        ids.append(tuple(sorted(singles)))
    tokens = tuple(tuple(str(t) for t in tokenizer.convert_ids_to_tokens(list(g))) for g in ids)
    return LetterTokens(letters=tuple(letters), ids=tuple(ids), tokens=tokens)
