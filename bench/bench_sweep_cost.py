"""Benchmark: the measured cost of one sweep run, and the paper's full grid on 1, 8 and 64 GPUs, on paper.

1. Measures one run here (CPU): the embedded Gemma 3 270M on ``cities`` (``--limit``, default 200)
   in a fresh cache (the converted model is reused from ``$CONCEPT_DEPTH_MODEL_CACHE``): model load,
   extraction (tokens run, achieved GFLOP/s = 2 x non-embedding parameters x tokens / seconds) and
   probing (seconds per sample x hidden x layer, for the paper protocol with its control probe).
2. Measures each paper dataset's mean prompt length with the embedded model's tokenizer (files in
   ``$CONCEPT_DEPTH_DATA_DIR``; IMDb and sarcasm, not there, take the lengths in ASSUMED_TOKENS).
3. Measures the batched extraction rate of each bit width here (``--bit-prompts`` cities prompts
   through the capture core in the engine's own mode: float32 batched, 16/8/4 bits batched and
   batch-invariant), and from it the low bit widths' speed relative to 16-bit (``--bit-rates`` gives
   them instead, e.g. from ``bench/bench_bit_widths.py``).
4. Projects the grid: the paper's models (the catalog's ``paper`` entries, 0.5B-14B) x the nine
   datasets (all samples) x four bit widths x two noise settings (none, paper), one Ray task per
   (model, bit width) as ``sweep --ray`` runs it, scheduled longest-first on 1, 8 and 64 GPUs.
   Extraction time = FLOPs / (GPU peak x utilisation x bit-width factor), where a low bit width's
   FLOPs count the padding of its fixed GPU shapes (each dataset's prompts in length buckets,
   whole rows x bucket batches: computed from the token lengths, not assumed); probing = the
   measured CPU cost scaled by samples x hidden x layers and by the CPUs a task gets; model load =
   weight bytes / disk rate. Every assumption is a named constant below and is printed with the
   table, each figure marked measured or assumed.

    python bench/bench_sweep_cost.py            # prints figures; no timing assertion anywhere
    python bench/bench_sweep_cost.py --limit 400
    python bench/bench_sweep_cost.py --from-cache /tmp/sweep-cache --bit-rates 16=2.33,8=0.65,4=0.77
"""

from __future__ import annotations

import argparse
import heapq
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

# ---- assumptions of the projection (stated with the table) --------------------------------
GPU = "H100 80 GB SXM"
PEAK_TFLOPS = {16: 989.0, 32: 67.0}  # dense bf16; plain float32 (no TF32: torch's default matmul precision)
UTILISATION = 0.30  # share of peak a batched forward of short prompts reaches
#: Low bit widths' speed relative to 16-bit on the GPU when nothing was measured (replaced by the
#: ratios measured here on the CPU unless --assumed-factors: until bench/gpu_check.py has measured
#: them on a GPU, the CPU's ratios are the only measurement there is).
ASSUMED_BIT_FACTOR = {32: 1.0, 16: 1.0, 8: 0.25, 4: 0.5}
CPUS_PER_TASK = 8  # CPUs per GPU task for the probes (--cpus-per-task 8); measured here on 2
DISK_GBPS = 2.0  # loading weights from a node-local Hugging Face cache, GB/s
NOISE_SETTINGS = ("none", "paper")
QUANTS = (32, 16, 8, 4)
ASSUMED_TOKENS = {"IMDb": 290.0, "sarcasm": 45.0}  # mean prompt tokens of the two files not here
ASSUMED_PADDING = 1.15  # their fixed-shape padding factor (the measured ones lie between 1.05 and 1.3)
MAX_TOKENS = 512


def _figures(store, result, wall: float) -> dict:
    t = store.activation_meta(result.extra["activation_key"])["timing"]
    return {"wall_s": wall, "load_s": result.timing["load_s"], "extract_s": result.timing["extract_s"],
            "probe_s": result.timing["probe_s"], "n": result.n_samples, "layers": len(result.layers),
            "hidden": result.hidden_size, "tokens_run": t["tokens_run"], "real_tokens": t["real_tokens"]}


def stored_run(cache: str) -> dict:
    """The figures of an embedded-model run on cities already in ``cache`` (e.g. a sweep's), computed there."""
    from concept_depth.analyses.probe import list_runs
    from concept_depth.storage.store import Store

    store = Store(cache)
    for run in list_runs(store):
        if run.spec.get("model") == "embedded" and run.spec.get("dataset") == "cities":
            return _figures(store, run, float("nan"))
    raise SystemExit(f"no embedded run on cities in {cache}")


def measure_run(limit: int) -> dict:
    """One embedded-model run on cities in a fresh cache: timings, tokens, probe cost."""
    from concept_depth.analyses.probe import run_probe
    from concept_depth.core.specs import RunSpec
    from concept_depth.storage.store import Store

    models = Path(os.environ.get("CONCEPT_DEPTH_MODEL_CACHE") or "cache").resolve() / "models"
    tmp = Path(tempfile.mkdtemp(prefix="sweep-cost-"))
    try:
        if models.is_dir():
            (tmp / "models").symlink_to(models)  # the converted model, not converted again
        store = Store(tmp)
        t0 = time.perf_counter()
        result = run_probe(RunSpec.from_options(model="embedded", dataset="cities", limit=limit), store=store, device="cpu")
        return _figures(store, result, time.perf_counter() - t0)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def measure_bit_widths(n: int) -> dict[int, float]:
    """{bit width: real prompt tokens/s} of a batched extraction of ``n`` cities prompts here, in the
    engine's own mode for that bit width (after a warm-up of two prompts)."""
    import torch  # noqa: F401  (a bench script: its own thread setting for this measurement)

    from concept_depth.capture import Capture, PooledLayers, layer_numbers, run_all
    from concept_depth.core.specs import DatasetSpec, ModelSpec
    from concept_depth.datasets import load_samples
    from concept_depth.models import load_model

    samples = load_samples(DatasetSpec(name="cities", limit=n))
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # CPU-bound and comparable on a shared machine (no spin-waiting second thread)
    rates = {}
    for q in QUANTS:
        lm = load_model(ModelSpec(source="embedded", quant=q), device="cpu",
                        cache_dir=os.environ.get("CONCEPT_DEPTH_MODEL_CACHE") or "cache")
        cap = Capture(lm)
        ids, _, _ = cap.encode_samples(samples, MAX_TOKENS)
        reader = PooledLayers("residual", layer_numbers(lm.n_layers, "residual"), "last")
        run_all(cap, ids[:2], reader, batch_size=16)
        t0 = time.perf_counter()
        run_all(cap, ids, reader, batch_size=16)
        rates[q] = sum(map(len, ids)) / (time.perf_counter() - t0)
        print(f"  {q}-bit ({cap.mode}): {rates[q]:.0f} prompt tokens/s (one thread)", flush=True)
        del cap, lm
    torch.set_num_threads(threads)
    return rates


def shape_padding(lengths: list[int]) -> float:
    """Positions computed / real tokens when ``lengths`` run in the GPU's fixed shapes (mode ``shapes``:
    length buckets, every batch rows x bucket; the last batch of a bucket padded with whole rows)."""
    from concept_depth.capture.batches import plan_fixed_shapes

    plan = plan_fixed_shapes(lengths, sorted(range(len(lengths)), key=lambda i: -lengths[i]))
    return sum(rows * length for _, length, rows in plan) / max(sum(lengths), 1)


def mean_tokens() -> dict[str, tuple[int, float, float]]:
    """{dataset: (samples, mean prompt tokens, fixed-shape padding factor)} of the paper datasets
    (embedded tokenizer)."""
    import concept_depth as cd
    from concept_depth.core.specs import DatasetSpec
    from concept_depth.datasets import dataset_catalog, load_samples

    tok = cd.load_model("embedded", device="cpu", cache_dir=os.environ.get("CONCEPT_DEPTH_MODEL_CACHE")).tokenizer
    out = {}
    for info in dataset_catalog():
        if info.builtin:
            continue
        n = sum(info.sizes) if info.sizes else 0
        if not info.available:
            out[info.name] = (n, ASSUMED_TOKENS.get(info.name, 100.0), ASSUMED_PADDING)
            continue
        samples = load_samples(DatasetSpec.from_options(dataset=info.name))
        lengths = [min(MAX_TOKENS, len(ids)) for ids in tok(list(samples.prompts))["input_ids"]]
        out[info.name] = (len(samples), sum(lengths) / len(lengths), shape_padding(lengths))
    return out


def _schedule(durations: list[float], gpus: int) -> float:
    """Makespan of tasks scheduled longest first on ``gpus`` GPUs (each task holds one GPU)."""
    loads = [0.0] * gpus
    for d in sorted(durations, reverse=True):
        heapq.heapreplace(loads, loads[0] + d)
    return max(loads)


def _hours(s: float) -> str:
    return f"{s / 3600:.1f} h" if s >= 3600 else f"{s / 60:.0f} min"


def bit_factors(rates: dict[int, float] | None) -> tuple[dict[int, float], str]:
    """The low bit widths' speed relative to 16-bit, and where it comes from."""
    if not rates:
        return dict(ASSUMED_BIT_FACTOR), "assumed"
    return ({32: 1.0, 16: 1.0, 8: rates[8] / rates[16], 4: rates[4] / rates[16]},
            "measured here on the CPU (batched, batch-invariant), assumed to carry over to the GPU")


def _grid(run: dict, data: dict[str, tuple[int, float, float]], extraction) -> dict:
    """The grid's tasks: one per (paper model, bit width); ``extraction(q, flops)`` -> seconds of one run."""
    from concept_depth.models.known import KNOWN_MODELS

    probe_unit = run["probe_s"] / (run["n"] * run["hidden"] * run["layers"])  # s per sample x width x layer
    models = [m for m in KNOWN_MODELS if m.paper]
    out = {"models": models, "tasks": [], "names": [], "runs": 0, "extract": 0.0, "probe": 0.0, "load": 0.0}
    for m in models:
        body = _non_embedding(m.source)
        for q in QUANTS:
            task = m.n_params * {32: 4, 16: 2, 8: 1, 4: 0.5}[q] / (DISK_GBPS * 1e9)  # load once per task
            out["load"] += task
            for _name, (n, tokens, padding) in data.items():
                for _noise in NOISE_SETTINGS:
                    ex = extraction(q, 2 * body * n * tokens, padding)
                    pr = probe_unit * n * m.hidden_size * (m.n_layers + 1) * 2 / CPUS_PER_TASK
                    task += ex + pr
                    out["extract"] += ex
                    out["probe"] += pr
                    out["runs"] += 1
            out["tasks"].append(task)
            out["names"].append(f"{m.label} {q}-bit")
    return out


def _table(grid: dict, title: str) -> None:
    tasks = grid["tasks"]
    print(f"\n{title}: extraction {_hours(grid['extract'])}, probing {_hours(grid['probe'])}, model loads "
          f"{_hours(grid['load'])}; longest task {_hours(max(tasks))} ({grid['names'][tasks.index(max(tasks))]}); "
          f"mean run {_hours((grid['extract'] + grid['probe']) / grid['runs'])}")
    print("\n| GPUs | wall time | GPU-hours held |\n|---|---|---|")
    for g in (1, 8, 64):
        span = _schedule(tasks, g)
        print(f"| {g} | {_hours(span)} | {span * g / 3600:.0f} |")


def project(run: dict, data: dict[str, tuple[int, float, float]], rates: dict[int, float] | None,
            cpu_rates: dict[int, float] | None = None) -> None:
    """Print the grid's tables: on GPUs with the low bit widths' factors measured here (or assumed), with
    the assumed ones for comparison, and the extraction alone on this CPU from its measured rates."""
    factor, source = bit_factors(rates)
    # prompt tokens as FLOPs (2 x non-embedding parameters each): the shared prompt prefix is run once
    # (prefix KV reuse), so this is the rate a user sees
    cpu_flops = 2 * _non_embedding("embedded") * run["real_tokens"] / run["extract_s"]
    probe_unit = run["probe_s"] / (run["n"] * run["hidden"] * run["layers"])
    print(f"\nmeasured here (CPU, 2 cores): {run['real_tokens'] / run['extract_s']:.0f} prompt tokens/s = "
          f"{cpu_flops / 1e9:.0f} GFLOP/s effective in extraction; probing {probe_unit * 1e9:.0f} s per 10^9 "
          "sample x width x layer (paper protocol + control)")

    def on_gpu(f):
        def seconds(q, flops, padding):  # low bit widths: the padding of their fixed GPU shapes, no prefix cache
            return flops * (padding if q != 32 else 1.0) / (PEAK_TFLOPS[16 if q != 32 else 32] * 1e12 * UTILISATION * f[q])
        return seconds

    grid = _grid(run, data, on_gpu(factor))
    print(f"grid: {len(grid['models'])} models ({', '.join(m.label for m in grid['models'])}) x {len(data)} datasets "
          f"x {len(QUANTS)} bit widths x {len(NOISE_SETTINGS)} noise settings = {grid['runs']} runs in "
          f"{len(grid['tasks'])} tasks")
    _table(grid, f"on GPUs, int8 x{factor[8]:.2f} and NF4 x{factor[4]:.2f} of 16-bit speed ({source.split(' (')[0]})")
    if rates:
        _table(_grid(run, data, on_gpu(ASSUMED_BIT_FACTOR)),
               f"the same with the assumed factors (int8 x{ASSUMED_BIT_FACTOR[8]}, NF4 x{ASSUMED_BIT_FACTOR[4]})")
    if cpu_rates:
        body = _non_embedding("embedded")
        cpu = _grid(run, data, lambda q, flops, _p: flops / (2 * body * cpu_rates[q]))["extract"]
        print(f"\nthe extraction alone on one core of this CPU, at the rates measured here per bit width (cities: "
              f"float32 helped by its prefix cache): {cpu / 3600 / 24:.0f} days")
    pad = [p for _, _, p in data.values()]
    print(f"\nmeasured: the run above (load, extraction rate, probe cost), the prompt lengths (Gemma tokenizer, "
          f"capped at {MAX_TOKENS}), the fixed-shape padding of 16/8/4 bits ({min(pad):.2f}-{max(pad):.2f}x), "
          f"int8 x{factor[8]:.2f} and NF4 x{factor[4]:.2f} of 16-bit speed: {source}")
    print(f"assumed: {GPU}, peak {PEAK_TFLOPS[16]:.0f} TFLOP/s bf16 / {PEAK_TFLOPS[32]:.0f} float32, "
          f"{UTILISATION:.0%} of peak (not measured on a GPU yet: bench/gpu_check.py), probes on {CPUS_PER_TASK} "
          f"CPUs per task, weights read at {DISK_GBPS} GB/s"
          + ("" if rates else f", int8 x{factor[8]} and NF4 x{factor[4]} of 16-bit speed"))


def _non_embedding(source: str) -> float:
    from concept_depth.models.known import known_model

    m = known_model(source)
    return m.n_params - m.vocab_size * m.hidden_size * (1 if m.tied else 2)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--limit", type=int, default=200)
    ap.add_argument("--from-cache", default=None, help="take the run from this cache (an embedded run on cities, "
                                                         "e.g. a sweep's) instead of computing one")
    ap.add_argument("--bit-prompts", type=int, default=48, help="cities prompts per bit width for the rates")
    ap.add_argument("--bit-rates", default=None,
                    help="batched prompts/s of 16, 8, 4 bits relative to float32 (e.g. 16=2.33,8=0.65,4=0.77 from "
                         "bench/bench_bit_widths.py) instead of measuring them")
    ap.add_argument("--assumed-factors", action="store_true", help="the old assumed int8 / NF4 factors, not measured ones")
    args = ap.parse_args()
    load_before = os.getloadavg()
    run = stored_run(args.from_cache) if args.from_cache else measure_run(args.limit)
    print(f"one run, embedded on cities, {run['n']} samples: {run['wall_s']:.1f} s wall = load {run['load_s']:.1f} s "
          f"+ extraction {run['extract_s']:.1f} s ({run['tokens_run']} tokens run, {run['real_tokens']} real) "
          f"+ probes {run['probe_s']:.1f} s ({run['layers']} layers, hidden {run['hidden']})")
    cpu_rates = None
    if args.assumed_factors:
        rates = None
    elif args.bit_rates:
        rates = {32: 1.0, **{int(k): float(v) for k, v in (x.split("=") for x in args.bit_rates.split(","))}}
    else:
        print(f"batched extraction here, {args.bit_prompts} cities prompts per bit width:")
        rates = cpu_rates = measure_bit_widths(args.bit_prompts)
    data = mean_tokens()
    print("datasets (samples, mean prompt tokens, fixed-shape padding): "
          + ", ".join(f"{k} {n} / {t:.0f} / {p:.2f}" for k, (n, t, p) in data.items()))
    project(run, data, rates, cpu_rates)
    print(f"\nload average before {load_before[0]:.1f}, after {os.getloadavg()[0]:.1f} (2 cores, shared)")


if __name__ == "__main__":
    main()
