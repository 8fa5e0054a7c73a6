"""Batch planning and the padded layout."""

from __future__ import annotations

import numpy as np
import torch

from concept_depth.capture import common_prefix, plan_batches
from concept_depth.capture.batches import bucket_length, plan_fixed_shapes, right_padded, shape_rows


def test_batches_cover_every_prompt_once_and_grow_only_when_short():
    lengths = [100] * 5 + [10] * 200
    order = list(np.argsort([-x for x in lengths], kind="stable"))
    batches = plan_batches(lengths, order, batch_size=4)
    flat = [i for b in batches for i in b]
    assert sorted(flat) == list(range(len(lengths)))
    assert len(batches[0]) == 4  # long prompts: batch_size each
    assert max(len(b) for b in batches) == 32  # short ones grow, capped at 8x
    assert all(len(b) * max(lengths[i] for i in b) <= 4 * 100 for b in batches)
    assert plan_batches([], [], 4) == []


def test_right_padding_marks_real_tokens_and_last_positions():
    seg = right_padded([[5, 6, 7], [8]], pad_id=0, device=torch.device("cpu"), prefix_len=4)
    assert seg.ids.tolist() == [[5, 6, 7], [8, 0, 0]]
    assert seg.mask.tolist() == [[True, True, True], [True, False, False]]
    assert seg.last.tolist() == [2, 0] and seg.prefix_len == 4 and seg.size == 2


def test_common_prefix_leaves_one_token_per_prompt():
    assert common_prefix([[1, 2, 3], [1, 2, 4]]) == 2
    assert common_prefix([[1, 2], [1, 2, 3]]) == 1  # the shorter one keeps its last token
    assert common_prefix([[1, 2, 3]]) == 0


def test_batches_close_early_rather_than_pad_much_once_they_are_big_enough():
    lengths = [100] * 8 + [60] * 8  # sorted longest first
    order = list(range(16))
    batches = plan_batches(lengths, order, batch_size=16, min_tokens=512, max_padding=0.05)
    # one 60-token prompt joins (4.4% padding), a second would make it 8%: the rest start a new batch
    assert batches == [list(range(9)), list(range(9, 16))]
    small = plan_batches(lengths, order, batch_size=16, min_tokens=10_000, max_padding=0.05)
    assert small == [order]  # too few tokens yet to be worth a separate batch


def test_fixed_shapes_depend_on_a_prompts_own_length_only():
    """Mode ``shapes``: every pass a prompt is in has rows x bucket(its length), whatever the others."""
    assert [bucket_length(n) for n in (1, 32, 33, 256, 257, 1024, 1025)] == [32, 32, 64, 256, 320, 1024, 1280]
    lengths = [5, 40, 41, 90, 300, 33, 64, 65] * 5
    for order in (list(range(len(lengths))), list(range(len(lengths)))[::-1]):
        plan = plan_fixed_shapes(lengths, order, tokens=256)
        assert sorted(i for chunk, _, _ in plan for i in chunk) == sorted(order)
        for chunk, length, rows in plan:
            assert rows == shape_rows(length, 256) and len(chunk) <= rows
            assert all(bucket_length(lengths[i]) == length for i in chunk)
