"""``python -m concept_depth extract`` and ``cache`` on tiny models (in-process)."""

from __future__ import annotations

import numpy as np
import pytest

from concept_depth.cli.main import main


@pytest.fixture
def csv_file(tmp_path):
    path = tmp_path / "claims.csv"
    rows = ["text,label"] + [f"\"Statement number {i} says the coin is {'heads' if i % 2 else 'tails'} up.\",{i % 2}"
                             for i in range(20)]
    path.write_text("\n".join(rows) + "\n")
    return path


def test_extract_writes_the_npz_and_reruns_from_cache(tmp_path, csv_file, capsys):
    out = tmp_path / "out" / "feats.npz"
    argv = ["extract", "--model", "tiny:gpt2", "--dataset-file", str(csv_file), "--text-col", "text",
            "--label-col", "label", "--prompt", "Is it true? {text} Answer:", "--hook", "post_attention_layernorm",
            "--pooling", "mean", "--batch-size", "5", "--cache-dir", str(tmp_path / "c"), "--out", str(out),
            "--quiet"]
    assert main(argv) == 0
    first = capsys.readouterr().out
    assert "20 prompts x 3 layers x 64" in first and "from cache" not in first
    z = np.load(out)
    assert z["features"].dtype == np.float32 and z["features"].shape == (20, 3, 64)
    assert list(z["layers"]) == [1, 2, 3]
    assert sorted(set(z["labels"].tolist())) == [0, 1]
    assert z["prompts"][0].startswith("Is it true? Statement number") and z["prompts"][0].endswith(" Answer:")
    assert main(argv + ["--batch-size", "2"]) == 0  # the last --batch-size wins
    assert "from cache" in capsys.readouterr().out
    np.testing.assert_array_equal(np.load(out)["features"], z["features"])

    assert main(["cache", "--cache-dir", str(tmp_path / "c"), "list"]) == 0
    listing = capsys.readouterr().out
    assert "activations" in listing and "tiny random gpt2" in listing and "KB" in listing
    key = listing.split("activations", 2)[-1].split()[0]
    assert main(["cache", "--cache-dir", str(tmp_path / "c"), "delete", key[:8]]) == 0
    assert "deleted activations" in capsys.readouterr().out
    assert main(["cache", "--cache-dir", str(tmp_path / "c"), "delete", key]) == 2
    assert main(["cache", "--cache-dir", str(tmp_path / "c"), "clear"]) == 0
    assert "no cached" in (main(["cache", "--cache-dir", str(tmp_path / "c"), "list"]) == 0 and
                           capsys.readouterr().out)


@pytest.mark.parametrize("extra,code,words", [
    (["--model", "tiny:llama", "--quant", "5"], 2, "bit width"),
    (["--model", "/no/such/dir"], 2, "does not exist"),
    (["--model", "tiny:llama", "--hook", "nope"], 2, "invalid choice"),
    (["--model", "tiny:llama", "--device", "cuda:7"], 3, "cuda"),
])
def test_extract_errors_are_one_line_with_exit_codes(tmp_path, csv_file, capsys, extra, code, words):
    import torch

    if "cuda:7" in extra and torch.cuda.is_available():
        pytest.skip("a GPU is present")
    argv = ["extract", "--dataset-file", str(csv_file), "--text-col", "text", "--label-col", "label",
            "--cache-dir", str(tmp_path / "c"), "--out", str(tmp_path / "x.npz"), "--quiet", *extra]
    try:
        rc = main(argv)
    except SystemExit as exc:  # argparse choices
        rc = exc.code
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == code and len(err) == 1 and err[0].startswith("error:") and words in err[0]
