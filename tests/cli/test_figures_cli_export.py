"""The `export` command: figures and bundles from result JSON files."""

from __future__ import annotations

import json
import os
import shutil
import zipfile

import pytest

from concept_depth.cli.main import main

HAVE_CHROME = bool(os.path.exists("/usr/bin/chromium") or shutil.which("chromium") or os.environ.get("BROWSER_PATH"))


@pytest.fixture
def results(make_run, tmp_path, monkeypatch):
    monkeypatch.setenv("CONCEPT_DEPTH_CACHE", str(tmp_path / "cache"))
    paths = []
    for run in (make_run(key="base"), make_run(quant=8, key="q8", shift=0.05)):
        p = tmp_path / f"{run.key}.json"
        p.write_text(run.to_json())
        paths.append(str(p))
    return paths


@pytest.mark.skipif(not HAVE_CHROME and not os.environ.get("CI"), reason="no Chrome/Chromium for kaleido")
def test_export_difference_figure_as_svg(results, tmp_path, capsys):
    out = tmp_path / "figs" / "diff.svg"
    assert main(["export", *results, "--figure", str(out), "--kind", "difference"]) == 0
    data = out.read_bytes()
    assert b"<svg" in data[:400] and b"8-bit" in data
    assert "wrote" in capsys.readouterr().out


def test_export_errors_are_one_line_with_exit_2(results, tmp_path, capsys):
    assert main(["export", results[0], "--figure", str(tmp_path / "x.gif")]) == 2
    assert "must end in .png, .svg or .pdf" in capsys.readouterr().err
    assert main(["export", results[1], "--figure", str(tmp_path / "d.svg"), "--kind", "difference"]) == 2
    assert "float32 noise-free" in capsys.readouterr().err
    assert main(["export", str(tmp_path / "missing.json"), "--figure", str(tmp_path / "a.svg")]) == 2
    assert "neither a result file nor a cached run key" in capsys.readouterr().err
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"schema": "something-else"}))
    assert main(["export", str(bad), "--figure", str(tmp_path / "a.svg")]) == 2


def test_export_bundle_has_results_tidy_csv_and_manifest(results, tmp_path):
    out = tmp_path / "bundle.zip"
    assert main(["export", *results, "--bundle", str(out), "--no-figures"]) == 0
    with zipfile.ZipFile(out) as zf:
        names = set(zf.namelist())
        assert {"results/base.json", "results/q8.json", "tidy.csv", "runs.csv", "manifest.json"} <= names
        manifest = json.loads(zf.read("manifest.json"))
        assert manifest["n_runs"] == 2 and len(manifest["files"]) == 4
        tidy = zf.read("tidy.csv").decode().splitlines()
        # 2 runs x 9 layers x 4 metrics (accuracy, f1, auc, control) + header
        assert len(tidy) == 2 * 9 * 4 + 1 and tidy[0].startswith("run_key,")


def test_export_difference_is_paired_when_both_results_carry_outcomes(make_run):
    """Result files that carry per-sample outcomes of the same held-out samples get the paired band."""
    from dataclasses import replace

    import numpy as np

    from concept_depth.cli.export_cmd import build_figure
    from concept_depth.stats.outcomes import EvalOutcomes

    rng = np.random.default_rng(0)
    labels = rng.integers(0, 2, 40)
    is_eval = np.ones(100, bool)
    is_eval[40:] = False

    def outcomes():
        return EvalOutcomes(n_samples=100, is_eval=is_eval, labels=labels,
                            correct={l: rng.random(40) < 0.7 for l in range(9)}).to_dict()

    base = replace(make_run(key="base"), extra={"outcomes": outcomes()})
    q8 = replace(make_run(quant=8, key="q8"), extra={"outcomes": outcomes()})
    fig = build_figure([base, q8], "difference")
    assert fig.layout.meta["interval_method"].startswith("95% paired bootstrap interval")
    plain = build_figure([make_run(key="base"), make_run(quant=8, key="q8")], "difference")
    assert plain.layout.meta["interval_method"].startswith("95% interval, normal approximation")
