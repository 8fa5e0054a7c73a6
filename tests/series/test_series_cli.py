"""``python -m concept_depth series`` on the test-made checkpoint series (cached by the session fixture)."""

from __future__ import annotations

import csv
import json

import pytest

from concept_depth.cli.main import main


def _args(trained_series, series_run, *more):
    return ["series", "--series", trained_series.series, "--dataset-file", str(trained_series.data),
            "--text-col", "text", "--label-col", "label", "--cache-dir", str(series_run.cache), "--device", "cpu",
            "--jobs", "1", "--quiet", *more]


def test_series_prints_the_table_and_writes_csv_and_figure(trained_series, series_run, tmp_path, capsys):
    out, fig = tmp_path / "series.csv", tmp_path / "series.svg"
    assert main(_args(trained_series, series_run, "--out", str(out), "--figure", str(fig))) == 0
    text = capsys.readouterr().out
    assert text.count("; cached") == 8  # 4 stages x (probe, expression), all from the session's cache
    table = text[text.index("stage "):].splitlines()
    assert table[0].split() == ["stage", "dataset", "L", "best", "probe", "layer", "jump", "answer", "acc", "gap"]
    assert [line.split()[0] for line in table[1:5]] == ["step0", "step100", "step200", "step300"]
    rows = series_run.series.table()
    for line, row in zip(table[1:5], rows):
        cells = line.split()
        assert cells[3] == f"{row['best_probe_accuracy']:.3f}" and cells[6] == f"{row['answer_accuracy']:.3f}"
        assert cells[5] == ("-" if row["jumping_point"] is None else str(row["jumping_point"]))
    assert f"coins.csv: best probe accuracy vs answer accuracy: {series_run.series.correlation().text}" in text
    with out.open(newline="", encoding="utf-8") as fh:
        written = list(csv.DictReader(fh))
    assert [r["stage"] for r in written] == ["step0", "step100", "step200", "step300"]
    assert [float(r["answer_accuracy"]) for r in written] == [r["answer_accuracy"] for r in rows]
    assert written[0]["jumping_point"] == ""  # not acquired: an empty cell, never "nan"
    data = fig.read_bytes()
    assert b"<svg" in data[:400] and b"step200" in data and b"over 4 stages" in data


def test_series_json_out_has_the_correlations(trained_series, series_run, tmp_path, capsys):
    out = tmp_path / "series.json"
    assert main(_args(trained_series, series_run, "--out", str(out))) == 0
    data = json.loads(out.read_text())
    assert data["schema"] == "concept-depth/series@1" and len(data["table"]) == 4
    best = data["correlations"][0]
    assert best["cognition"] == "best_probe_accuracy" and best["n_stages"] == 4
    assert best["pearson"] == pytest.approx(series_run.series.correlation().pearson)


@pytest.mark.parametrize("more, message", [
    (["--model", "embedded"], "--model goes with --revision"),
    (["--out", "x.txt"], "--out must end in .csv or .json"),
    (["--figure", "x.gif"], "--figure must end in .png, .svg or .pdf"),
    (["--quant", "32,8"], "one --quant value"),
    (["--revision", "r1"], "not both"),
])
def test_series_mistakes_are_one_line_before_any_model_loads(trained_series, series_run, capsys, more, message):
    assert main(_args(trained_series, series_run, *more)) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1
