"""`python -m concept_depth run` / `sweep` end to end on a tiny random model and the builtin coin-flip set."""

from __future__ import annotations

import csv
import json

import pytest

from concept_depth.cli.main import main

TINY = ["--model", "tiny:llama", "--dataset", "builtin-coinflip", "--limit", "40", "--quiet", "--jobs", "1"]


@pytest.fixture(scope="module")
def _shared(tmp_path_factory):
    return tmp_path_factory.mktemp("cli")


@pytest.fixture
def cache(_shared, tmp_path, monkeypatch):
    # One cache for the module: the tiny model's vectors are extracted once and reused
    # (probe settings still differ, so probing itself is not cached across tests).
    monkeypatch.setenv("CONCEPT_DEPTH_CACHE", str(_shared / "cache"))
    return tmp_path


def test_run_prints_table_writes_json_and_reruns_from_cache(cache, capsys):
    out = cache / "r.json"
    assert main(["run", *TINY, "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "layer" in text and "control" in text and "jumping point" in text and "converging point" in text
    data = json.loads(out.read_text())
    assert data["schema"] == "concept-depth/result@1"
    for k in ("model", "model_revision", "dataset", "quant", "noise", "noise_seed", "hook", "pooling", "limit",
              "protocol", "prompt"):
        assert k in data["spec"], k
    assert data["spec"]["model"] == "tiny:llama" and data["spec"]["quant"] == 32 and data["spec"]["limit"] == 40
    assert data["n_samples"] == 40 and data["n_layers"] >= 1 and data["hidden_size"] > 0
    assert [d["layer"] for d in data["layers"]] == list(range(data["n_layers"] + 1))  # residual 0..L
    assert {"accuracy", "f1", "auc", "accuracy_std", "control_accuracy"} <= set(data["layers"][0])
    assert {"jumping_point", "converging_point", "peak_layer", "peak_accuracy", "definition"} <= set(data["depth"])
    assert {"load_s", "extract_s", "probe_s", "prompts_per_s", "cached"} <= set(data["timing"])
    assert data["timing"]["cached"] is False
    out2 = cache / "r2.json"
    assert main(["run", *TINY, "--out", str(out2)]) == 0
    again = json.loads(out2.read_text())
    assert again["timing"].pop("cached") is True and data["timing"].pop("cached") is False
    assert again == data
    assert "(cached result)" in capsys.readouterr().out


def test_run_figure_writes_the_layer_curves(cache, capsys):
    fig = cache / "curves.svg"
    assert main(["run", *TINY, "--figure", str(fig)]) == 0
    svg = fig.read_text()
    assert svg.lstrip().startswith(("<svg", "<?xml")) and "accuracy" in svg.lower()
    assert f"wrote {fig}" in capsys.readouterr().out


def test_run_cv_protocol_has_std_column(cache, capsys):
    assert main(["run", *TINY, "--protocol", "cv", "--folds", "3", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["spec"]["protocol"] == "cv" and all(l["accuracy_std"] is not None for l in data["layers"])


def test_run_bad_input_exits_2_and_unavailable_exits_3(cache, capsys):
    assert main(["run", "--model", "tiny:llama", "--dataset", "no-such-dataset", "--quiet"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error:") and len(err.strip().splitlines()) == 1
    assert main(["run", *TINY, "--jump-fraction", "1.5"]) == 2
    assert capsys.readouterr().err.startswith("error:")
    # Not cached (other limit), so the model must load: no Apple GPU on this machine.
    assert main(["run", "--model", "tiny:llama", "--dataset", "builtin-coinflip", "--limit", "30", "--quiet",
                 "--device", "mps"]) == 3
    err = capsys.readouterr().err
    assert err.startswith("error:") and len(err.strip().splitlines()) == 1


def test_sweep_writes_json_and_tidy_csv_and_continues_past_failures(cache, capsys):
    out_dir = cache / "sweep"
    code = main(["sweep", "--model", "tiny:llama", "--dataset", "builtin-coinflip,no-such-dataset",
                 "--noise", "none,paper", "--limit", "40", "--quiet", "--jobs", "1", "--out-dir", str(out_dir)])
    captured = capsys.readouterr()
    assert code == 2  # the unknown dataset, reported at the end
    assert "no-such-dataset" in captured.err and "2 of 4 runs failed" in captured.err
    files = sorted(p.name for p in out_dir.glob("*.json"))
    assert len(files) == 2
    rows = list(csv.DictReader((out_dir / "sweep.csv").open()))
    n_layers = json.loads((out_dir / files[0]).read_text())["n_layers"]
    assert len(rows) == 2 * (n_layers + 1)
    assert {r["noise"] for r in rows} == {"none", "paper"} and rows[0]["selectivity"] != ""
    # Second sweep: everything that worked is cached.
    main(["sweep", "--model", "tiny:llama", "--dataset", "builtin-coinflip", "--noise", "none,paper",
          "--limit", "40", "--quiet", "--jobs", "1", "--out-dir", str(out_dir)])
    assert capsys.readouterr().out.count("cached") == 2


def test_low_bit_run_table_shows_fidelity_to_float32(cache, capsys):
    """Float32 first, then 16-bit on the same prompts: the 16-bit table gets cosine and SD-deviation columns."""
    tiny = ["--model", "tiny:llama", "--dataset", "builtin-coinflip", "--limit", "20", "--quiet", "--jobs", "1"]
    assert main(["run", *tiny]) == 0
    assert "cos32" not in capsys.readouterr().out  # float32 has nothing to compare with
    assert main(["run", *tiny, "--quant", "16", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    rows = data["fidelity"]["layers"]
    assert len(rows) == len(data["layers"]) and all(0.99 < r["cosine_mean"] <= 1 for r in rows)
    assert main(["run", *tiny, "--quant", "16"]) == 0
    text = capsys.readouterr().out
    head = next(line for line in text.splitlines() if line.lstrip().startswith("layer"))
    assert head.split()[-3:] == ["cos32", "maxSD", "meanSD"]
    layer1 = next(line for line in text.splitlines() if line.split()[:1] == ["1"])
    assert layer1.split()[6] == f"{rows[1]['cosine_mean']:.5f}" and layer1.split()[7] == f"{rows[1]['max_sd']:.2f}"
    assert "maxSD / meanSD = largest / mean |low - float32| in SDs" in text
