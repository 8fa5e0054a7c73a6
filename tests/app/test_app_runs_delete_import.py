"""Deleting an import never deletes layer vectors computed here (issue 22 item 16: deleting an import
"with its layer vectors" deleted the local vectors its key named)."""

from __future__ import annotations

import json

import ui
from concept_depth.analyses.probe import list_runs
from concept_depth.results.imports import import_bytes
from concept_depth.storage.store import Store


def _import_naming_local_vectors(cache, make_runs):
    local, _ = make_runs(cache)
    store = Store(cache)
    doc = json.loads(local.to_json())
    doc["key"], doc["spec"]["limit"] = "made-elsewhere", 39  # another run, naming the local run's layer vectors
    outcome = import_bytes(store, json.dumps(doc).encode(), "forged.json")
    assert outcome.ok
    return local.extra["activation_key"], next(r for r in list_runs(store) if r.key == outcome.key)


def test_the_page_offers_no_vector_delete_for_an_import_and_keeps_the_local_vectors(tmp_path, set_env, make_runs,
                                                                                    open_page):
    cache = tmp_path / "cache"
    set_env(cache)
    vectors, _ = _import_naming_local_vectors(cache, make_runs)
    at = open_page("app_pages/runs.py")
    options = at.selectbox(key="runs_pick").options
    at.selectbox(key="runs_pick").select_index(next(i for i, o in enumerate(options) if "import" in o)).run()
    box = at.checkbox(key="del_acts")
    assert box.disabled and "made elsewhere" in box.help
    at.button(key="delete").click().run()
    assert not at.exception
    assert Store(cache).has_activations(vectors)
    at = open_page("app_pages/runs.py")
    assert len(at.selectbox(key="runs_pick").options) == 2  # the two local runs; the import is gone


def test_deleting_an_import_with_its_vectors_asked_for_keeps_the_local_vectors(tmp_path, set_env, make_runs):
    cache = tmp_path / "cache"
    set_env(cache)
    vectors, imported = _import_naming_local_vectors(cache, make_runs)
    ui.delete_stored_run(imported, with_vectors=True)
    assert Store(cache).has_activations(vectors)
    assert len(list_runs(Store(cache))) == 2  # the two local runs; the import is gone
