"""Benchmark: prompts/s at every bit width, batched and one at a time, and whether the batch moves a number.

For each bit width (32, 16, 8, 4) on the embedded Gemma 3 270M, the same STSA prompts go through
:class:`concept_depth.capture.Capture` (the path every extraction takes):

- one at a time (mode ``alone``, batch size 1: the reference's way, and the old low-bit path);
- the engine's own mode (``batched`` for float32, ``rows`` for low bit widths on a CPU) at batch
  size 16, at batch size 1, and at batch size 16 in a shuffled order.

Per bit width it prints prompts/s batched and one at a time (wall clock) with CPU seconds per
prompt (process time: on a shared machine wall time measures the neighbours' load as much as our
work; run with ``--threads 1`` there), batched speed as a share of float32's (by wall and by CPU time), the largest
standardised difference between batch size 1, 16 and the shuffled order (|a - b| in units of each
dimension's SD over the prompts, max over prompts, dimensions and layers; goal 0.000, bound 0.05)
and between batched and one at a time, with the smallest cosine. Two prompts warm each path up
before anything is timed; the machine's load average is printed before and after.

    python bench/bench_bit_widths.py                         # 32 STSA prompts, bit widths 32,16,8,4
    python bench/bench_bit_widths.py --n 24 --quants 8,4
    python bench/bench_bit_widths.py --threads 1             # on a shared machine
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


def standardised_difference(a: np.ndarray, b: np.ndarray) -> float:
    """The largest |a - b| in units of each dimension's SD over the prompts. a, b: [N, K, D]."""
    sd = a.std(axis=0) + 1e-12
    return float((np.abs(a - b) / sd).max())


def min_cosine(a: np.ndarray, b: np.ndarray) -> float:
    num = (a * b).sum(-1)
    den = np.linalg.norm(a, axis=-1) * np.linalg.norm(b, axis=-1)
    ok = den > 0
    return float((num[ok] / den[ok]).min())


def capture(cap: Capture, ids, reader, batch_size: int, order=None) -> tuple[np.ndarray, float, float]:
    """Vectors in input order, wall seconds and CPU seconds per prompt."""
    order = np.arange(len(ids)) if order is None else np.asarray(order)
    t0, c0 = time.perf_counter(), time.process_time()
    got = run_all(cap, [ids[i] for i in order], reader, batch_size=batch_size)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    out = np.empty_like(got)
    out[order] = got
    return out, wall / len(ids), cpu / len(ids)


def measure(lm, ids, reader) -> dict:
    """One bit width: both ways of running, the three batchings, speeds and differences."""
    alone_cap, cap = Capture(lm, mode="alone"), Capture(lm)
    run_all(alone_cap, ids[:2], reader, batch_size=1)  # warm-up, not timed
    run_all(cap, ids[:2], reader, batch_size=16)
    alone, wall1, cpu1 = capture(alone_cap, ids, reader, 1)
    b16, wall16, cpu16 = capture(cap, ids, reader, 16)
    b1, _, _ = capture(cap, ids, reader, 1)
    shuffled, _, _ = capture(cap, ids, reader, 16, np.random.default_rng(0).permutation(len(ids)))
    pairs = [(b1, b16), (b1, shuffled), (b16, shuffled)]
    return {"mode": cap.mode, "batched_pps": 1 / wall16, "alone_pps": 1 / wall1, "batched_cpu": cpu16,
            "alone_cpu": cpu1, "batch_sd": max(standardised_difference(a, b) for a, b in pairs),
            "identical": all(np.array_equal(a, b) for a, b in pairs),
            "vs_alone_sd": standardised_difference(alone, b16), "vs_alone_cos": min_cosine(alone, b16)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=32, help="STSA prompts (half per class)")
    ap.add_argument("--quants", default="32,16,8,4")
    ap.add_argument("--model", default="embedded")
    ap.add_argument("--threads", type=int, default=None,
                    help="torch threads; 1 makes CPU time a fair cost on a busy machine (no spin-waiting threads)")
    args = ap.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    cache_dir = os.environ.get("CONCEPT_DEPTH_MODEL_CACHE") or os.environ.get("CONCEPT_DEPTH_CACHE") or "cache"
    samples = load_samples(DatasetSpec(name="STSA", limit=args.n))
    print(f"{args.model}, STSA, {len(samples)} prompts, torch threads {torch.get_num_threads()}, {os.cpu_count()} cores, "
          f"load average {os.getloadavg()[0]:.2f} (1 min)")
    print("| bits | mode | prompts/s batched (CPU s/p) | one at a time (CPU s/p) | batched / float32 batched (wall, CPU) "
          "| max SD bs1/bs16/shuffled | identical | max SD batched vs one at a time | min cos |")
    print("|---|---|---|---|---|---|---|---|---|")
    float32 = None
    for quant in [int(q) for q in args.quants.split(",")]:
        lm = load_model(ModelSpec(source=args.model, quant=quant), device="cpu", cache_dir=cache_dir)
        ids, _, _ = Capture(lm).encode_samples(samples, 512)
        r = measure(lm, ids, PooledLayers("residual", layer_numbers(lm.n_layers, "residual"), "last"))
        if quant == 32:
            float32 = r
        share = (f"{r['batched_pps'] / float32['batched_pps']:.0%}, {float32['batched_cpu'] / r['batched_cpu']:.0%}"
                 if float32 else "n/a")
        print(f"| {quant} | {r['mode']} | {r['batched_pps']:.2f} ({r['batched_cpu']:.3f}) | {r['alone_pps']:.2f} "
              f"({r['alone_cpu']:.3f}) | {share} | {r['batch_sd']:.4f} | {'yes' if r['identical'] else 'no'} "
              f"| {r['vs_alone_sd']:.4f} | {r['vs_alone_cos']:.6f} |", flush=True)
        del lm
    print(f"load average after: {os.getloadavg()[0]:.2f} (1 min)")


if __name__ == "__main__":
    main()
