"""The Python API mirrors the command line: same option names, same specs, same numbers, same cache."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest

import concept_depth as cd
from concept_depth.cli import main as cli_main
from concept_depth.cli.main import build_parser
from concept_depth.core.errors import BadInputError

REPO = Path(__file__).resolve().parents[2]
CLI_ONLY = {"help", "out", "json", "figure", "quiet", "out_dir", "command", "func"}


def _cli_dests(command: str) -> set[str]:
    sub = next(a for a in build_parser()._actions if a.dest == "command")
    return {a.dest for a in sub.choices[command]._actions} - CLI_ONLY


def _api_names(fn) -> set[str]:
    import inspect

    return {p for p in inspect.signature(fn).parameters if p not in ("options", "progress")}


@pytest.mark.parametrize("command,fn", [("extract", cd.extract), ("run", cd.run), ("sweep", cd.sweep),
                                        ("expression", cd.expression), ("families", cd.families)])
def test_every_cli_option_is_an_api_keyword_of_the_same_name(command, fn):
    missing = _cli_dests(command) - _api_names(fn)
    assert not missing, f"{command}: CLI options without an API keyword: {sorted(missing)}"


def test_api_and_cli_give_the_same_run_from_the_same_cache(tmp_path, capsys):
    cache = str(tmp_path / "cache")
    result = cd.run(model="tiny:llama", dataset="builtin-coinflip", limit=24, cache_dir=cache, progress=False,
                    no_control=True, seed=3)
    assert result.timing["cached"] is False and result.n_samples == 24
    code = cli_main(["run", "--model", "tiny:llama", "--dataset", "builtin-coinflip", "--limit", "24",
                     "--cache-dir", cache, "--no-control", "--seed", "3", "--json", "--quiet"])
    assert code == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["key"] == result.key and printed["timing"]["cached"] is True  # the API's run, from the cache
    assert [l["accuracy"] for l in printed["layers"]] == [s.accuracy for s in result.layers]
    assert result.figure().data  # a plotly figure of the curves


def test_a_loaded_model_is_used_as_is_and_a_bit_width_clash_is_one_clear_error(tmp_path, tiny_models):
    lm = tiny_models("gpt2")
    acts = cd.extract(model=lm, dataset="builtin-capitals", limit=20, cache_dir=tmp_path, progress=False)
    assert acts.features.shape == (20, lm.n_layers + 1, lm.hidden_size) and acts.features.dtype == np.float32
    assert len(acts.prompts) == 20 and set(acts.labels.tolist()) == {0, 1} and acts.layers[0] == 0
    with pytest.raises(BadInputError, match="loaded at 32 bits"):
        cd.run(model=lm, dataset="builtin-capitals", limit=20, quant=8, cache_dir=tmp_path, progress=False)
    outcomes = cd.sweep(model=[lm, "tiny:llama"], dataset="builtin-capitals", limit=20, cache_dir=tmp_path,
                        progress=False)
    assert [o.ok for o in outcomes] == [True, True]
    assert outcomes[0].result.extra["activation_key"] == acts.key  # reused, not recomputed


def _notebook_code() -> str:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    block = re.search(r"<!-- notebook -->\s*```python\n(.*?)```\s*<!-- /notebook -->", text, re.S)
    assert block, "README.md lost its notebook section"
    return block.group(1)


@pytest.mark.slow
def test_the_readme_notebook_session_runs(tmp_path, monkeypatch, model_cache):
    """The README's notebook block, as written, on the embedded model (converted models shared)."""
    cache = tmp_path / "cache"
    cache.mkdir()
    (model_cache / "models").mkdir(parents=True, exist_ok=True)
    (cache / "models").symlink_to(model_cache / "models", target_is_directory=True)
    monkeypatch.setenv("CONCEPT_DEPTH_CACHE", str(cache))
    namespace: dict = {}
    exec(compile(_notebook_code(), "README.md#notebook", "exec"), namespace)  # noqa: S102 - our own README
    assert namespace["acts"].features.shape == (40, 19, 640)
    assert namespace["data"]["schema"] == "concept-depth/result@1"
    assert len(namespace["outcomes"]) == 2 and all(o.ok for o in namespace["outcomes"])


def test_api_names_stay_functions_after_every_engine_module_is_imported():
    """A subpackage named like an API function would replace it on first import (cd.expression...)."""
    import importlib
    import pkgutil

    for info in pkgutil.walk_packages(cd.__path__, "concept_depth."):
        if ".cli" not in info.name:
            importlib.import_module(info.name)
    for name in ("load_model", "extract", "run", "expression", "sweep", "families"):
        assert callable(getattr(cd, name)) and not isinstance(getattr(cd, name), type(cd)), name
