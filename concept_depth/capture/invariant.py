"""Batches whose rows do not depend on the batch (low bit widths): what changes numbers, and the cure.

Measured on the embedded Gemma 3 270M (2-core Xeon with AMX, torch 2.13, transformers 5.25,
bitsandbytes 0.50; ``bench/bench_bit_widths.py``). In a plain padded batch three things made a
prompt's 16-, 8- and 4-bit vectors depend on its neighbours, the batch size or the order:

1. **Attention over a padded length.** SDPA blocks its reductions by the key length: one prompt
   padded from 97 to 99 positions moves bfloat16 outputs by an ulp, which 18 blocks of rounding
   grow to 2 SD.
2. **Matrix products whose kernel depends on the row count.** oneDNN's bfloat16 GEMM picks its
   kernel by the number of rows M: a row's bits at M = 16, 64..256 and >= 512 differ. At a *fixed*
   M a row gets the same bits whatever its place or its neighbours (probed at run time:
   :func:`linears_are_position_invariant`). bitsandbytes' CPU NF4 kernel gives the same bits at
   any M.
3. **bitsandbytes int8 outlier columns**, picked over all rows of the batch.

Mode ``rows`` (CPU): each row's attention runs on its own unpadded slice, called as transformers
calls it for a lone prompt; every linear layer multiplies fixed blocks of :data:`ROW_BLOCK` rows
(the last block padded with zeros); each int8 linear quantises and picks outlier columns per
prompt, then does one batched integer product (exact, so batch-independent) and adds each prompt's
outlier product on its own rows. Everything else is row-wise. A prompt's vectors are then a
function of the prompt alone. Mode ``shapes`` (GPU): fixed [rows x length bucket] batches (see
:func:`~concept_depth.capture.batches.plan_fixed_shapes`) with per-prompt int8; attention and matrix
products then see one shape per bucket whatever the neighbours.

The replacements act only inside :func:`invariant_forward` (the capture session enters it around
one body forward, under the model's lock); outside it the layers run the library's own code.
"""

from __future__ import annotations

import contextvars
import types
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Iterator

from ..core.optional import torch, transformers

#: Rows of every matrix product in mode ``rows`` (a multiple of what the GEMM kernels tile by; at
#: 512 rows oneDNN's bfloat16 kernel runs at about its full rate on this CPU).
ROW_BLOCK = 512

#: Name under which the row-wise attention is registered with transformers.
ROW_ATTENTION = "concept_depth_rows"

#: How a capture batches: ``batched`` (float32: padded batches and a shared-prefix cache, within
#: float tolerance of one prompt at a time), ``rows`` and ``shapes`` (low bit widths, see the module
#: docstring), ``alone`` (one prompt at a time, no prefix: where neither is known to hold).
BATCH_MODES = ("batched", "rows", "shapes", "alone")

#: Bit widths that batch in ``rows`` / ``shapes`` mode.
LOW_BIT_WIDTHS = (16, 8, 4)


@dataclass(frozen=True)
class _Forward:
    lengths: tuple[int, ...]  # real tokens of each row of the batch
    width: int  # positions per row (S)
    index: Any  # [sum(lengths)] positions of the real tokens in the flattened [B * S] batch
    prompt_of: Any  # [sum(lengths)] the row (prompt) each of those tokens belongs to
    block: int  # rows per matrix product (0: as given)
    row_attention: bool

    def packs(self, x) -> bool:
        """True when ``x`` is [B, S, ...] of this batch (its real tokens can be packed)."""
        return x.dim() >= 3 and tuple(x.shape[:2]) == (len(self.lengths), self.width)


_ACTIVE: contextvars.ContextVar[_Forward | None] = contextvars.ContextVar("concept_depth_invariant", default=None)


# ---- attention ---------------------------------------------------------------------------
def _sdpa():
    return transformers.integrations.sdpa_attention.sdpa_attention_forward


def row_attention(module, query, key, value, attention_mask, **kwargs) -> tuple[Any, None]:
    """SDPA per row on the row's own ``n`` tokens ([B, H, S, d] in, [B, S, H, d] out; padding 0).

    A lone prompt gets no mask (SDPA's ``is_causal``, or plain attention in an encoder) unless a
    sliding window is no longer than the prompt; then the window mask, which is the batch mask cut
    to [n, n] (transformers' ``_ignore_causal_mask_sdpa``). Outside rows mode: SDPA on the batch.
    """
    active = _ACTIVE.get()
    sdpa = _sdpa()
    b, _, s, _ = query.shape
    if active is None or not active.row_attention or len(active.lengths) != b or key.shape[2] != s:
        return sdpa(module, query, key, value, attention_mask, **kwargs)
    window = kwargs.get("sliding_window")
    out = query.new_zeros((b, s, query.shape[1], value.shape[-1]))
    for i, n in enumerate(active.lengths):
        mask = None
        if attention_mask is not None and window is not None and n >= window:
            mask = attention_mask[i:i + 1, :, :n, :n]
        got, _ = sdpa(module, query[i:i + 1, :, :n], key[i:i + 1, :, :n], value[i:i + 1, :, :n], mask, **kwargs)
        out[i, :n] = got[0]
    return out, None


def _register_attention() -> None:
    """Make :data:`ROW_ATTENTION` a name transformers knows (attention and mask; idempotent)."""
    interface = transformers.AttentionInterface
    if ROW_ATTENTION not in interface._global_mapping:
        interface.register(ROW_ATTENTION, row_attention)
        masks = transformers.masking_utils.AttentionMaskInterface
        masks.register(ROW_ATTENTION, masks._global_mapping["sdpa"])


def _configs(model) -> list:
    """Every config whose ``_attn_implementation`` attention modules read (the model's and sub-configs)."""
    out, seen = [], set()
    for module in model.modules():
        config = getattr(module, "config", None)
        if config is not None and id(config) not in seen and hasattr(config, "_attn_implementation"):
            seen.add(id(config))
            out.append(config)
    return out


def supports_row_attention(model) -> bool:
    """True when every attention of ``model`` goes through transformers' SDPA interface."""
    configs = _configs(model)
    return bool(configs) and all(c._attn_implementation in ("sdpa", ROW_ATTENTION) for c in configs)


@contextmanager
def _row_attention_on(model) -> Iterator[None]:
    _register_attention()
    configs = [c for c in _configs(model) if c._attn_implementation == "sdpa"]
    for c in configs:
        c._attn_implementation = ROW_ATTENTION
    try:
        yield
    finally:
        for c in configs:
            c._attn_implementation = "sdpa"


# ---- linear layers -----------------------------------------------------------------------
def _blocked(fn, rows, block: int):
    """``fn`` over ``rows`` [M, K] in blocks of exactly ``block`` rows (the last padded with zeros)."""
    m = rows.shape[0]
    if m % block:
        rows = torch.cat([rows, rows.new_zeros((block - m % block, rows.shape[1]))])
    return torch.cat([fn(rows[i:i + block]) for i in range(0, rows.shape[0], block)])[:m]


def _unpacked(got, x, active: _Forward):
    """[sum(lengths), N] results of the real tokens of ``x`` [B, S, K] -> [B, S, N], padding 0."""
    out = got.new_zeros((x.shape[0] * x.shape[1], got.shape[-1]))
    out.index_copy_(0, active.index, got)
    return out.reshape(*x.shape[:-1], got.shape[-1])


def _packed(fn, x, active: _Forward):
    """``fn`` [M, K] -> [M, N] on the real tokens of ``x`` [B, S, K] only; padded positions get 0."""
    return _unpacked(fn(x.reshape(-1, x.shape[-1]).index_select(0, active.index)), x, active)


def _linear_forward(self, x):
    active = _ACTIVE.get()
    if active is None or not active.block:
        return type(self).forward(self, x)

    def blocks(rows):
        return _blocked(lambda r: type(self).forward(self, r), rows, active.block)

    if active.packs(x):
        return _packed(blocks, x, active)
    return blocks(x.reshape(-1, x.shape[-1])).reshape(*x.shape[:-1], -1)


def _int8_quantise(a16, prompt_of, n_prompts: int, threshold: float):
    """bitsandbytes' ``int8_vectorwise_quant`` (its default backend, which the CPU uses) applied to each
    prompt's rows of ``a16`` [M, K] fp16 on its own, in one pass: elements >= ``threshold`` are outliers,
    each row is quantised by its absmax without them, and each prompt's outlier columns are zeroed in
    that prompt's rows. Returns (int8 [M, K], row scales [M], {prompt: outlier columns})."""
    outliers = a16.abs() >= threshold if threshold > 0.0 else None
    a = a16.masked_fill(outliers, 0) if outliers is not None else a16
    scale = a.abs().amax(dim=1).float()
    q = torch.round(a * (127.0 / scale.unsqueeze(-1))).to(torch.int8)
    columns = {}
    if outliers is not None and bool(outliers.any()):
        counts = torch.zeros((n_prompts, a16.shape[1]), dtype=torch.int32, device=a16.device)
        per_prompt = counts.index_add_(0, prompt_of, outliers.to(torch.int32)) > 0  # [prompts, K]
        q.masked_fill_(per_prompt.index_select(0, prompt_of), 0)
        for i in torch.nonzero(per_prompt.any(dim=1)).view(-1).tolist():
            columns[i] = torch.nonzero(per_prompt[i]).view(-1)
    return q, scale, columns


def _int8_per_prompt(self, x, active: _Forward):
    """``Linear8bitLt`` on the real tokens of [B, S, K] as B lone prompts -> [sum(lengths), N].

    Mirrors bitsandbytes' ``MatMul8bitLt.forward`` (inference): fp16 row-wise quantisation with the
    outlier columns of *each prompt's* tokens, the integer product and dequantisation (exact and
    element-wise, so any rows may share it), then each prompt's outlier columns' product in the input
    dtype on its own rows, the same call as for the prompt alone.
    """
    ops = torch.ops.bitsandbytes
    state = self.state
    rows = x.reshape(-1, x.shape[-1]).index_select(0, active.index)  # [M, K], packed
    q, scale, columns = _int8_quantise(rows.to(torch.float16), active.prompt_of, len(active.lengths), state.threshold)
    out = ops.int8_scaled_mm.default(q, state.CB, scale, state.SCB, bias=self.bias, dtype=x.dtype)
    starts = [0]
    for n in active.lengths:
        starts.append(starts[-1] + n)
    for i, cols in columns.items():
        a, b = starts[i], starts[i + 1]
        part = ops.int8_vectorwise_dequant.default(state.CB[:, cols].contiguous(), state.SCB).to(x.dtype).t()
        out[a:b] = out[a:b].addmm(rows[a:b][:, cols].contiguous(), part)
    return out


def _int8_forward(self, x):
    """``Linear8bitLt.forward`` with :func:`_int8_per_prompt` in place of ``bnb.matmul`` while active."""
    active = _ACTIVE.get()
    if (active is None or x.dim() != 3 or not active.packs(x) or self.training
            or self.state.has_fp16_weights or torch.is_grad_enabled()):
        return type(self).forward(self, x)
    self.state.is_training = False
    if self.weight.CB is not None:
        self.init_8bit_state()
    if self.bias is not None and self.bias.dtype != x.dtype:
        self.bias.data = self.bias.data.to(x.dtype)
    out = _unpacked(_int8_per_prompt(self, x, active), x, active)
    if self.state.CB is not None:
        self.weight.data = self.state.CB
    return out


def _is_int8(module) -> bool:
    return type(module).__name__ == "Linear8bitLt" and hasattr(module, "state")


def int8_layers(model) -> list:
    """The bitsandbytes int8 linear layers of ``model``."""
    return [m for m in model.modules() if _is_int8(m)]


def _switched(module) -> bool:
    return getattr(module.__dict__.get("forward"), "__func__", None) in (_linear_forward, _int8_forward)


def use_invariant_linears(model) -> bool:
    """Give every linear layer of ``model`` its invariant forward (blocked rows; per-prompt int8),
    active only inside :func:`invariant_forward`. Idempotent. False when some layer's forward was
    already replaced by someone else (e.g. accelerate's device hooks): that one is left alone, and
    the model cannot batch invariantly."""
    ok = True
    for m in model.modules():
        if not isinstance(m, torch.nn.Linear) or _switched(m):
            continue
        if "forward" in m.__dict__:
            ok = False
            continue
        m.forward = types.MethodType(_int8_forward if _is_int8(m) else _linear_forward, m)
    return ok


def linears_are_position_invariant(model, device, dtype, rows: int = ROW_BLOCK) -> bool:
    """Does each kind of linear layer of ``model`` (one of each class) give a row the same bits
    wherever it sits among ``rows`` rows and whoever its neighbours are? Exact equality or not.
    int8 layers are exact integer products with per-prompt outliers, and are skipped."""
    first: dict[type, Any] = {}
    for m in model.modules():
        if isinstance(m, torch.nn.Linear) and not _is_int8(m):
            first.setdefault(type(m), m)
    gen = torch.Generator(device="cpu").manual_seed(0)
    with torch.inference_mode():
        for m in first.values():
            a = torch.randn((rows, m.in_features), generator=gen).to(device, dtype)
            b = torch.randn((rows, m.in_features), generator=gen).to(device, dtype)
            b[rows // 3: rows // 3 + 37] = a[:37]
            forward = type(m).forward
            if not torch.equal(forward(m, a)[:37], forward(m, b)[rows // 3: rows // 3 + 37]):
                return False
    return True


# ---- choosing the mode, and one forward in it --------------------------------------------
def batch_mode(loaded: Any) -> str:
    """The :data:`BATCH_MODES` entry for a loaded model (the probe's answer is kept in ``loaded.info``).

    float32 -> ``batched``. Low bit widths, when every attention goes through transformers' SDPA
    and the linear kernels are position-invariant at a fixed row count (probed once per loaded
    model): ``rows`` on a CPU, ``shapes`` on CUDA; otherwise ``alone``.
    """
    spec = getattr(loaded, "spec", None)
    if getattr(spec, "quant", 32) not in LOW_BIT_WIDTHS:
        return "batched"
    model = loaded.model
    device = torch.device(getattr(loaded, "device", None) or "cpu")
    if device.type not in ("cpu", "cuda") or not supports_row_attention(model):
        return "alone"
    info = loaded.info if isinstance(getattr(loaded, "info", None), dict) else {}
    if "position_invariant_linears" not in info:
        info["position_invariant_linears"] = use_invariant_linears(model) and linears_are_position_invariant(
            model, device, getattr(loaded, "dtype", None) or torch.float32)
    if not info["position_invariant_linears"]:
        return "alone"
    return "rows" if device.type == "cpu" else "shapes"


@contextmanager
def invariant_forward(model, mode: str, mask) -> Iterator[None]:
    """Around one body forward of a right-padded batch (``mask`` [B, S], True on real tokens): the
    replacements of ``mode`` (nothing for ``batched`` and ``alone``)."""
    if mode not in ("rows", "shapes"):
        yield
        return
    use_invariant_linears(model)
    rows = mode == "rows"
    lengths = tuple(int(n) for n in mask.sum(dim=1).tolist())
    index = torch.nonzero(mask.reshape(-1), as_tuple=True)[0]
    prompt_of = torch.div(index, mask.shape[1], rounding_mode="floor")
    token = _ACTIVE.set(_Forward(lengths, int(mask.shape[1]), index, prompt_of, ROW_BLOCK if rows else 0, rows))
    try:
        if rows:
            with _row_attention_on(model):
                yield
        else:
            yield
    finally:
        _ACTIVE.reset(token)
