"""Items 5 and 6: every output path and option is checked before any model is loaded (one line, exit 2)."""

from __future__ import annotations

import os
import stat

import pytest

from concept_depth.cli.main import main

BASE = ["--model", "tiny:llama", "--dataset", "builtin-coinflip", "--quiet"]
TINY = [*BASE, "--limit", "40"]


@pytest.fixture
def no_work(monkeypatch, tmp_path):
    """Fail the test if anything starts loading a model, extracting or probing."""
    monkeypatch.setenv("CONCEPT_DEPTH_CACHE", str(tmp_path / "cache"))

    def forbidden(*args, **kwargs):
        raise AssertionError("work started before the options were checked")

    import concept_depth.analyses.protocol as protocol
    import concept_depth.cli.analysis_cmd as analysis_cmd
    import concept_depth.cli.extract_cmd as extract_cmd
    import concept_depth.models.loader as loader

    # where the commands start work: the analyses' one runner and extraction, the extract command, model loads
    for module, name in ((analysis_cmd, "run_analysis"), (protocol, "extract_activations"),
                         (extract_cmd, "extract_activations"), (loader, "load_model")):
        monkeypatch.setattr(module, name, forbidden)
    return tmp_path


@pytest.mark.parametrize("argv, expected", [
    (["run", *TINY, "--seed", "-1"], "seed must be in [0, 4294967295], got -1"),
    (["run", *TINY, "--converge-eps", "nan"], "converge eps must be a finite number"),
    (["run", *TINY, "--converge-eps", "1"], "converge eps must be in [0, 1)"),
    (["run", *TINY, "--alpha", "5"], "alpha (significance level) must be in (0, 0.5]"),
    (["run", *TINY, "--alpha", "0"], "alpha (significance level) must be in (0, 0.5]"),
    (["run", *TINY, "--jump-fraction", "0"], "jump fraction must be in (0, 1]"),
    (["run", *TINY, "--jump-fraction", "inf"], "jump fraction must be a finite number"),
    (["run", *TINY, "--folds", "1"], "folds must be in [2, 100]"),
    (["run", *BASE, "--limit", "4"], "limit 4 keeps 2 samples per class; a probe run needs at least 10"),
    (["run", *BASE, "--limit", "30", "--protocol", "cv", "--folds", "20"], "needs at least 20 per class"),
    (["run", *BASE, "--limit", "1"], "limit must be in [2,"),
    (["run", *TINY, "--batch-size", "0"], "--batch-size must be between 1 and"),
    (["run", *TINY, "--jobs", "0"], "--jobs must be between 1 and"),
    (["run", *TINY, "--max-tokens", "0"], "max tokens must be in [1,"),
    (["run", *TINY, "--noise", "typos", "--noise-strength", "nan"], "noise strength must be a finite number"),
    (["run", *TINY, "--noise", "paper", "--noise-seed", "-3"], "noise seed must be in [0,"),
    (["sweep", *TINY, "--converge-eps", "-0.5"], "converge eps must be in [0, 1)"),
    (["extract", *TINY, "--batch-size", "-4", "--out", "x.npz"], "--batch-size must be between 1 and"),
    (["expression", *TINY, "--seed", "-1"], "seed must be a whole number from 0"),
    (["datasets", "builtin-coinflip", "--limit", "1"], "limit must be in [2,"),
])
def test_bad_options_fail_before_any_work(no_work, capsys, argv, expected, one_error_line):
    assert main(argv) == 2
    assert expected in one_error_line()


def _places(tmp_path):
    a_file = tmp_path / "a-file.txt"
    a_file.write_text("x")
    a_dir = tmp_path / "a-dir"
    a_dir.mkdir()
    if os.geteuid() == 0:  # root writes anywhere a mode allows nothing; sysfs refuses new files even to root
        read_only = "/sys/concept-depth-test"
    else:
        ro = tmp_path / "read-only"
        ro.mkdir()
        ro.chmod(stat.S_IRUSR | stat.S_IXUSR)
        read_only = str(ro)
    return {"onto a directory": (str(a_dir), "that is a folder"),
            "under a file": (str(a_file / "x"), "is a file, so nothing can be written under it"),
            "read-only place": (read_only + "/x", "cannot write there")}


@pytest.mark.parametrize("where", ["onto a directory", "under a file", "read-only place"])
@pytest.mark.parametrize("command, option, suffix", [
    ("run", "--out", ".json"), ("run", "--figure", ".svg"), ("extract", "--out", ".npz"),
    ("expression", "--out", ".json"), ("sweep", "--out-dir", ""), ("export", "--figure", ".pdf"),
    ("export", "--bundle", ".zip"),
])
def test_unwritable_output_paths_fail_before_any_work(no_work, tmp_path, capsys, make_run, where, command, option,
                                                      suffix, one_error_line):
    path, expected = _places(tmp_path)[where]
    if where == "onto a directory":
        path = str(tmp_path / f"a-dir{suffix}")
        os.makedirs(path, exist_ok=True)
    else:
        path += suffix
    if command == "sweep" and where == "onto a directory":
        expected, path = "that is a file, not a folder", str(tmp_path / "a-file.txt")
    if command == "export":
        result = tmp_path / "r.json"
        result.write_text(make_run().to_json())
        argv = ["export", str(result), option, path, "--no-figures"]
    else:
        argv = [command, *TINY, option, path]
    assert main(argv) == 2
    assert expected in one_error_line()


@pytest.mark.parametrize("command", [["run"], ["extract", "--out", "x.npz"], ["expression"]])
def test_a_catalog_model_too_large_for_here_says_so_offline_before_any_load(monkeypatch, tmp_path, capsys, command,
                                                                              one_error_line):
    """Offline, a paper model's fingerprint cannot be resolved; its size is in the catalog, so the refusal
    says what it needs, what is free and which bit width fits, rather than only "no network"."""
    import concept_depth.extraction.keys as keys
    import concept_depth.models as models
    import concept_depth.models.fingerprint as fingerprint
    import concept_depth.models.loader as loader
    import concept_depth.models.memory as memory
    from concept_depth.core.errors import UnavailableError
    from concept_depth.models.memory import GiB

    def offline(*args, **kwargs):
        raise UnavailableError("meta-llama/Llama-2-13b-chat-hf is not in the local cache and the hub cannot be "
                               "reached (no network)")

    def forbidden(*args, **kwargs):
        raise AssertionError("a model load started")

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CONCEPT_DEPTH_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(fingerprint, "model_fingerprint", offline)
    monkeypatch.setattr(keys, "model_fingerprint", offline)  # where the key is computed
    monkeypatch.setattr(memory, "ram_available", lambda: 20 * GiB)
    monkeypatch.setattr(memory, "gpu_free", lambda: [])
    monkeypatch.setattr(models, "load_model", forbidden)
    monkeypatch.setattr(loader, "load_model", forbidden)
    code = main([*command, "--model", "meta-llama/Llama-2-13b-chat-hf", "--dataset", "builtin-coinflip", "--limit",
                 "40", "--quiet"])
    err = one_error_line()
    assert code == 3 and "needs about 58.7 GiB but 20.0 GiB is free" in err and "8 bits" in err and "fits here" in err
    # a model the catalog does not know keeps the plain "no network" line
    code = main([*command, "--model", "someone/unknown-model", "--dataset", "builtin-coinflip", "--limit", "40",
                 "--quiet"])
    assert code == 3 and "no network" in one_error_line()
