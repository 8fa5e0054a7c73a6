"""Issue 22 item 22: a mistyped model name gets the close names this package knows, not a network error.

``--model embeded`` used to be taken for a hub id and end in "not in the local cache and the hub cannot
be reached (no network)". A bare name (no ``org/``) close to an offline model, an alias or a tiny model
is now refused with the names it may mean (exit 2); a hub id the hub does not have, or cannot be asked
about, names the catalog's close hub ids in its one line.
"""

from __future__ import annotations

import pytest

from concept_depth.cli.main import main
from concept_depth.core.errors import BadInputError
from concept_depth.models.fingerprint import classify_source, close_model_names

ARGS = ["--dataset", "builtin-coinflip", "--limit", "40", "--quiet"]


@pytest.fixture
def offline(monkeypatch, tmp_path):
    import huggingface_hub.constants as hf_constants

    monkeypatch.setattr(hf_constants, "HF_HUB_OFFLINE", True)  # never touch the network in tests
    monkeypatch.setenv("CONCEPT_DEPTH_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hf"))  # nothing cached: the hub would be asked


@pytest.mark.parametrize("typed, meant", [
    ("embeded", "embedded"), ("Embeded", "embedded"), ("smolm2", "smollm2"), ("mini-lm", "minilm"),
    ("gemma3-207m", "gemma3-270m"), ("tiny-llama", "tiny:llama"),
])
def test_a_mistyped_offline_name_suggests_the_right_one(offline, capsys, typed, meant, one_error_line):
    assert main(["run", "--model", typed, *ARGS]) == 2
    err = one_error_line()
    assert f"did you mean {meant}" in err and "network" not in err, err


def test_a_mistyped_tiny_model_suggests_the_tiny_ones(offline, capsys, one_error_line):
    assert main(["run", "--model", "tiny:lama", *ARGS]) == 2
    err = one_error_line()
    assert "unknown tiny model 'tiny:lama'" in err and "did you mean tiny:llama" in err


def test_a_mistyped_hub_id_names_the_catalog_id_even_offline(offline, capsys, one_error_line):
    assert main(["run", "--model", "Qwen/Qwen1.5-05B", *ARGS]) == 3
    err = one_error_line()
    assert "no network" in err and "did you mean Qwen/Qwen1.5-0.5B" in err, err


def test_a_hub_id_the_hub_does_not_have_names_the_close_catalog_ids(monkeypatch, capsys, tmp_path, one_error_line):
    import huggingface_hub

    class RepositoryNotFoundError(Exception):  # the hub's own needs an HTTP response; the name is what counts
        pass

    def missing(self, repo_id, **kwargs):
        raise RepositoryNotFoundError(f"404 Client Error: Repository Not Found for url: .../{repo_id}")

    monkeypatch.setenv("CONCEPT_DEPTH_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hf"))
    monkeypatch.setattr(huggingface_hub.HfApi, "model_info", missing)
    assert main(["run", "--model", "meta-llama/Llama-2-7b-chat", *ARGS]) == 2
    err = one_error_line()
    assert "unknown model 'meta-llama/Llama-2-7b-chat'" in err
    assert "did you mean meta-llama/Llama-2-7b-chat-hf" in err, err


def test_names_that_are_not_close_to_ours_stay_hub_ids():
    for source in ("gpt2", "bert-base-uncased", "distilgpt2", "someone/model", "Qwen/Qwen2.5-7B-Instruct"):
        assert classify_source(source) == "hub"
    assert close_model_names("gpt2") == [] and close_model_names("Qwen/Qwen2.5-7B-Instruct") == []
    assert classify_source("embedded") == classify_source("GEMMA-3-270M") == "embedded"
    with pytest.raises(BadInputError, match="did you mean embedded"):
        classify_source("embeddd")
