"""Grouped binary sets: a group column keeps rows together (counterfact's true/false pairs), and limits never cut a group."""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from concept_depth.core.errors import BadInputError
from concept_depth.core.specs import DatasetSpec
from concept_depth.datasets import load_samples
from concept_depth.datasets.selection import group_ids, select_groups

SHARED = Path(os.environ.get("CONCEPT_DEPTH_DATA_DIR", "/nonexistent"))
needs_shared = pytest.mark.skipif(not (SHARED / "counterfact.csv").is_file(),
                                  reason="CONCEPT_DEPTH_DATA_DIR does not hold the paper's files")

# content hashes of ungrouped sets before groups existed (their cache keys must still be found)
HASHES_BEFORE = {"cities": "c3de4098cb4b0f6e94d89d6ca3d82e22", "counterfact": "58d8b2e5203311ca5ba9b8667ffc751d"}


@needs_shared
@pytest.mark.parametrize("name", list(HASHES_BEFORE))
def test_ungrouped_sets_hash_as_before(name):
    s = load_samples(DatasetSpec(name=name))
    assert s.groups is None and s.questions is None and s.content_hash == HASHES_BEFORE[name]


@needs_shared
def test_counterfact_pairs_group_the_true_and_false_statement_of_each_fact():
    plain = load_samples(DatasetSpec(name="counterfact"))
    pairs = load_samples(DatasetSpec(name="counterfact", group_col="relation,subject,true_target"))
    assert Counter(pairs.texts) == Counter(plain.texts)  # the same 2000 + 2000 statements
    assert pairs.n_groups == 2000 and np.all(np.bincount(pairs.groups) == 2)
    assert np.all(np.bincount(pairs.groups, weights=pairs.labels) == 1)  # one true, one false in each
    assert pairs.texts[:2] == ("The mother tongue of Danielle Darrieux is French.",
                               "The mother tongue of Danielle Darrieux is English.")
    assert pairs.content_hash != plain.content_hash
    assert any("the paper protocol does not group" in n for n in pairs.notes)


@needs_shared
def test_a_grouped_limit_never_cuts_a_group():
    s = load_samples(DatasetSpec(name="counterfact", group_col="subject", limit=101))
    df = pd.read_csv(SHARED / "counterfact.csv")
    per_subject = df.groupby("subject")["statement"].apply(set)
    subject_of = dict(zip(df["statement"], df["subject"]))
    kept = {}
    for g, text in zip(s.groups, s.texts):
        kept.setdefault(int(g), set()).add(text)
    for texts in kept.values():
        subjects = {subject_of[t] for t in texts}
        assert len(subjects) == 1 and texts == per_subject[subjects.pop()]  # every row of the subject is there
    n0, n1 = s.class_counts
    assert n0 <= 50 and n1 <= 50 and np.all(np.diff(s.groups) >= 0)


def test_select_groups_keeps_whole_groups_in_first_appearance_order():
    labels = np.array([1, 0, 1, 1, 0, 0, 1, 0])
    ids = group_ids(["a", "a", "b", "b", "c", None, "d", "a"])
    assert list(ids) == [0, 0, 1, 1, 2, 3, 4, 0]
    order, groups = select_groups(labels, ids)
    assert list(order) == [0, 1, 7, 2, 3, 4, 5, 6] and list(groups) == [0, 0, 0, 1, 1, 2, 3, 4]
    order, groups = select_groups(labels, ids, limit=4)  # 2 per class: a (2 + 1) fits, b, c and row 5 do not, d does
    assert list(order) == [0, 1, 7, 6] and list(groups) == [0, 0, 0, 1]


def _file(path, rows, header="text,label,topic"):
    path.write_text("\n".join([header] + [",".join(map(str, r)) for r in rows]) + "\n", encoding="utf-8")
    return path


def test_a_group_column_in_a_file_of_your_own(tmp_path):
    rows = [(f"s{i}", i % 2, f"t{i % 5}" if i != 13 else "") for i in range(30)]
    s = load_samples(DatasetSpec(name="custom", path=str(_file(tmp_path / "d.csv", rows)), text_col="text",
                                 label_col="label", group_col="topic"))
    assert s.n_groups == 6  # t0..t4, and the row with no topic on its own
    assert s.texts[:6] == ("s0", "s5", "s10", "s15", "s20", "s25") and list(s.groups[:7]) == [0] * 6 + [1]
    assert Counter(np.bincount(s.groups)) == {6: 4, 5: 1, 1: 1}
    limited = load_samples(DatasetSpec(name="custom", path=str(tmp_path / "d.csv"), text_col="text", label_col="label",
                                       group_col="topic", limit=8))
    # 4 per class: t0 (3 + 3) fits; t1..t4 would overflow; the lone row 13 (class 1) still fits
    assert limited.class_counts == (3, 4) and limited.n_groups == 2 and limited.texts[-1] == "s13"


def test_group_columns_must_exist_and_the_set_must_have_columns(tmp_path):
    path = _file(tmp_path / "d.csv", [(f"s{i}", i % 2, "x") for i in range(30)])
    with pytest.raises(BadInputError, match="group column 'nope' not found; available columns: text, label, topic"):
        load_samples(DatasetSpec(name="custom", path=str(path), text_col="text", label_col="label", group_col="nope"))
    if (SHARED / "cities.csv").is_file():
        with pytest.raises(BadInputError, match="group column 'relation' not found"):
            load_samples(DatasetSpec(name="cities", group_col="country,relation"))
    with pytest.raises(BadInputError, match="generated and has no columns"):
        load_samples(DatasetSpec(name="builtin-coinflip", group_col="x"))
    with pytest.raises(BadInputError, match="STSA has no columns to group by"):
        load_samples(DatasetSpec(name="STSA", group_col="x"))


def test_a_limit_that_keeps_no_whole_group_says_so(tmp_path):
    rows = [(f"s{i}", i % 2, "one topic") for i in range(30)]
    path = _file(tmp_path / "d.csv", rows)
    with pytest.raises(BadInputError, match="limit 10 keeps no whole group"):
        load_samples(DatasetSpec(name="custom", path=str(path), text_col="text", label_col="label", group_col="topic",
                                 limit=10))
