"""Question-by-question views of a multiple-choice run (hover text and tables of the Layers page)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from concept_depth.datasets import option_text
from concept_depth.figures import option_hovers, question_table, question_views
from concept_depth.figures.questions import PICK_MARK, RIGHT_MARK, split_option_text


def _mc_run(make_run, sizes):
    run = make_run()
    return replace(run, extra={**run.extra, "groups": {"sizes": list(sizes)},
                               "multiple_choice": {"n_questions": len(sizes)}})


def test_split_option_text_reads_back_question_and_option_with_or_without_a_passage():
    assert split_option_text(option_text("Why?", "Because")) == ("Why?", "Because")
    assert split_option_text(option_text("Why?", "Because", context="A passage.\nAnswer: no")) == ("Why?", "Because")
    assert split_option_text("a plain sentence") == ("", "a plain sentence")


def test_views_hovers_and_tables_follow_the_probes_picks(make_run):
    run = _mc_run(make_run, [3, 2])
    texts = [option_text("2+2?", o) for o in ("3", "4", "<b>5</b>")] + [option_text("Sky?", o) for o in ("blue", "red")]
    labels = np.array([0, 1, 0, 1, 0])
    pred = np.array([0, 1, 0, 0, 1])  # question 0 right, question 1 wrong
    proba = np.array([0.1, 0.6, 0.3, 0.2, 0.8])
    views = question_views(run, texts, labels, pred=pred, is_eval=np.ones(5, bool), proba=proba)
    assert [(v.question, v.answer, v.picked, v.right) for v in views] == [("2+2?", 1, 1, True), ("Sky?", 0, 1, False)]
    assert views[0].confidence == pytest.approx(0.6) and views[1].confidence == pytest.approx(0.8)
    hovers = option_hovers(views, 5)
    assert hovers[2].startswith("2+2?<br>A) 3<br>") and "<b>C) &lt;b&gt;5&lt;/b&gt;</b>" in hovers[2]  # escaped
    assert f"B) 4 {RIGHT_MARK} {PICK_MARK}" in hovers[0]
    assert f"A) blue {RIGHT_MARK}" in hovers[3] and f"B) red {PICK_MARK}" in hovers[3]
    right, wrong = question_table(views, right=True), question_table(views, right=False)
    assert [(r["question"], r["probe's pick"], r["answer"]) for r in right] == [("2+2?", "B", "B")]
    assert [(r["question"], r["probe's pick"], r["answer"], r["confidence"]) for r in wrong] == [("Sky?", "B", "A", "0.80")]


def test_without_predictions_nothing_is_picked_and_a_binary_run_is_refused(make_run):
    run = _mc_run(make_run, [2])
    views = question_views(run, [option_text("Q", "a"), option_text("Q", "b")], np.array([0, 1]))
    assert not views[0].evaluated and PICK_MARK not in option_hovers(views, 2)[0]
    assert question_table(views, right=True) == question_table(views, right=False) == []
    with pytest.raises(ValueError, match="not a multiple-choice run"):
        question_views(make_run(), ["x"], np.array([1]))
    with pytest.raises(ValueError, match="option rows"):
        question_views(run, ["x"], np.array([1]))
