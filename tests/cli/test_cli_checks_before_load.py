"""Issue 22 item 16: what the user asked for is checked before anything runs, on a cache hit too.

- ``--device tpu9`` was ignored when the result was cached (and reported only after the model started
  loading when it was not); every command now checks the device first: unknown -> exit 2, absent -> 3.
- ``steer --layers 99`` and ``transfer --layer 500`` failed only after the model loaded and the vectors
  were extracted; the layer numbers are now checked against the model's layer count when the catalog or
  the model's config gives it without loading weights (else right after extraction, as before).
"""

from __future__ import annotations

import pytest

from concept_depth.cli.main import main
from concept_depth.cli.options import check_device
from concept_depth.core.errors import BadInputError, UnavailableError

TINY = ["--model", "tiny:llama", "--dataset", "builtin-coinflip", "--limit", "40", "--quiet", "--jobs", "1"]


@pytest.fixture(scope="module")
def cached(tmp_path_factory):
    """A cache holding the tiny model's run, extraction and sweep of TINY."""
    cache = tmp_path_factory.mktemp("hit")
    out = cache / "x.npz"
    assert main(["run", *TINY, "--cache-dir", str(cache)]) == 0
    assert main(["extract", *TINY[:-2], "--cache-dir", str(cache), "--out", str(out)]) == 0
    return cache


@pytest.mark.parametrize("command", [
    ["run", *TINY],
    ["extract", *TINY[:-2], "--out", "{cache}/y.npz"],
    ["sweep", *TINY, "--out-dir", "{cache}/sweep"],
    ["families", *TINY],
])
def test_an_unknown_device_is_refused_on_a_cache_hit(cached, capsys, command, one_error_line):
    argv = [a.replace("{cache}", str(cached)) for a in command]
    assert main([*argv, "--cache-dir", str(cached)]) == 0  # a hit: nothing to load
    capsys.readouterr()
    assert main([*argv, "--cache-dir", str(cached), "--device", "tpu9"]) == 2
    assert "unknown device 'tpu9'" in one_error_line()


def test_an_absent_device_is_refused_on_a_cache_hit(cached, capsys, one_error_line):
    import torch

    if torch.backends.mps.is_available():
        pytest.skip("an Apple GPU is present")
    assert main(["run", *TINY, "--cache-dir", str(cached), "--device", "mps"]) == 3
    assert "mps" in one_error_line()


def test_check_device():
    check_device(None)
    check_device("auto")
    check_device("cpu")
    for bad in ("tpu9", "cuda:x", "", "cpu:-1"):
        with pytest.raises(BadInputError, match="unknown device"):
            check_device(bad)
    # elsewhere (a Ray cluster's workers): only the spelling is checked here
    check_device("cuda:3", here=False)
    with pytest.raises(BadInputError):
        check_device("tpu9", here=False)


def test_a_gpu_index_this_machine_lacks_is_refused(monkeypatch):
    import torch

    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 2)
    check_device("cuda")
    check_device("cuda:1")
    with pytest.raises(UnavailableError, match=r"cuda:7 .*2 CUDA GPUs \(cuda:0..cuda:1\)"):
        check_device("cuda:7")


@pytest.fixture
def no_load(monkeypatch, tmp_path):
    """Fail the test if anything starts extracting or loading a model."""

    def forbidden(*args, **kwargs):
        raise AssertionError("work started before the layer numbers were checked")

    import concept_depth.analyses.protocol as protocol
    import concept_depth.cli.analysis_cmd as analysis_cmd
    import concept_depth.models.loader as loader

    monkeypatch.setenv("CONCEPT_DEPTH_CACHE", str(tmp_path / "cache"))
    for module, name in ((analysis_cmd, "run_analysis"), (protocol, "extract_activations"), (loader, "load_model")):
        monkeypatch.setattr(module, name, forbidden)
    return tmp_path


@pytest.mark.parametrize("argv, expected", [
    (["steer", "--model", "embedded", "--layers", "3,99"], "embedded has no residual layer 99 (layers 0..18)"),
    (["transfer", "--model", "embedded", "--dataset", "builtin-capitals,builtin-coinflip", "--layer", "500"],
     "embedded has no residual layer 500 (layers 0..18)"),
    (["transfer", "--model", "Qwen/Qwen1.5-0.5B", "--dataset", "builtin-capitals,builtin-coinflip", "--hook",
      "mlp_out", "--layer", "0"], "Qwen/Qwen1.5-0.5B has no mlp_out layer 0 (layers 1..24)"),
])
def test_layer_numbers_the_model_lacks_fail_before_any_load(no_load, capsys, argv, expected, one_error_line):
    if "--dataset" not in argv:
        argv = [*argv, "--dataset", "builtin-capitals"]
    assert main([*argv, "--limit", "40", "--quiet"]) == 2
    err = one_error_line()
    assert expected in err, err


def test_layers_the_model_has_pass_the_check(no_load, capsys):
    # the check passes, so work starts (and the stand-in says so)
    with pytest.raises(AssertionError, match="work started"):
        main(["steer", "--model", "embedded", "--dataset", "builtin-capitals", "--layers", "0,18", "--quiet"])


def test_a_model_whose_depth_is_unknown_offline_is_checked_after_extraction(tmp_path, capsys, one_error_line):
    """tiny models have no catalog entry: the steering analysis itself says so once the vectors are there."""
    code = main(["steer", "--model", "tiny:gpt2", "--dataset", "builtin-capitals", "--limit", "24", "--layers", "99",
                 "--cache-dir", str(tmp_path / "c"), "--quiet"])
    assert code == 2 and "no residual layer 99" in one_error_line()
