"""Prompts -> token ids: the model's special tokens, optional chat template, truncation inside the text.

These functions take the tokenizer itself; :class:`~concept_depth.capture.session.Capture`
calls them under the model's lock (a fast tokenizer must not be used by two threads at once).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Sequence

from ..core.errors import BadInputError
from ..datasets.sample_set import TEXT_PLACEHOLDER, SampleSet, render_prompt


def chat_wrap(tokenizer: Any, prompt: str) -> str:
    """``prompt`` as one user turn of the model's chat template, ending where the assistant answers.

    The result already holds the special tokens the template adds (e.g. BOS), so it is
    tokenised with ``add_special_tokens=False``.
    """
    if not getattr(tokenizer, "chat_template", None):
        raise BadInputError("this model's tokenizer has no chat template: run without it (--chat-template, or "
                            "the app's 'Wrap prompts in the model's chat template'); base models take raw prompts")
    return tokenizer.apply_chat_template([{"role": "user", "content": prompt}], tokenize=False,
                                         add_generation_prompt=True)


def chat_template_samples(tokenizer: Any, samples: SampleSet) -> SampleSet:
    """The samples with their prompt template wrapped in the chat template (text slot kept)."""
    wrapped = chat_wrap(tokenizer, samples.template)
    if wrapped.count(TEXT_PLACEHOLDER) != 1:
        raise BadInputError("the chat template changed the {text} slot of the prompt; use a plain prompt")
    return replace(samples, template=wrapped)


def _encode(tokenizer: Any, prompt: str, special: bool, offsets: bool):
    enc = tokenizer(prompt, add_special_tokens=special, return_offsets_mapping=offsets)
    return list(enc["input_ids"]), (list(enc["offset_mapping"]) if offsets else None)


def encode_texts(tokenizer: Any, prompts: Sequence[str], *, chat_template: bool = False) -> list[list[int]]:
    """Token ids of each full prompt (the tokenizer's usual special tokens, e.g. BOS)."""
    if chat_template:
        prompts = [chat_wrap(tokenizer, p) for p in prompts]
    return [_encode(tokenizer, p, not chat_template, False)[0] for p in prompts]


def encode_samples(tokenizer: Any, samples: SampleSet, max_tokens: int, *,
                   chat_template: bool = False) -> tuple[list[list[int]], list[str], int]:
    """Token ids of every prompt, at most ``max_tokens`` long.

    Over-long prompts lose the end of their *text* (the template's prefix and suffix,
    the instruction, are kept whole), cut at a token boundary and re-rendered, so the
    returned prompt strings are exactly what the model sees. With ``chat_template`` the
    prompt template is first wrapped as one user turn of the model's chat template.

    Returns
    -------
    ids : [N] lists of token ids.
    prompts : [N] the exact prompt strings (after truncation and chat wrapping).
    n_truncated : how many texts were shortened.
    """
    if max_tokens < 2:
        raise BadInputError("max tokens must be at least 2")
    if chat_template:
        samples = chat_template_samples(tokenizer, samples)
    special = not chat_template
    prefix, suffix = samples.template_parts
    fast = bool(getattr(tokenizer, "is_fast", False))
    all_ids, prompts, n_cut = [], [], 0
    for text in samples.texts:
        prompt = render_prompt(samples.template, text)
        ids, offs = _encode(tokenizer, prompt, special, fast)
        if len(ids) > max_tokens:
            n_cut += 1
            for _ in range(8):  # re-tokenising after a cut can shift a boundary by a token
                excess = len(ids) - max_tokens
                if excess <= 0:
                    break
                start, end = len(prefix), len(prefix) + len(text)
                if offs is not None:
                    inside = [o[0] for o in offs if start <= o[0] < end and o[1] > o[0]]
                    cut = inside[-excess] - start if len(inside) >= excess else 0
                else:  # slow tokenizer: cut characters in proportion
                    cut = int(len(text) * max(0.0, 1 - (excess + 1) / max(len(ids), 1)))
                cut = min(cut, len(text) - 1)
                text = "" if cut <= 0 else text[:cut].rstrip()
                prompt = prefix + text + suffix
                ids, offs = _encode(tokenizer, prompt, special, fast)
                if not text:
                    break
            if len(ids) > max_tokens:
                raise BadInputError(f"the prompt template alone is {len(ids)} tokens, more than max tokens "
                                    f"({max_tokens}); shorten it or raise max tokens")
        all_ids.append(ids)
        prompts.append(prompt)
    return all_ids, prompts, n_cut


def sample_texts(tokenizer: Any, samples: SampleSet, max_tokens: int, *, chat_template: bool = False) -> list[str]:
    """Each sample's text as :func:`encode_samples` cut it (so probe and answers see one text)."""
    _, prompts, _ = encode_samples(tokenizer, samples, max_tokens, chat_template=chat_template)
    template = chat_template_samples(tokenizer, samples).template if chat_template else samples.template
    prefix, _, suffix = template.partition(TEXT_PLACEHOLDER)
    return [p[len(prefix): len(p) - len(suffix)] if suffix else p[len(prefix):] for p in prompts]
