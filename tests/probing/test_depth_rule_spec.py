"""DepthSpec.rule: validated, and left out of the dict (hence of every cache key) while it is the default."""

from __future__ import annotations

from dataclasses import asdict

import pytest

from concept_depth.core.errors import BadInputError
from concept_depth.core.specs import (
    DEPTH_RULES,
    DatasetSpec,
    DepthSpec,
    ExtractionSpec,
    ModelSpec,
    RunSpec,
    stable_hash,
)


def test_default_rule_leaves_dicts_and_keys_as_before():
    assert DEPTH_RULES == ("chance", "paper") and DepthSpec().rule == "chance"
    before = {"jump_fraction": 0.8, "converge_eps": 0.01, "alpha": 0.05}  # DepthSpec.to_dict() before the field
    assert DepthSpec().to_dict() == before
    assert stable_hash(DepthSpec().to_dict()) == stable_hash(before)
    run = RunSpec(extraction=ExtractionSpec(model=ModelSpec(), dataset=DatasetSpec(name="cities")))
    old = asdict(run)
    del old["depth"]["rule"]
    assert run.to_dict() == old  # nested the same way
    assert RunSpec.from_dict(run.to_dict()) == run and DepthSpec.from_dict(before) == DepthSpec()


def test_paper_rule_is_in_the_dict_and_changes_the_key():
    paper = DepthSpec(rule="paper")
    assert paper.to_dict()["rule"] == "paper" and DepthSpec.from_dict(paper.to_dict()) == paper
    assert stable_hash(paper.to_dict()) != stable_hash(DepthSpec().to_dict())
    with pytest.raises(BadInputError, match="depth rule"):
        DepthSpec(rule="Paper")
