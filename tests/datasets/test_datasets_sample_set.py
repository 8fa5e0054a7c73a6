"""The contract: SampleSet groups and multiple-choice questions, a content hash that old cache keys still match,
and DatasetSpec's choices, answer and group columns."""

from __future__ import annotations

import numpy as np
import pytest

from concept_depth.core.errors import BadInputError
from concept_depth.core.specs import DatasetSpec, stable_hash
from concept_depth.datasets import Questions, SampleSet, option_text


def _questions(**kw) -> Questions:
    base = {"texts": ("Which is a fruit?", "Two plus two?"), "options": (("apple", "stone"), ("3", "4", "5", "22")),
                "answers": [0, 1]}
    return Questions(**{**base, **kw})


def _set(questions: Questions, **kw) -> SampleSet:
    return SampleSet(name="mc", category="custom", template="{text}", texts=questions.row_texts,
                     labels=questions.labels, questions=questions, **kw)


def test_questions_flatten_to_one_row_per_option():
    q = _questions()
    assert list(q.n_options) == [2, 4] and q.n_rows == 6 and len(q) == 2
    assert q.chance == pytest.approx((1 / 2 + 1 / 4) / 2)  # mean of 1/k, not 1/mean(k)
    assert list(q.groups) == [0, 0, 1, 1, 1, 1] and q.groups.dtype == np.int64
    assert list(q.option_index) == [0, 1, 0, 1, 2, 3]
    assert list(q.labels) == [1, 0, 0, 1, 0, 0]
    assert q.row_texts[3] == "Question: Two plus two?\nAnswer: 4" == option_text("Two plus two?", "4")
    assert q.letters(1) == ("A", "B", "C", "D") and q.option_counts == "2-4 options"
    assert _questions(options=(("a", "b"), ("c", "d"))).option_counts == "2 options"


def test_a_passage_comes_before_the_question():
    q = _questions(contexts=("Fruit grows on trees.", "Sums."))
    assert q.row_texts[0] == "Fruit grows on trees.\n\nQuestion: Which is a fruit?\nAnswer: apple"


@pytest.mark.parametrize("kw, match", [
    ({"options": (("only",), ("3", "4"))}, "2 to 10 options"),
    ({"options": (tuple("abcdefghijk"), ("3", "4"))}, "2 to 10 options"),
    ({"answers": [0, 4]}, "outside"),
    ({"answers": [0]}, "differ in length"),
])
def test_questions_refuse_impossible_structures(kw, match):
    with pytest.raises(ValueError, match=match):
        _questions(**kw)


def test_a_multiple_choice_set_maps_each_row_to_its_question_and_option():
    s = _set(_questions())
    assert s.is_multiple_choice and s.n_groups == 2
    assert list(s.groups) == [0, 0, 1, 1, 1, 1] and list(s.option_index) == [0, 1, 0, 1, 2, 3]
    i = 4
    assert s.texts[i] == option_text(s.questions.texts[s.groups[i]], s.questions.options[s.groups[i]][s.option_index[i]])
    with pytest.raises(ValueError, match="mark each question's answer"):
        SampleSet(name="mc", category="custom", template="{text}", texts=s.texts, labels=np.ones(6, dtype=np.int64),
                  questions=s.questions)


def test_groups_must_be_contiguous_runs_numbered_in_order():
    texts, labels = ("a", "b", "c", "d"), np.array([1, 0, 1, 0])
    ok = SampleSet(name="g", category="custom", template="{text}", texts=texts, labels=labels, groups=[0, 0, 1, 2])
    assert ok.groups.dtype == np.int64 and ok.n_groups == 3 and not ok.is_multiple_choice and ok.option_index is None
    for bad in ([0, 1, 0, 1], [1, 1, 2, 2], [0, 0, 2, 2], [0, 0, 1]):
        with pytest.raises(ValueError):
            SampleSet(name="g", category="custom", template="{text}", texts=texts, labels=labels, groups=bad)


def test_content_hash_is_unchanged_without_groups_and_covers_groups_when_present():
    texts, labels = ("a", "b", "c", "d"), np.array([1, 0, 1, 0])
    plain = SampleSet(name="g", category="custom", template="T {text}", texts=texts, labels=labels)
    old = stable_hash({"prompts": [f"T {t}" for t in texts], "labels": [1, 0, 1, 0]}, 32)  # the hash before groups
    assert plain.content_hash == old
    pairs = SampleSet(name="g", category="custom", template="T {text}", texts=texts, labels=labels, groups=[0, 0, 1, 1])
    singles = SampleSet(name="g", category="custom", template="T {text}", texts=texts, labels=labels,
                        groups=[0, 1, 2, 3])
    assert len({plain.content_hash, pairs.content_hash, singles.content_hash}) == 3
    q = Questions(texts=("x", "y"), options=(("a", "b"), ("c", "d")), answers=[0, 0])
    mc = SampleSet(name="g", category="custom", template="T {text}", texts=texts, labels=q.labels, questions=q)
    grouped = SampleSet(name="g", category="custom", template="T {text}", texts=texts, labels=q.labels,
                        groups=q.groups)
    assert mc.content_hash != grouped.content_hash


@pytest.mark.parametrize("spec, match", [
    ({"choices_col": "c"}, "both a choices column and an answer column"),
    ({"answer_col": "a"}, "both a choices column and an answer column"),
    ({"choices_col": "c", "answer_col": "a", "label_col": "l"}, "not both"),
    ({"choices_col": "c", "answer_col": "a", "group_col": "g"}, "grouped by question already"),
    ({"choices_col": " ", "answer_col": "a"}, "must be a column name"),
])
def test_dataset_spec_validates_the_new_columns(spec, match):
    with pytest.raises(BadInputError, match=match):
        DatasetSpec(name="custom", path="f.jsonl", text_col="q", **spec)
    assert DatasetSpec(name="cities").choices_col is None  # defaults: nothing changes for others
