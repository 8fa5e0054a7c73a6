"""RunResult JSON schema round trip and the CLI's error contract."""

import json
import subprocess
import sys

import pytest

from concept_depth.core.errors import BadInputError
from concept_depth.results.run import RESULT_SCHEMA, DepthMetrics, LayerScore, RunResult


def _result():
    layers = tuple(LayerScore(layer=l, accuracy=0.5 + l / 10, f1=0.5, auc=0.6, control_accuracy=0.5) for l in range(1, 4))
    depth = DepthMetrics(jumping_point=2, converging_point=3, peak_layer=3, peak_accuracy=0.8, chance=0.5,
                         acquired=True, p_value=1e-6, n_layers=3, definition={"jump_fraction": 0.8})
    return RunResult(spec={"model": "embedded", "dataset": "cities", "quant": 32}, n_samples=100, n_layers=3,
                     hidden_size=8, layers=layers, depth=depth, timing={"cached": False}, key="abc",
                     extra={"activation_key": "def"})


def test_json_round_trip_has_the_documented_shape():
    res = _result()
    data = json.loads(res.to_json())
    assert data["schema"] == RESULT_SCHEMA
    assert {"spec", "n_samples", "n_layers", "hidden_size", "layers", "depth", "timing"} <= set(data)
    assert data["layers"][0] == {"layer": 1, "accuracy": 0.6, "f1": 0.5, "auc": 0.6, "accuracy_std": None,
                                 "f1_std": None, "auc_std": None, "control_accuracy": 0.5,
                                 "control_accuracy_std": None, "selectivity": pytest.approx(0.1)}
    assert data["activation_key"] == "def"
    again = RunResult.from_json(res.to_json())
    assert again.to_dict() == res.to_dict()
    assert again.layers[1].selectivity == pytest.approx(0.2)
    assert again.depth.relative(again.depth.jumping_point) == pytest.approx(2 / 3)


@pytest.mark.parametrize("text", ["{not json", json.dumps({"schema": "other"}), json.dumps({"schema": RESULT_SCHEMA})])
def test_bad_result_files_raise_bad_input(text):
    with pytest.raises(BadInputError):
        RunResult.from_json(text)


def test_cli_usage_error_is_one_line_and_exit_2():
    proc = subprocess.run([sys.executable, "-m", "concept_depth", "no-such-command"], capture_output=True, text=True)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:")


def test_undefined_scores_are_written_as_null_not_nan():
    res = _result()
    nan_layer = LayerScore(layer=4, accuracy=0.5, f1=0.0, auc=float("nan"))
    res = RunResult(spec=res.spec, n_samples=100, n_layers=4, hidden_size=8, layers=res.layers + (nan_layer,),
                    depth=res.depth)
    data = json.loads(res.to_json())  # allow_nan=False inside: would raise on NaN
    assert data["layers"][-1]["auc"] is None and data["layers"][-1]["selectivity"] is None
