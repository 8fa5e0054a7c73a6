"""Benchmark: are a prompt's vectors independent of its batch at every bit width, and at what cost?

For each bit width (32, 16, 8, 4) on the embedded Gemma 3 270M, the same STSA prompts are
captured three ways through :class:`concept_depth.capture.Capture` (the path every extraction
takes): batch size 1, batch size 16, and batch size 16 in a shuffled order. Per bit width it
prints the largest standardised difference between the batch-size-1 vectors and each other
way (|a - b| in units of each dimension's SD over the prompts, max over prompts, dimensions
and layers; the test's bound is 0.05), the smallest cosine, and the CPU seconds per prompt at batch size 1 and 16 (process time, all threads).

Low bit widths run one prompt at a time (``rows_depend_on_batch``), so their "batch 16" is
one at a time as well and costs what batch 1 costs. To show what that choice costs and
buys, the script also runs them the way float32 runs (``one_at_a_time`` switched off,
batches of 16 with left padding and the prefix cache): prompts/s of that path and how far
its vectors move. Two prompts warm each model up before anything is timed.

    python bench/bench_bit_widths.py                    # 48 STSA prompts, bit widths 32,16,8,4
    python bench/bench_bit_widths.py --n 24 --quants 8,4
    python bench/bench_bit_widths.py --n 8 --threads 1       # speed on a shared machine: CPU s per prompt
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from concept_depth.capture import Capture, PooledLayers, layer_numbers, run_all  # noqa: E402
from concept_depth.core.specs import DatasetSpec, ModelSpec  # noqa: E402
from concept_depth.datasets import load_samples  # noqa: E402
from concept_depth.models import load_model  # noqa: E402


def standardised_difference(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Per layer, the largest |a - b| in units of each dimension's SD over the prompts. a, b: [N, K, D]."""
    sd = a.std(axis=0) + 1e-12
    return (np.abs(a - b) / sd).max(axis=(0, 2))


def min_cosine(a: np.ndarray, b: np.ndarray) -> float:
    num = (a * b).sum(-1)
    den = np.linalg.norm(a, axis=-1) * np.linalg.norm(b, axis=-1)
    ok = den > 0
    return float((num[ok] / den[ok]).min())


def capture(cap: Capture, ids, reader, batch_size: int, order=None) -> tuple[np.ndarray, float]:
    """Vectors in input order, and CPU seconds per prompt (process time: on a shared machine wall time
    measures the neighbours' load more than our work)."""
    order = np.arange(len(ids)) if order is None else np.asarray(order)
    t0 = time.process_time()
    got = run_all(cap, [ids[i] for i in order], reader, batch_size=batch_size)
    seconds = time.process_time() - t0
    out = np.empty_like(got)
    out[order] = got
    return out, seconds / len(ids)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=48, help="STSA prompts (half per class)")
    ap.add_argument("--quants", default="32,16,8,4")
    ap.add_argument("--model", default="embedded")
    ap.add_argument("--no-batched", action="store_true", help="skip the batched path of low bit widths")
    ap.add_argument("--threads", type=int, default=None,
                    help="torch threads; 1 makes CPU time a fair cost on a busy machine (no spin-waiting threads)")
    args = ap.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    cache_dir = os.environ.get("CONCEPT_DEPTH_MODEL_CACHE") or os.environ.get("CONCEPT_DEPTH_CACHE") or "cache"
    samples = load_samples(DatasetSpec(name="STSA", limit=args.n))
    print(f"{args.model}, STSA, {len(samples)} prompts, torch threads {torch.get_num_threads()}")
    print(f"{'bits':>4} {'max SD bs1-bs16':>16} {'max SD bs1-shuf':>16} {'min cos':>9} {'cpu s/p bs1':>11} {'cpu s/p bs16':>12}"
          f"   | batched path: {'max SD':>7} {'min cos':>9} {'cpu s/p':>8}")
    for quant in [int(q) for q in args.quants.split(",")]:
        lm = load_model(ModelSpec(source=args.model, quant=quant), device="cpu", cache_dir=cache_dir)
        cap = Capture(lm)
        ids, _, _ = cap.encode_samples(samples, 512)
        reader = PooledLayers("residual", layer_numbers(lm.n_layers, "residual"), "last")
        run_all(cap, ids[:2], reader, batch_size=1)  # warm-up, not timed
        alone, rate1 = capture(cap, ids, reader, 1)
        b16, rate16 = capture(cap, ids, reader, 16)
        shuffled, _ = capture(cap, ids, reader, 16, np.random.default_rng(0).permutation(len(ids)))
        d16, dsh = standardised_difference(alone, b16), standardised_difference(alone, shuffled)
        cos = min(min_cosine(alone, b16), min_cosine(alone, shuffled))
        line = f"{quant:>4} {d16.max():>16.4f} {dsh.max():>16.4f} {cos:>9.6f} {rate1:>11.3f} {rate16:>12.3f}"
        if quant != 32 and not args.no_batched:
            fast = Capture(lm)
            fast.one_at_a_time = False  # what float32 does: batches of 16, padding, prefix cache
            fast.reuse_prefix = fast.is_decoder
            batched, rate_b = capture(fast, ids, reader, 16)
            line += (f"   | {standardised_difference(alone, batched).max():>21.2f} "
                     f"{min_cosine(alone, batched):>9.6f} {rate_b:>8.3f}")
        print(line, flush=True)
        print(f"     per layer (bs1 vs bs16): {' '.join(f'{v:.3f}' for v in d16)}", flush=True)
        del cap, lm


if __name__ == "__main__":
    main()
