"""The sub-command of every analysis (``run``, ``expression``, ``transfer``, ``directions``, ``steer``), made
from its declaration (:class:`concept_depth.analyses.Analysis`).

Each takes the analysis' declared options (``--model``, ``--dataset``, ... as the declaration lists
them), how to run (``--batch-size``, ``--device``, ``--cache-dir``) and the output options: it
checks every option and output path before any model loads, runs the analysis (a cached result
prints at once), prints the analysis' report (or ``--json``), and writes ``--out`` (the result JSON)
and ``--figure`` (its default figure, .png, .svg or .pdf).
"""

from __future__ import annotations

import argparse

from ..analyses import ANALYSES, Analysis, run_analysis
from ..core.options import OUTPUT_OPTIONS, RUN_OPTIONS, values_of
from ..export.figures import write_figure
from ..storage.store import Store
from .layer_check import check_layers
from .options import check_output_path, check_run_options
from .progress_bar import emit_result, progress_bar

FIGURE_SUFFIXES = (".png", ".svg", ".pdf")


def _run(analysis: Analysis, args: argparse.Namespace) -> int:
    # Every option and output path is checked before any model is loaded, and the layer numbers asked
    # for against the model's depth when it is known without loading it.
    spec = analysis.spec.from_options(**values_of(args, analysis.options))
    check_run_options(args)
    if args.out:
        check_output_path(args.out, "--out")
    if args.figure:
        check_output_path(args.figure, "--figure", suffixes=FIGURE_SUFFIXES)
    view = values_of(args, [analysis.view]) if analysis.view else {}
    check_layers(analysis, spec, view)
    with progress_bar(args) as bar:
        result = run_analysis(analysis, spec, store=Store(args.cache_dir), batch_size=args.batch_size,
                              device=args.device, progress=bar, n_jobs=getattr(args, "jobs", None))
    emit_result(result, args, lambda r: analysis.report(r, **view))
    if args.figure:
        width, height = analysis.figure_size
        print(f"wrote {write_figure(result.figure(**view), args.figure, width_in=width, height_in=height)}")
    return 0


def register_analysis(subparsers, analysis: Analysis) -> None:
    p = subparsers.add_parser(analysis.command, help=analysis.help, description=analysis.description)
    for group in analysis.options:
        group.add_to(p.add_argument_group(group.title), listed=analysis.listed)
    if analysis.view is not None:
        analysis.view.add_to(p.add_argument_group("report and figure"))
    run = RUN_OPTIONS.with_defaults(batch_size=analysis.batch_size)
    if analysis.kind != "run":  # only the probe analysis fits its layers in worker processes
        run = run.without("jobs")
    run.add_to(p.add_argument_group("how to run (never changes a number)"))
    output = OUTPUT_OPTIONS.with_help(figure=f"also write {analysis.figure} to FILE.svg, .png or .pdf")
    output.add_to(p.add_argument_group("output"))
    p.set_defaults(func=lambda args, analysis=analysis: _run(analysis, args))


def register(subparsers) -> None:
    """Every analysis' sub-command, in the order of :data:`concept_depth.analyses.ANALYSES`."""
    for analysis in ANALYSES:
        register_analysis(subparsers, analysis)
