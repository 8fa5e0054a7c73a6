"""Measurement: what bit widths (and noise) do to concept depth, with intervals, under both probe protocols.

For a model and datasets (default: embedded Gemma 3 270M, STSA, 400 prompts), runs float32
and each lower bit width (and each noise setting) under ``--protocol paper`` and ``--protocol cv``
(the layer vectors are extracted once per bit width and noise, shared by both protocols), then
prints per run the
peak accuracy, jumping and converging point with bootstrap intervals and the layers whose
probe did not converge; per bit width and protocol the paired per-layer differences against
float32 clean (McNemar mid-p, Holm, paired bootstrap interval) and the shift of the depth metrics
with intervals; and per bit width the fidelity table (cosine, largest and mean standardised
deviation from float32). Everything also goes to ``--out`` as JSON.

    python bench/bench_bit_width_depth.py --cache-dir /tmp/bits/cache --out /tmp/bits/stsa400.json
    python bench/bench_bit_width_depth.py --limit 100 --quants 32,8        # quicker
    python bench/bench_bit_width_depth.py --datasets cities,STSA,coinflip --noises none,paper,typos   # issue 15 item 4
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from concept_depth.analyses.probe import run_probe  # noqa: E402
from concept_depth.core.specs import RunSpec  # noqa: E402
from concept_depth.models import load_model  # noqa: E402
from concept_depth.stats.outcomes import run_outcomes, unconverged_layers  # noqa: E402
from concept_depth.stats.paired import depth_intervals  # noqa: E402
from concept_depth.storage.store import Store  # noqa: E402
from concept_depth.workflows.comparison import compare_pair  # noqa: E402


def _iv(iv, digits=0) -> str:
    if iv is None:
        return "[–]"
    return f"[{iv[0]:.{digits}f}, {iv[1]:.{digits}f}]"


def _layers(layers) -> str:
    if layers is None:
        return "not recorded"
    return f"{len(layers)}: {layers}" if layers else "none"


def _run_name(dataset: str, q: int, noise: str, proto: str) -> str:
    return f"{dataset} {q}-bit {noise} {proto}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default="embedded")
    ap.add_argument("--datasets", "--dataset", default="STSA", help="comma-separated")
    ap.add_argument("--limit", type=int, default=400)
    ap.add_argument("--quants", default="32,16,8,4")
    ap.add_argument("--noises", default="none", help="comma-separated: none, paper, typos")
    ap.add_argument("--noise-strength", type=float, default=0.05, help="of typos")
    ap.add_argument("--protocols", default="paper,cv")
    ap.add_argument("--cache-dir", default=None)
    ap.add_argument("--n-boot", type=int, default=2000)
    ap.add_argument("--out", default=None, help="write all numbers as JSON here")
    args = ap.parse_args()
    store = Store(args.cache_dir)
    model_cache = os.environ.get("CONCEPT_DEPTH_MODEL_CACHE") or store.directory
    loaded = {}

    def loader(spec):
        key = (spec.source, spec.quant)
        if key not in loaded:
            loaded.clear()  # one model in memory at a time
            loaded[key] = load_model(spec, device="cpu", cache_dir=model_cache)
        return loaded[key]

    datasets = args.datasets.split(",")
    quants = [int(q) for q in args.quants.split(",")]
    noises = args.noises.split(",")
    protocols = args.protocols.split(",")
    runs = {}
    # float32 clean first, so every low-bit run finds its float32 vectors cached (fidelity stored with it)
    for q in quants:
        for dataset in datasets:
            for noise in noises:
                for proto in protocols:
                    t0 = time.perf_counter()
                    r = run_probe(RunSpec.from_options(model=args.model, quant=q, dataset=dataset, limit=args.limit, noise=noise,
                                           noise_strength=args.noise_strength if noise == "typos" else 0.0,
                                           protocol=proto), store=store, model_loader=loader)
                    runs[dataset, q, noise, proto] = r
                    print(f"ran {_run_name(dataset, q, noise, proto)}: {time.perf_counter() - t0:.0f} s "
                          f"(extract {r.timing.get('extract_s', 0):.0f} s, {r.timing.get('prompts_per_s') or 0:.2f} "
                          f"prompts/s{', cached' if r.timing.get('cached') else ''})", flush=True)
    report: dict = {"model": args.model, "datasets": datasets, "limit": args.limit, "runs": {}, "pairs": {}}
    print(f"\n== {args.model}, {args.limit} prompts: depth metrics with 95% bootstrap intervals ==")
    print(f"{'run':>36} {'peak acc':>8} {'interval':>14} {'peak':>4} {'interval':>9} "
          f"{'J':>3} {'interval':>9} {'C':>3} {'interval':>9}  not converged")
    for key, r in runs.items():
        out = run_outcomes(r)
        iv = depth_intervals(r, out, n_boot=args.n_boot) if out is not None else {}
        d = r.depth
        pa = iv.get("peak_accuracy")
        print(f"{_run_name(*key):>36} {d.peak_accuracy:>8.3f} {_iv(pa, 3):>14} {str(d.peak_layer):>4} "
              f"{_iv(iv.get('peak_layer')):>9} {str(d.jumping_point):>3} {_iv(iv.get('jumping_point')):>9} "
              f"{str(d.converging_point):>3} {_iv(iv.get('converging_point')):>9}  {_layers(unconverged_layers(r))}")
        report["runs"][_run_name(*key)] = {
            "key": r.key, "peak_accuracy": d.peak_accuracy, "peak_layer": d.peak_layer,
            "jumping_point": d.jumping_point, "converging_point": d.converging_point, "chance": d.chance,
            "intervals": iv, "unconverged": unconverged_layers(r), "accuracy": r.metric("accuracy")}
    fidelity_done = set()
    for (dataset, q, noise, proto), r in runs.items():
        base = runs.get((dataset, 32, "none", proto))
        if base is None or r is base:
            continue
        c = compare_pair(store, base, r, n_boot=args.n_boot)
        name = _run_name(dataset, q, noise, proto)
        print(f"\n== {name} − 32-bit clean ==")
        if c.paired is None:
            print(f"not paired: {c.unpaired_reason}")
            continue
        pc = c.paired
        print(f"{pc.method}; {pc.test}, Holm over {len(pc.layers)} layers")
        print(f"{'layer':>5} {'Δacc':>7} {'interval':>17} {'only B':>6} {'only 32':>7} {'p':>8} {'Holm p':>8}  verdict")
        for row in pc.layers:
            print(f"{row.layer:>5} {row.difference:>+7.3f} [{row.low:+.3f}, {row.high:+.3f}] {row.b_only:>6} "
                  f"{row.a_only:>7} {row.p_value:>8.2g} {row.p_adjusted:>8.2g}  "
                  f"{'BEYOND NOISE' if row.beyond_noise else 'within noise'}")
        for s in pc.shifts:
            shift = "–" if s.shift is None else f"{s.shift:+d}"
            interval = _iv((s.low, s.high)) if s.low is not None else "[–]"
            print(f"shift of {s.metric:<16} {s.a} -> {s.b}: {shift} layers, interval {interval}"
                  f" ({s.defined_share:.0%} of resamples defined)")
        if c.convergence_note:
            print(f"note: {c.convergence_note}")
        report["pairs"][name] = pc.to_dict() | {"convergence_note": c.convergence_note}
        if (dataset, q) not in fidelity_done and c.fidelity:
            fidelity_done.add((dataset, q))
            report.setdefault("fidelity", {})[f"{dataset} {q}-bit"] = c.fidelity
    for name, table in (report.get("fidelity") or {}).items():
        print(f"\n== fidelity of {name} to float32 (same {args.limit} prompts) ==")
        print(f"{'layer':>5} {'cos mean':>9} {'cos min':>9} {'max SD':>7} {'mean SD':>8}")
        for row in table["layers"]:
            f = lambda v, d: "–" if v is None else f"{v:.{d}f}"  # noqa: E731
            print(f"{row['layer']:>5} {f(row['cosine_mean'], 5):>9} {f(row['cosine_min'], 5):>9} "
                  f"{f(row['max_sd'], 2):>7} {f(row['mean_sd'], 3):>8}")
    if args.out:
        Path(args.out).write_text(json.dumps(report, indent=1, default=str))
        print(f"\nwrote {args.out}")


if __name__ == "__main__":
    main()
