"""cd.transfer / cd.directions / cd.steer: CLI option names as keywords, the same cache as the CLI."""

from __future__ import annotations

import inspect
import json

import pytest

import concept_depth as cd
from concept_depth.cli import main as cli_main
from concept_depth.cli.main import build_parser

CLI_ONLY = {"help", "out", "json", "figure", "quiet", "command", "func", "layer"}


def _cli_dests(command: str) -> set[str]:
    sub = next(a for a in build_parser()._actions if a.dest == "command")
    return {a.dest for a in sub.choices[command]._actions} - CLI_ONLY


def _api_names(fn) -> set[str]:
    return {p for p in inspect.signature(fn).parameters if p not in ("options", "progress")}


@pytest.mark.parametrize("command,fn", [("transfer", cd.transfer), ("directions", cd.directions),
                                        ("steer", cd.steer)])
def test_every_cli_option_is_an_api_keyword_of_the_same_name(command, fn):
    missing = _cli_dests(command) - _api_names(fn)
    assert not missing, f"{command}: CLI options without an API keyword: {sorted(missing)}"


def test_api_and_cli_share_the_cache(tmp_path, capsys, tiny_models):
    cache = str(tmp_path / "cache")
    t = cd.transfer(model="tiny:llama", dataset="builtin-capitals,builtin-coinflip", limit=24, cache_dir=cache,
                    progress=False)
    assert not t.cached and t.matrix(1).shape == (2, 2)
    assert cli_main(["transfer", "--model", "tiny:llama", "--dataset", "builtin-capitals,builtin-coinflip",
                     "--limit", "24", "--cache-dir", cache, "--json", "--quiet"]) == 0
    assert json.loads(capsys.readouterr().out)["key"] == t.key
    lm = tiny_models("gpt2")
    s = cd.steer(model=lm, dataset="builtin-capitals", limit=24, alpha=(-2, 2), layers=(1,), cache_dir=cache,
                 progress=False)
    again = cd.steer(model="tiny:gpt2", dataset="builtin-capitals", limit=24, alpha="-2,2", layers="1",
                     cache_dir=cache, progress=False)
    assert again.cached and again.key == s.key
    d = cd.directions(model=lm, dataset="builtin-capitals", limit=24, noise="none,paper", cache_dir=cache,
                      progress=False)
    assert d.settings == ("32-bit · clean", "32-bit · paper noise (seed 0)")
    assert d.figure().data and s.figure().data and t.figure().data

