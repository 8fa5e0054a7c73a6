"""A bundle tells runs apart (issue 22 item 22): manifest entries and figure titles name the sample count, and
runs.csv writes layers as whole numbers."""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import replace

import pandas as pd

from concept_depth.export.bundle import make_bundle, runs_table, tidy_frame
from concept_depth.figures import layer_curves


def _n(run, n, key):
    return replace(run, key=key, n_samples=n, spec=dict(run.spec, limit=n))


def test_manifest_entries_of_two_sample_counts_read_differently(make_run):
    runs = [_n(make_run(), 100, "n100"), _n(make_run(), 200, "n200")]
    with zipfile.ZipFile(io.BytesIO(make_bundle(runs, figures=False))) as zf:
        files = json.loads(zf.read("manifest.json"))["files"]
        results = [f["what"] for f in files if f["path"].startswith("results/")]
        assert len(set(results)) == 2 and "n=100" in results[0] and "n=200" in results[1]
        csv = zf.read("runs.csv").decode()
    frame = pd.read_csv(io.StringIO(csv), dtype=str)
    assert list(frame["jumping_point"]) == ["3", "3"] and ".0" not in csv.split("\n")[1].split("tiny:llama")[0]


def test_layers_are_whole_numbers_and_empty_when_not_acquired(make_run):
    runs = [make_run(key="a", jump=13, converge=14), make_run(key="b", jump=None, converge=None)]
    text = runs_table(runs).to_csv(index=False)
    assert ",13,14," in text and "13.0" not in text
    tidy = tidy_frame(runs).to_csv(index=False)
    assert "13.0" not in tidy and ",13,14," in tidy


def test_a_single_runs_title_names_its_sample_count(make_run):
    # exported figures (and the app's) said "tiny:llama · cities · 32-bit" for n=100 and n=200 alike
    assert "n=200" in layer_curves(_n(make_run(), 200, "n200")).layout.title.text
