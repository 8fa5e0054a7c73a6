"""Seeded noise applied to each sample's text before it is put into the prompt.

``paper``: prefix "aaa" or "bbb" with no space, chosen per sample (the reference draws it
with an unseeded ``np.random.choice(2)``; ours comes from ``seed``).
``typos``: each character is edited with probability ``strength``; an edit is one of
substitute / delete / insert (a random lower-case letter) / swap with the next character.
The same seed always gives the same output; a different seed gives different output.
"""

from __future__ import annotations

import random
import string
from collections.abc import Sequence

from ..core.specs import NoiseSpec

_LETTERS = string.ascii_lowercase
_EDITS = ("substitute", "delete", "insert", "swap")


def paper_noise(text: str, rng: random.Random) -> str:
    return ("aaa", "bbb")[rng.randrange(2)] + text


def typo_noise(text: str, rate: float, rng: random.Random) -> str:
    """Random character edits at ``rate`` per character (0 leaves the text unchanged)."""
    if rate <= 0.0:
        return text
    chars = list(text)
    out: list[str] = []
    i = 0
    while i < len(chars):
        c = chars[i]
        if rng.random() >= rate:
            out.append(c)
            i += 1
            continue
        edit = _EDITS[rng.randrange(4)]
        if edit == "substitute":
            out.append(rng.choice(_LETTERS.replace(c.lower(), "")))
        elif edit == "insert":
            out.extend((c, rng.choice(_LETTERS)))
        elif edit == "swap" and i + 1 < len(chars):
            out.extend((chars[i + 1], c))
            i += 1  # the swapped neighbour is consumed too
        elif edit == "swap":  # last character: nothing to swap with, substitute instead
            out.append(rng.choice(_LETTERS.replace(c.lower(), "")))
        # delete: append nothing
        i += 1
    return "".join(out)


def apply_noise(texts: Sequence[str], noise: NoiseSpec | None) -> list[str]:
    """[N] texts -> [N] noised texts, deterministic in ``noise.seed``."""
    if noise is None or noise.kind == "none":
        return list(texts)
    # One RNG for the whole list, seeded with the kind too, so paper and typos noise of the
    # same seed are independent draws.
    rng = random.Random(f"{noise.kind}:{int(noise.seed)}")
    if noise.kind == "paper":
        return [paper_noise(t, rng) for t in texts]
    if noise.kind == "typos":
        return [typo_noise(t, float(noise.strength), rng) for t in texts]
    raise ValueError(f"unknown noise kind {noise.kind!r}")  # NoiseSpec validates; defensive only
