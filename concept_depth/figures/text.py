"""The sample's own text inside a prompt, for hover labels and example tables.

Every prompt of a dataset is ``prefix + text + suffix`` (the template's instruction around
``{text}``). For cities the instruction alone is over 150 characters, so a prompt cut for
display shows only the instruction. Figures and tables show the text; the template (the full
prompt) is shown once beside them.
"""

from __future__ import annotations

import os
from typing import Sequence

PLACEHOLDER = "{text}"
#: Shared beginnings or endings shorter than this are part of the texts, not an instruction.
MIN_SHARED = 16


def sample_texts(prompts: Sequence[str], template: str | None = None) -> list[str]:
    """Each prompt without the instruction every prompt shares.

    With a ``template`` holding ``{text}``, its prefix and suffix are removed from every
    prompt that has them. Otherwise (or for prompts that do not match it) the longest
    beginning and ending shared by all prompts are removed when they are at least
    :data:`MIN_SHARED` characters long, cut back to a space so no word is split.
    """
    prompts = [str(p) for p in prompts]
    if template and PLACEHOLDER in template:
        prefix, suffix = template.split(PLACEHOLDER, 1)
        if all(p.startswith(prefix) and p.endswith(suffix) and len(p) >= len(prefix) + len(suffix) for p in prompts):
            return [p[len(prefix):len(p) - len(suffix)].strip() or p for p in prompts]
    if len(prompts) < 2:
        return prompts
    head = _word_cut(os.path.commonprefix(prompts), from_end=False)
    tail = _word_cut(os.path.commonprefix([p[::-1] for p in prompts])[::-1], from_end=True)
    head = head if len(head) >= MIN_SHARED else ""
    tail = tail if len(tail) >= MIN_SHARED else ""
    out = []
    for p in prompts:
        middle = p[len(head):len(p) - len(tail)] if len(p) > len(head) + len(tail) else p
        out.append(middle.strip() or p)
    return out


def _word_cut(shared: str, from_end: bool) -> str:
    """``shared`` shortened to end (or, for a suffix, start) at a space."""
    if from_end:
        i = shared.find(" ")
        return shared[i:] if i >= 0 else ""
    i = shared.rfind(" ")
    return shared[:i + 1] if i >= 0 else ""


def template_parts(template: str | None) -> tuple[str, str] | None:
    """(instruction before the text, instruction after it), or None without a ``{text}`` template."""
    if not template or PLACEHOLDER not in template:
        return None
    prefix, suffix = template.split(PLACEHOLDER, 1)
    return prefix, suffix
