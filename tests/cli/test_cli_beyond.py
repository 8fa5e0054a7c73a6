"""The transfer, directions and steer commands: tables, JSON files, figures, one-line errors."""

from __future__ import annotations

import json

import pytest

from concept_depth.cli import main
from concept_depth.cli.main import glue_negative_lists


def _run(args, capsys):
    try:
        code = main(args)
    except SystemExit as exc:  # argparse's own errors (one line, exit 2)
        code = exc.code
    out = capsys.readouterr()
    return code, out.out, out.err


def test_transfer_command_prints_the_matrix_and_writes_json(tmp_path, capsys):
    out = tmp_path / "t.json"
    code, text, err = _run(["transfer", "--model", "tiny:llama", "--dataset", "builtin-capitals,builtin-coinflip",
                            "--limit", "24", "--cache-dir", str(tmp_path / "c"), "--quiet", "--out", str(out),
                            "--layer", "2"], capsys)
    assert code == 0, err
    assert "accuracy at layer 2: rows = trained on" in text and "builtin-capitals -> builtin-coinflip" in text
    data = json.loads(out.read_text())
    assert data["schema"] == "concept-depth/transfer@1" and data["datasets"] == ["builtin-capitals", "builtin-coinflip"]
    assert data["spec"]["probe"] == "lr"
    code, text, _ = _run(["transfer", "--model", "tiny:llama", "--dataset", "builtin-capitals,builtin-coinflip",
                          "--limit", "24", "--cache-dir", str(tmp_path / "c"), "--quiet"], capsys)
    assert code == 0 and "timing: cached result" in text


def test_directions_command_with_two_settings(tmp_path, capsys):
    code, text, err = _run(["directions", "--model", "tiny:llama", "--dataset", "builtin-capitals", "--limit", "24",
                            "--noise", "none,paper", "--cache-dir", str(tmp_path / "c"), "--quiet", "--json"], capsys)
    assert code == 0, err
    data = json.loads(text)
    assert data["schema"] == "concept-depth/directions@1"
    assert data["settings"] == ["32-bit · clean", "32-bit · paper noise (seed 0)"]
    code, text, _ = _run(["directions", "--model", "tiny:llama", "--dataset", "builtin-capitals", "--limit", "24",
                          "--noise", "none,paper", "--cache-dir", str(tmp_path / "c"), "--quiet"], capsys)
    assert code == 0 and "S1 cos R" in text and "layer x layer cosine" in text


def test_steer_command_takes_negative_alpha_lists(tmp_path, capsys):
    out = tmp_path / "s.json"
    code, text, err = _run(["steer", "--model", "tiny:gpt2", "--dataset", "builtin-capitals", "--limit", "24",
                            "--alpha", "-4,-2,2,4", "--layers", "1,2", "--cache-dir", str(tmp_path / "c"), "--quiet",
                            "--out", str(out)], capsys)
    assert code == 0, err
    data = json.loads(out.read_text())
    assert data["schema"] == "concept-depth/steering@1" and data["alphas"] == [-4.0, -2.0, 2.0, 4.0]
    assert data["layers"] == [1, 2] and "α=-4 probe/random" in text and "largest move on true samples" in text


def test_negative_lists_are_glued_to_their_option_and_nothing_else_is():
    assert glue_negative_lists(["steer", "--alpha", "-4,-2,2,4"]) == ["steer", "--alpha=-4,-2,2,4"]
    assert glue_negative_lists(["--alpha", "-2", "--x", "1,2"]) == ["--alpha", "-2", "--x", "1,2"]
    assert glue_negative_lists(["--alpha", "-0.5,1e-1"]) == ["--alpha=-0.5,1e-1"]
    assert glue_negative_lists(["--quiet", "--alpha=-4,2"]) == ["--quiet", "--alpha=-4,2"]


@pytest.mark.parametrize("args,code,message", [
    (["steer", "--model", "tiny:gpt2", "--dataset", "builtin-capitals", "--probe", "rf"], 2, "invalid choice"),
    (["steer", "--model", "tiny:gpt2", "--dataset", "builtin-capitals", "--alpha", "x"], 2, "--alpha must be"),
    (["transfer", "--model", "tiny:gpt2", "--dataset", "builtin-capitals,nope"], 2, "unknown dataset"),
    (["directions", "--model", "tiny:gpt2", "--dataset", "builtin-capitals", "--quant", "7"], 2, "bit width"),
])
def test_user_errors_are_one_line(tmp_path, capsys, args, code, message):
    got, _, err = _run(args + ["--cache-dir", str(tmp_path / "c"), "--quiet"], capsys)
    assert got == code and message in err and err.count("\n") == 1 and "Traceback" not in err
