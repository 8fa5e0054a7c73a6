"""Batch planning and padding: which prompts run together, and how a batch is laid out.

Layout (exact for every supported architecture): an optional shared prefix sits in a
key/value cache; each row's own tokens follow it directly and padding goes on the
*right*. Causal attention never lets a real token see the padding after it, positions
are those of the prompt alone (``prefix_len + 0..S-1``), and sliding windows see the same
tokens as for a lone prompt. Each row is read at its own last real token.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..core.optional import torch


@dataclass(frozen=True)
class Segment:
    """One forward pass over a batch (or over the shared prefix).

    Attributes
    ----------
    ids : [B, S] token ids, right-padded.
    mask : [B, S] bool, True on real tokens.
    last : [B] index (in this segment) of each row's last real token.
    prefix_len : tokens already in the key/value cache before this segment (0 = none).
    is_prefix : True for the pass that builds the shared prefix's cache.
    """

    ids: torch.Tensor
    mask: torch.Tensor
    last: torch.Tensor
    prefix_len: int = 0
    is_prefix: bool = False

    @property
    def size(self) -> int:
        return int(self.ids.shape[0])


def right_padded(seqs: list[list[int]], pad_id: int, device: torch.device, prefix_len: int = 0,
                 is_prefix: bool = False, length: int | None = None, rows: int | None = None) -> Segment:
    """A :class:`Segment` of ``seqs`` padded on the right with ``pad_id``; ``length`` and ``rows`` fix
    its shape (extra rows repeat the first sequence; their results are dropped)."""
    if rows is not None and rows > len(seqs):
        seqs = list(seqs) + [seqs[0]] * (rows - len(seqs))
    b, s = len(seqs), max(max(len(x) for x in seqs), length or 0)
    ids = torch.full((b, s), pad_id, dtype=torch.long)
    mask = torch.zeros((b, s), dtype=torch.bool)
    for i, x in enumerate(seqs):
        ids[i, :len(x)] = torch.as_tensor(x, dtype=torch.long)
        mask[i, :len(x)] = True
    last = torch.as_tensor([len(x) - 1 for x in seqs], dtype=torch.long)
    return Segment(ids.to(device), mask.to(device), last.to(device), prefix_len, is_prefix)


def common_prefix(seqs: list[list[int]]) -> int:
    """Length of the longest token prefix shared by all sequences, leaving >= 1 token each."""
    if len(seqs) < 2:
        return 0
    shortest = min(len(x) for x in seqs)
    first = seqs[0]
    n = 0
    while n < shortest - 1 and all(x[n] == first[n] for x in seqs):
        n += 1
    return n


def plan_batches(lengths: list[int], order: list[int], batch_size: int, max_growth: int = 8,
                 max_padding: float = 0.05, min_tokens: int = 512) -> list[list[int]]:
    """Group ``order`` (sorted longest first) into batches.

    A batch holds ``batch_size`` prompts, or more when they are short: it may grow while
    its padded size stays within the token count of the first (longest) batch, up to
    ``max_growth * batch_size`` prompts. Memory peaks stay those of the first batch and
    short suffixes (after a shared prefix) do not run as tiny, inefficient matmuls.

    A batch also closes early, once it holds ``min_tokens`` real tokens (enough rows for
    efficient matrix products), when the next prompt would make padding more than
    ``max_padding`` of its positions: padded positions are computed and thrown away.
    """
    if not order:
        return []
    budget = batch_size * max(32, lengths[order[0]])
    batches: list[list[int]] = []
    cur: list[int] = []
    cur_max = cur_real = 0
    for i in order:
        new_max = max(cur_max, lengths[i])
        new_real = cur_real + lengths[i]
        wasteful = (cur_real >= min_tokens and new_max * (len(cur) + 1) - new_real > max_padding * new_max * (len(cur) + 1))
        if cur and (len(cur) >= batch_size * max_growth or wasteful or
                    (len(cur) >= batch_size and new_max * (len(cur) + 1) > budget)):
            batches.append(cur)
            cur, new_max, new_real = [], lengths[i], lengths[i]
        cur.append(i)
        cur_max, cur_real = new_max, new_real
    batches.append(cur)
    return batches


#: Fixed shapes (capture mode ``shapes``): the token positions of every batch, rows x bucket length.
SHAPE_TOKENS = 8192


def bucket_length(n: int) -> int:
    """The padded length of an ``n``-token prompt under fixed shapes: ``n`` rounded up to a multiple
    of 32 (up to 256 tokens), 64 (up to 1024) or 256 (beyond), at most a quarter of padding."""
    step = 32 if n <= 256 else (64 if n <= 1024 else 256)
    return -(-n // step) * step


def shape_rows(length: int, tokens: int = SHAPE_TOKENS) -> int:
    """Rows of every batch of one bucket length (a function of the length alone)."""
    return max(1, tokens // length)


def plan_fixed_shapes(lengths: list[int], order: list[int],
                      tokens: int = SHAPE_TOKENS) -> list[tuple[list[int], int, int]]:
    """``(prompts, bucket length, rows)`` per batch: ``order`` grouped by bucket, then cut into
    ``shape_rows`` prompts; a bucket's last batch is padded to the same rows by the caller. The shape
    of every pass a prompt is in depends on its own length only, never on the batch size or order."""
    buckets: dict[int, list[int]] = {}
    for i in order:
        buckets.setdefault(bucket_length(lengths[i]), []).append(i)
    plan = []
    for length in sorted(buckets, reverse=True):
        rows = shape_rows(length, tokens)
        members = buckets[length]
        plan.extend((members[k:k + rows], length, rows) for k in range(0, len(members), rows))
    return plan
