"""The memory a model needs at a bit width, from its parameter count (pure arithmetic, no torch)."""

from __future__ import annotations

import math

GiB = 1 << 30
#: Bytes per weight at each bit width (8 = bitsandbytes int8, 4 = NF4).
BYTES_PER_WEIGHT = {32: 4.0, 16: 2.0, 8: 1.0, 4: 0.5}
#: Share added to the weights for what a forward pass and the framework allocate around them.
OVERHEAD_FRACTION = 0.2
#: Fixed cost of a loaded model besides its weights (CUDA context, allocator, tokenizer).
OVERHEAD_BYTES = GiB // 2


def memory_needed(n_params: int, quant: int, *, embedding_params: int = 0, device_type: str = "cuda") -> int:
    """Bytes a model with ``n_params`` weights needs at ``quant`` bits.

    weights x (1 + :data:`OVERHEAD_FRACTION`) + :data:`OVERHEAD_BYTES`, where weights are
    ``n_params`` x :data:`BYTES_PER_WEIGHT` [quant]. At 8 and 4 bits bitsandbytes quantises only
    the linear layers: the ``embedding_params`` (input embedding, and the output projection
    when untied) stay in the compute dtype, 2 bytes on a GPU and 4 on the CPU.
    """
    if quant not in BYTES_PER_WEIGHT:
        raise ValueError(f"bit width must be one of {tuple(BYTES_PER_WEIGHT)}, got {quant}")
    weights = n_params * BYTES_PER_WEIGHT[quant]
    if quant in (8, 4) and embedding_params:
        kept = min(embedding_params, n_params)
        weights += kept * ((4.0 if device_type == "cpu" else 2.0) - BYTES_PER_WEIGHT[quant])
    return int(math.ceil(weights * (1 + OVERHEAD_FRACTION) + OVERHEAD_BYTES))
