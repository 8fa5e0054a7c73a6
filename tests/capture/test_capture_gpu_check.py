"""bench/gpu_check.py runs on the CPU with a tiny model (so the GPU check's code path cannot rot)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

GPU_CHECK = Path(__file__).resolve().parents[2] / "bench" / "gpu_check.py"


def _gpu_check():
    spec = importlib.util.spec_from_file_location("gpu_check", GPU_CHECK)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_gpu_check_prints_one_row_per_bit_width_on_the_cpu(tmp_path, capsys):
    rc = _gpu_check().main(["--device", "cpu", "--model", "tiny:llama", "--n", "8", "--max-batch", "16",
                            "--batch-tokens", "32", "--batch-seconds", "5", "--cache-dir", str(tmp_path)])
    out = capsys.readouterr().out
    assert rc == 0
    rows = {line.split("|")[1].strip(): line for line in out.splitlines() if line.startswith("| ") and
            line.split("|")[1].strip().isdigit()}
    assert sorted(rows, key=int) == ["4", "8", "16", "32"]
    assert "failed" not in out
    for bits in ("16", "8", "4"):  # batched, and every prompt's vectors identical whatever the batch
        assert "| rows |" in rows[bits] and "(identical)" in rows[bits]
    assert "| batched |" in rows["32"] and "| 1.00000 | 0.000 |" in rows["32"]  # float32 on the CPU is the reference
    assert "n/a (not a GPU)" in rows["32"] and ">= 16" in rows["32"]
