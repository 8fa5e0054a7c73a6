"""Benchmark: the reference loop against ``extract_activations``, same model, same prompts, one run.

The reference loop (Luckfort/CD style): one prompt at a time, the full causal-LM forward
including the vocabulary projection (logits), forward hooks on every block's
``post_attention_layernorm``, last token, float32 copies. Ours: ``extract_activations``
with the same hook and pooling (batches sorted by length, left padding, body only,
inference mode, pooled-on-the-fly hooks, shared-prefix key/value reuse).

Prints prompts/s of both and their ratio, the largest deviation between the two sets of
vectors (cosine), the achieved GFLOP/s (2 x block parameters x tokens computed / s)
against a float32 matmul on the same cores, and shows that a cached rerun does no
forward pass. Run it twice: on a dataset whose prompts do not share a prefix (STSA) and
one whose prompts do (cities).

    python bench/bench_extraction.py                       # embedded Gemma 3 270M, 100 prompts
    python bench/bench_extraction.py --n 40 --datasets STSA,cities --batch-size 16
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from concept_depth.capture import Capture  # noqa: E402
from concept_depth.core.specs import DatasetSpec, ExtractionSpec, ModelSpec  # noqa: E402
from concept_depth.datasets import load_samples  # noqa: E402
from concept_depth.extraction import extract_activations  # noqa: E402
from concept_depth.models import architectures as A  # noqa: E402
from concept_depth.models import load_model  # noqa: E402
from concept_depth.storage.store import Store  # noqa: E402


def reference_loop(lm, prompts: list[str]) -> tuple[np.ndarray, float]:
    """One prompt at a time, full forward with logits, hooks on post_attention_layernorm. [N, L, D]."""
    model = lm.model
    feats = np.zeros((len(prompts), lm.n_layers, lm.hidden_size), dtype=np.float32)
    current = {}
    handles = [A.post_attention_norm(model, i).register_forward_hook(
        lambda m, a, o, _i=i: current.__setitem__(_i, o[0, -1].detach().float().cpu().numpy()))
        for i in range(lm.n_layers)]
    t0 = time.perf_counter()
    try:
        for n, prompt in enumerate(prompts):
            enc = lm.tokenizer(prompt, return_tensors="pt").to(lm.device)
            with torch.no_grad():
                model(**enc)  # logits computed, as in the reference
            for i in range(lm.n_layers):
                feats[n, i] = current[i]
    finally:
        for h in handles:
            h.remove()
    return feats, time.perf_counter() - t0


def matmul_gflops(seconds: float = 2.0, m: int = 1024, k: int = 640, n: int = 2048) -> float:
    """float32 matmul rate on the same cores (a block-sized GEMM)."""
    a, b = torch.randn(m, k), torch.randn(k, n)
    for _ in range(3):
        a @ b
    reps, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        a @ b
        reps += 1
    return 2 * m * k * n * reps / (time.perf_counter() - t0) / 1e9


def block_params(lm) -> int:
    """Parameters of the transformer blocks (the matmul work per token; embeddings are a lookup)."""
    return sum(p.numel() for block in A.decoder_layers(lm.model) for p in block.parameters())


def cosine_min(a: np.ndarray, b: np.ndarray) -> float:
    cos = (a * b).sum(-1) / (np.linalg.norm(a, axis=-1) * np.linalg.norm(b, axis=-1) + 1e-30)
    return float(cos.min())


def bench_dataset(lm, name: str, n: int, batch_size: int, model_cache: Path) -> dict:
    samples = load_samples(DatasetSpec(name=name, limit=n), cache_dir=model_cache)
    spec = ExtractionSpec(model=lm.spec, dataset=DatasetSpec(name=name, limit=n), hook="post_attention_layernorm",
                          pooling="last")
    ids, prompts, _ = Capture(lm).encode_samples(samples, spec.max_tokens)
    n_tokens = sum(len(x) for x in ids)
    print(f"\n== {name}: {len(prompts)} prompts, {n_tokens / len(prompts):.0f} tokens on average")

    ref, ref_s = reference_loop(lm, list(prompts))
    print(f"reference loop  : {len(prompts) / ref_s:7.2f} prompts/s  ({ref_s:.1f} s)")

    with tempfile.TemporaryDirectory() as tmp:
        store = Store(tmp)
        mm_before = matmul_gflops(1.0)  # the cores are shared: measure the matmul rate around our run
        acts = extract_activations(spec, store=store, samples=samples, model_loader=lambda s: lm,
                                   batch_size=batch_size)
        ours_s = acts.timing["extract_s"]
        mm = (mm_before + matmul_gflops(1.0)) / 2
        ours = acts.all()
        t = acts.timing
        print(f"extract_activations: {len(prompts) / ours_s:7.2f} prompts/s  ({ours_s:.1f} s; shared prefix "
              f"{t['prefix_tokens']} tokens reused in {t['prefix_batches']} batches)")
        ratio = ref_s / ours_s
        print(f"speed-up        : {ratio:.1f}x   min cosine to the reference: {cosine_min(ours, ref):.6f}")
        flops = 2 * block_params(lm) * (t["tokens_run"] + t["prefix_tokens"])
        achieved = flops / ours_s / 1e9
        effective = 2 * block_params(lm) * n_tokens / ours_s / 1e9
        print(f"achieved        : {achieved:.1f} GFLOP/s over {t['tokens_run'] + t['prefix_tokens']} tokens computed "
              f"= {100 * achieved / mm:.0f}% of the float32 matmul rate measured around it ({mm:.1f} GFLOP/s); "
              f"{effective:.1f} GFLOP/s-equivalent over all {n_tokens} prompt tokens")

        forwards = []
        handle = A.base_model(lm.model).register_forward_pre_hook(lambda *a: forwards.append(1))
        try:
            t0 = time.perf_counter()
            again = extract_activations(spec, store=store, samples=samples, model_loader=lambda s: lm,
                                        batch_size=batch_size)
            cached_s = time.perf_counter() - t0
        finally:
            handle.remove()
        same = np.array_equal(again.all(), ours)
        print(f"cached rerun    : cached={again.cached}, forward passes={len(forwards)}, {cached_s * 1000:.0f} ms, "
              f"identical={same}")
    return {"dataset": name, "ref_pps": len(prompts) / ref_s, "ours_pps": len(prompts) / ours_s, "ratio": ratio,
            "gflops": achieved, "matmul": mm}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--model", default="embedded", help="model source (default: the embedded Gemma 3 270M)")
    p.add_argument("--n", type=int, default=100, help="prompts per dataset")
    p.add_argument("--datasets", default="STSA,cities", help="comma-separated dataset names")
    p.add_argument("--batch-size", type=int, default=16)
    p.add_argument("--cache-dir", default=None, help="cache holding converted models and datasets")
    p.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's choice)")
    args = p.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    cache = Path(args.cache_dir or os.environ.get("CONCEPT_DEPTH_CACHE") or Path(__file__).resolve().parents[1] / "cache")
    t0 = time.perf_counter()
    lm = load_model(ModelSpec(source=args.model), device="cpu", cache_dir=cache)
    print(f"model: {lm.label}, {lm.n_layers} layers, hidden {lm.hidden_size}, {block_params(lm) / 1e6:.0f}M block "
          f"parameters; loaded in {time.perf_counter() - t0:.1f} s; torch threads {torch.get_num_threads()}")
    mm = matmul_gflops()
    print(f"float32 matmul  : {mm:.1f} GFLOP/s on these cores")
    rows = [bench_dataset(lm, name.strip(), args.n, args.batch_size, cache) for name in args.datasets.split(",")]
    print("\nsummary")
    for r in rows:
        print(f"  {r['dataset']:<10} reference {r['ref_pps']:6.2f} p/s | ours {r['ours_pps']:6.2f} p/s | "
              f"{r['ratio']:5.1f}x | {r['gflops']:6.1f} GFLOP/s = {100 * r['gflops'] / r['matmul']:4.0f}% of matmul")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
