"""The Probe page's upload takes a multiple-choice file (question, options, answer columns) and a binary file
whose rows belong together in groups, and runs them as the command line's --choices-col / --group-col do."""

from __future__ import annotations

import json

from concept_depth.analyses.probe import list_runs
from concept_depth.storage.store import Store


def _upload(at, name: str, data: bytes, kind: str):
    at.selectbox(key="model_choice").select("tiny:llama (random test model)").run()
    at.radio(key="dataset_source").set_value("Upload a file").run()
    at.file_uploader(key="upload").set_value((name, data, "application/octet-stream")).run()
    at.radio(key="upload_kind").set_value(kind).run()
    return at


def test_an_uploaded_multiple_choice_file_is_probed_question_by_question(open_page, set_env, tmp_path):
    set_env(tmp_path / "cache")
    rows = [{"question": f"question {i}?", "options": [f"option {i}{c}" for c in "abc"], "answer": i % 3}
            for i in range(24)]
    data = "".join(json.dumps(r) + "\n" for r in rows).encode()
    at = _upload(open_page("app_pages/probe.py"), "mine.jsonl", data, "a multiple-choice question")
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert (at.selectbox(key="text_col").value, at.selectbox(key="choices_col").value,
            at.selectbox(key="answer_col").value) == ("question", "options", "answer")
    at.number_input(key="limit").set_value(0)
    at.button(key="run").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    run, = list_runs(Store(tmp_path / "cache"))
    assert run.extra["multiple_choice"]["n_questions"] == 24 and run.n_samples == 72
    assert abs(run.depth.chance - 1 / 3) < 1e-9


def test_an_uploaded_binary_file_keeps_rows_of_one_group_together(open_page, set_env, tmp_path):
    set_env(tmp_path / "cache")
    lines = "".join(f"fact {i // 2} version {i % 2},{i % 2},{i // 2}\n" for i in range(40))
    at = _upload(open_page("app_pages/probe.py"), "pairs.csv", ("text,label,fact\n" + lines).encode(),
                 "a text with a binary label")
    assert at.selectbox(key="label_col").value == "label"
    at.multiselect(key="group_col").set_value(["fact"]).run()
    at.number_input(key="limit").set_value(0)
    at.button(key="run").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    run, = list_runs(Store(tmp_path / "cache"))
    assert run.spec["group_col"] == "fact" and run.extra["groups"]["sizes"] == [2] * 20
