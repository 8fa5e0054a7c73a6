"""A multiple-choice run through the app (issue 20 item 7): the Probe page draws chance at 1/k, and the Layers
page's hover names each option's question with all its options (the right one and the probe's pick marked),
its tables list held-out questions rather than option rows."""

from __future__ import annotations

import numpy as np

from concept_depth.analyses.probe import layer_predictions, list_runs
from concept_depth.extraction.activations import activations_from_key
from concept_depth.figures import question_views, sample_texts
from concept_depth.figures.questions import PICK_MARK, RIGHT_MARK
from concept_depth.storage.store import Store


def test_a_multiple_choice_run_is_read_question_by_question(charts, open_page, set_env, tmp_path):
    set_env(tmp_path / "cache")
    at = open_page("app_pages/probe.py")
    at.selectbox(key="model_choice").select("tiny:llama (random test model)").run()
    at.radio(key="dataset_source").set_value("Paper dataset").run()
    at.selectbox(key="dataset_Paper dataset").set_value("arc-easy").run()
    at.number_input(key="limit").set_value(30)
    at.button(key="run").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    run, = list_runs(Store(tmp_path / "cache"))
    assert run.extra["multiple_choice"]["n_questions"] == 30
    fig, = charts(at)
    chance, = [t for t in fig["data"] if (t.get("meta") or {}).get("role") == "chance"]
    assert abs(chance["y"][0] - run.depth.chance) < 1e-4 and 0.24 < run.depth.chance < 0.34  # mean 1/k

    at = open_page("app_pages/layers.py")
    assert not at.exception
    layer = at.select_slider(key="layer").value
    fig, = charts(at)
    hovers = [c[0] for t in fig["data"] if (t.get("meta") or {}).get("role") == "class" for c in t["customdata"]]
    assert len(hovers) == sum(run.extra["groups"]["sizes"])  # one per option row
    assert all(RIGHT_MARK in h and h.count("<b>") == 1 for h in hovers)  # every option: its question's options
    assert any(PICK_MARK in h for h in hovers)
    tables = [t.value for t in at.table]
    assert tables and list(tables[0].columns) == ["question", "options", "probe's pick", "answer", "confidence"]

    # the tables say what the probe's predictions say, question by question
    store = Store(tmp_path / "cache")
    pred = layer_predictions(store, run, int(layer))
    acts = activations_from_key(store, run.extra["activation_key"])
    texts = sample_texts(acts.prompts, run.spec.get("prompt"))
    views = question_views(run, texts, np.asarray(acts.labels), pred=pred.pred, is_eval=pred.is_eval, proba=pred.proba)
    evaluated = [v for v in views if v.evaluated]
    assert evaluated and all(v.picked >= 0 for v in evaluated)
    shown = sum(len(t) for t in tables)
    assert shown == min(5, sum(v.right for v in evaluated)) + min(5, sum(not v.right for v in evaluated))
    accuracy = next(s.accuracy for s in run.layers if s.layer == layer)
    assert abs(np.mean([v.right for v in evaluated]) - accuracy) < 1e-9

