"""``python -m concept_depth run``: probe every layer of one model on one dataset.

Prints a per-layer table and the concept-depth metrics; ``--out`` writes the result
JSON (schema ``concept-depth/result@1``). Progress bars go to stderr.
"""

from __future__ import annotations

import argparse
import math

from ..analyses.probe import run_probe
from ..core.specs import PROBES, PROTOCOLS
from ..stats.fidelity import fidelity_rows
from ..storage.store import Store
from .export_cmd import write_figure
from .options import (
    add_dataset_options,
    add_extraction_options,
    add_model_options,
    check_output_path,
    check_run_options,
    run_spec,
)
from .progress_bar import emit_result, progress_bar

FIGURE_SUFFIXES = (".png", ".svg", ".pdf")


def add_probe_options(p: argparse.ArgumentParser) -> None:
    """Probe and depth-metric options shared by ``run`` and ``sweep``."""
    p.add_argument("--protocol", default="paper", choices=PROTOCOLS,
                   help="paper: reference 60/40 split, unscaled; cv: stratified k-fold with standardisation")
    p.add_argument("--folds", type=int, default=5, help="folds of --protocol cv")
    p.add_argument("--probe", default="lr", choices=PROBES, help="lr: logistic regression (the paper); rf: random forest; mass-mean: difference of "
                        "class means, threshold fitted on the training split (geometry-of-truth)")
    p.add_argument("--seed", type=int, default=42, help="split / fold / control-shuffle seed")
    p.add_argument("--no-control", action="store_true", help="skip the shuffled-label control probe")
    p.add_argument("--jump-fraction", type=float, default=0.8,
                   help="jumping point: first layer with acc-chance >= F*(peak-chance)")
    p.add_argument("--converge-eps", type=float, default=0.01,
                   help="converging point: first layer with acc >= peak-EPS")
    p.add_argument("--alpha", type=float, default=0.05, help="significance level of 'acquired'")
    p.add_argument("--jobs", type=int, default=None, help="worker processes for probing layers (default min(2, CPUs))")


def _fmt(x, digits: int = 3) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "-"
    return f"{x:.{digits}f}"


def format_table(result) -> str:
    """Per-layer table and depth metrics as plain text.

    A low-bit run with a fidelity table (``extra["fidelity"]``) gets three more columns: mean
    cosine to float32 (``cos32``) and the largest and mean deviation from float32 in SDs of each
    dimension over the float32 samples (``maxSD``, ``meanSD``).
    """

    cv = any(s.accuracy_std is not None for s in result.layers)
    fid = fidelity_rows(result.extra.get("fidelity"))
    head = f"{'layer':>5} {'acc':>6} {'±std':>6} {'f1':>6} {'auc':>6} {'control':>7} {'select':>7}" if cv else \
        f"{'layer':>5} {'acc':>6} {'f1':>6} {'auc':>6} {'control':>7} {'select':>7}"
    if fid:
        head += f" {'cos32':>8} {'maxSD':>6} {'meanSD':>6}"
    lines = [head]
    for s in result.layers:
        tag = "".join(m for layer, m in [(result.depth.jumping_point, "J"), (result.depth.converging_point, "C"),
                                         (result.depth.peak_layer, "P")] if layer == s.layer)
        cols = [f"{s.layer:>5}", f"{_fmt(s.accuracy):>6}"]
        if cv:
            cols.append(f"{_fmt(s.accuracy_std):>6}")
        cols += [f"{_fmt(s.f1):>6}", f"{_fmt(s.auc):>6}", f"{_fmt(s.control_accuracy):>7}",
                 f"{_fmt(s.selectivity):>7}"]
        if fid:
            row = fid.get(s.layer) or {}
            cols += [f"{_fmt(row.get('cosine_mean'), 5):>8}", f"{_fmt(row.get('max_sd'), 2):>6}",
                     f"{_fmt(row.get('mean_sd'), 3):>6}"]
        cols.append(tag)
        lines.append(" ".join(cols).rstrip())
    d = result.depth
    rel = result.extra.get("relative_depth") or {}

    def point(name: str) -> str:
        layer = getattr(d, name)
        if layer is None:
            return "not acquired"
        r = rel.get(name)
        return f"layer {layer}" + (f" ({r:.2f} of depth)" if r is not None else "")

    p = "-" if d.p_value is None else ("< 1e-300" if d.p_value == 0 else f"{d.p_value:.2g}")
    t = result.timing
    lines += [
        "",
        f"{result.label}: {result.n_samples} samples ({result.extra.get('n_eval', '?')} evaluated), "
        f"{result.n_layers} layers, hidden {result.hidden_size}, protocol {result.spec.get('protocol')}, "
        f"probe {result.spec.get('probe')}",
        f"chance (majority rate)  {d.chance:.3f}    peak accuracy {d.peak_accuracy:.3f}   p = {p}"
        + ("" if d.acquired else "   -> concept NOT acquired"),
        f"jumping point (J)       {point('jumping_point')}",
        f"converging point (C)    {point('converging_point')}",
        f"peak layer (P)          {point('peak_layer')}",
        f"timing: load {t.get('load_s', 0):.1f}s, extract {t.get('extract_s', 0):.1f}s, "
        f"probe {t.get('probe_s', 0):.1f}s" + (" (cached result)" if t.get("cached") else ""),
    ]
    if fid:
        lines.append("fidelity to float32 (same prompts): cos32 = mean cosine; maxSD / meanSD = largest / mean "
                     "|low - float32| in SDs of each dimension over the float32 samples")
    for note in result.extra.get("notes") or []:
        lines.append(f"note: {note}")
    return "\n".join(lines)


def _run(args: argparse.Namespace) -> int:

    # Every option and output path is checked before any model is loaded.
    spec = run_spec(args)
    check_run_options(args)
    if args.out:
        check_output_path(args.out, "--out")
    if args.figure:
        check_output_path(args.figure, "--figure", suffixes=FIGURE_SUFFIXES)
    store = Store(args.cache_dir)
    with progress_bar(args) as bar:
        result = run_probe(spec, store=store, batch_size=args.batch_size, device=args.device, progress=bar,
                           n_jobs=args.jobs)
    emit_result(result, args, format_table)
    if args.figure:

        print(f"wrote {write_figure(result, args.figure, kind='curves')}")
    return 0


def register(subparsers) -> None:
    p = subparsers.add_parser("run", help="probe every layer and report concept depth",
                              description="Extract (or reuse cached) layer vectors, train one probe per layer, "
                                          "and report jumping, converging and peak layers.")
    add_model_options(p)
    add_dataset_options(p)
    add_extraction_options(p)
    add_probe_options(p)
    p.add_argument("--out", default=None, help="write the result JSON to this file")
    p.add_argument("--json", action="store_true", help="print the result JSON instead of the table")
    p.add_argument("--figure", default=None,
                   help="also write the layer curves to FILE.svg, .png or .pdf (see the export command)")
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    p.set_defaults(func=_run)
