"""Tidy tables and an export bundle (zip: JSON results, tidy CSV, figures, manifest)."""

from __future__ import annotations

import io
import json
import re
import zipfile
from datetime import datetime, timezone
from typing import Sequence

import pandas as pd

from ..figures.curves import layer_curves
from ..results.labels import run_labels
from ..results.run import RESULT_SCHEMA, RunResult
from .csv_text import frame_csv
from .figures import figures_to_bytes

SPEC_COLUMNS = ("model", "model_label", "dataset", "category", "quant", "noise", "noise_strength", "noise_seed",
                "hook", "pooling", "limit", "protocol", "probe", "variant")


def layer_table(run: RunResult) -> pd.DataFrame:
    """Per-layer scores of one run: layer, relative depth, accuracy, f1, auc (+ std, control, selectivity)."""
    rows = []
    for s in run.layers:
        rows.append({
            "layer": s.layer, "relative_depth": s.layer / (run.n_layers or 1),
            "accuracy": s.accuracy, "f1": s.f1, "auc": s.auc,
            "accuracy_std": s.accuracy_std, "control_accuracy": s.control_accuracy,
            "selectivity": s.selectivity,
        })
    df = pd.DataFrame(rows)
    return df.dropna(axis=1, how="all")


def tidy_frame(runs: Sequence[RunResult]) -> pd.DataFrame:
    """One row per run × layer × metric: spec columns, layer, relative_depth, metric, value, std."""
    rows = []
    for run in runs:
        base = {"run_key": run.key, **{c: run.spec.get(c) for c in SPEC_COLUMNS},
                "n_layers": run.n_layers, "n_samples": run.n_samples,
                "jumping_point": run.depth.jumping_point, "converging_point": run.depth.converging_point,
                "peak_accuracy": run.depth.peak_accuracy, "chance": run.depth.chance}
        for s in run.layers:
            for metric in ("accuracy", "f1", "auc", "control_accuracy"):
                value = getattr(s, metric)
                if value is None:
                    continue
                std = getattr(s, f"{metric}_std", None)
                rows.append({**base, "layer": s.layer, "relative_depth": s.layer / (run.n_layers or 1),
                             "metric": metric, "value": value, "std": std})
    return _whole_layers(pd.DataFrame(rows))


#: Columns that hold layer numbers: whole numbers, empty where the concept was not acquired (pandas would make
#: a column with a gap float and write 13.0).
LAYER_COLUMNS = ("jumping_point", "converging_point")


def runs_table(runs: Sequence[RunResult]) -> pd.DataFrame:
    """One row per run: key, created, spec columns, samples, layers, depth metrics (layers as whole numbers)."""
    return _whole_layers(pd.DataFrame([{
        "key": r.key, "created": r.created, "origin": r.extra.get("origin") or "probe",
        **{c: r.spec.get(c) for c in SPEC_COLUMNS},
        "n_samples": r.n_samples, "n_layers": r.n_layers,
        "jumping_point": r.depth.jumping_point, "converging_point": r.depth.converging_point,
        "peak_accuracy": round(r.depth.peak_accuracy, 4), "acquired": r.depth.acquired,
    } for r in runs]))


def _whole_layers(frame: pd.DataFrame) -> pd.DataFrame:
    """Layer columns as pandas' nullable integers: ``13`` and an empty cell, never ``13.0``."""
    for col in LAYER_COLUMNS + ("n_layers", "n_samples", "limit", "quant", "noise_seed"):
        if col in frame.columns:
            try:
                frame[col] = frame[col].astype("Int64")
            except (TypeError, ValueError):  # an imported file's odd value: left as it is
                pass
    return frame


def run_name(run: RunResult) -> str:
    """A run's full name for the bundle: model, dataset, bit width, sample count and every setting that is not the
    default (two runs of n=100 and n=200 read differently)."""
    return run_labels([run]).common


def member_stem(key: str, taken: set[str]) -> str:
    """A safe, unique file-name stem for a run key inside the zip: letters, digits, ``. _ -`` only,
    no leading dot, at most 80 characters (``results/../../etc/x`` becomes ``etc-x``)."""
    stem = re.sub(r"[^A-Za-z0-9._-]+", "-", str(key or "")).strip(".-")[:80].strip(".-") or "run"
    unique, n = stem, 2
    while unique in taken:
        unique, n = f"{stem}-{n}", n + 1
    taken.add(unique)
    return unique


def make_bundle(runs: Sequence[RunResult], *, figures: bool = True, fmt: str = "svg",
                width_in: float = 6.5, height_in: float = 4.0, dpi: int = 300) -> bytes:
    """Zip bytes with ``results/<key>.json``, ``tidy.csv``, ``runs.csv``, ``figures/<key>_curves.<fmt>``
    (when ``figures``; needs Chrome) and ``manifest.json`` listing every file. Each ``<key>`` is made a
    safe member name (:func:`member_stem`): imported keys are not trusted."""

    buf = io.BytesIO()
    files: list[dict] = []
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        def put(name: str, data: bytes | str, what: str) -> None:
            zf.writestr(name, data)
            files.append({"path": name, "what": what, "bytes": len(data.encode() if isinstance(data, str) else data)})

        taken: set[str] = set()
        stems = [member_stem(r.key, taken) for r in runs]
        for r, stem in zip(runs, stems):
            put(f"results/{stem}.json", r.to_json(), f"result ({RESULT_SCHEMA}): {run_name(r)}")
        put("tidy.csv", frame_csv(tidy_frame(runs)), "one row per run x layer x metric")
        put("runs.csv", frame_csv(runs_table(runs)), "one row per run: spec and depth metrics")
        if figures and runs:
            rendered = figures_to_bytes([layer_curves(r) for r in runs], fmt,
                                        width_in=width_in, height_in=height_in, dpi=dpi)
            for r, stem, data in zip(runs, stems, rendered):
                put(f"figures/{stem}_curves.{fmt}", data, f"layer curves: {run_name(r)}")
        manifest = {"schema": "concept-depth/bundle@1", "created": datetime.now(timezone.utc).isoformat(),
                    "n_runs": len(runs), "files": files}
        zf.writestr("manifest.json", json.dumps(manifest, indent=2))
    return buf.getvalue()
