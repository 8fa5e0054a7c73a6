"""Prompts -> token ids, truncating over-long texts inside the text, never the instruction."""

from __future__ import annotations

from ..datasets.sample_set import SampleSet, render_prompt
from ..errors import BadInputError


def _encode(tokenizer, prompt: str, offsets: bool):
    enc = tokenizer(prompt, add_special_tokens=True, return_offsets_mapping=offsets)
    return list(enc["input_ids"]), (list(enc["offset_mapping"]) if offsets else None)


def encode_prompts(tokenizer, samples: SampleSet, max_tokens: int) -> tuple[list[list[int]], list[str], int]:
    """Token ids of every prompt, at most ``max_tokens`` long.

    Over-long prompts lose the end of their *text* (the template's prefix and suffix,
    the instruction, are kept whole), cut at a token boundary and re-rendered, so the
    returned prompt strings are exactly what the model sees.

    Returns
    -------
    ids : [N] lists of token ids.
    prompts : [N] the exact prompt strings (after truncation).
    n_truncated : how many texts were shortened.
    """
    if max_tokens < 2:
        raise BadInputError("max tokens must be at least 2")
    prefix, suffix = samples.template_parts
    fast = bool(getattr(tokenizer, "is_fast", False))
    all_ids, prompts, n_cut = [], [], 0
    for text in samples.texts:
        prompt = render_prompt(samples.template, text)
        ids, offs = _encode(tokenizer, prompt, fast)
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
                if cut <= 0:
                    text = ""
                else:
                    text = text[:cut].rstrip()
                prompt = prefix + text + suffix
                ids, offs = _encode(tokenizer, prompt, fast)
                if not text:
                    break
            if len(ids) > max_tokens:
                raise BadInputError(f"the prompt template alone is {len(ids)} tokens, more than max tokens "
                                    f"({max_tokens}); shorten it or raise max tokens")
        all_ids.append(ids)
        prompts.append(prompt)
    return all_ids, prompts, n_cut
