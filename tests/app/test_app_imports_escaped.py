"""Markdown in an imported file is shown as text wherever the app renders it (issue 22 item 12): a ``noise``
field holding ``![n](http://...)`` made Home's "Recent runs" table load an image."""

from __future__ import annotations

from dataclasses import replace

IMAGE = "![n](http://example.invalid/n.png)"


def _rendered_texts(at) -> list[str]:
    """Every text the page hands to Streamlit's Markdown: headers, markdown, captions, alerts, table cells,
    expander and button labels."""
    texts = []
    for kind in ("markdown", "caption", "info", "warning", "success", "error", "subheader", "title"):
        texts += [str(e.value) for e in getattr(at, kind)]
    for table in at.table:
        texts += [str(v) for v in table.value.to_numpy().ravel()]
    texts += [e.label for e in at.expander] + [b.label for b in at.button]
    return texts


def _import(make_run, store_dir):
    from concept_depth.results.imports import import_results
    from concept_depth.storage.store import Store

    crafted = make_run(key="crafted", quant=8, noise=IMAGE)
    base = make_run(key="base-here")
    store = Store(store_dir)
    report = import_results(store, [("crafted.json", crafted.to_json().encode())])
    assert report.outcomes[0].ok
    return store, base


def test_markdown_from_an_import_is_never_rendered_on_home_or_compare(make_run, open_page, set_env, tmp_path):
    from concept_depth.analyses.probe import RUN_KIND

    store, base = _import(make_run, tmp_path / "cache")
    # a run computed here that the import pairs with on Compare (its float32 clean baseline)
    store.put_result(RUN_KIND, base.key, replace(base, extra=dict(base.extra, created_ts=1.0e9)).to_dict())
    set_env(tmp_path / "cache")
    at = open_page()
    assert not at.exception
    home = _rendered_texts(at)
    assert any("example.invalid" in t for t in home)  # the import is listed...
    assert not [t for t in home if IMAGE in t]  # ...as text: the Markdown escaped
    at = open_page("app_pages/compare.py")
    at.tabs  # every tab's content is rendered by AppTest
    assert not at.exception
    compare = _rendered_texts(at)
    assert any("example.invalid" in t for t in compare)
    assert not [t for t in compare if IMAGE in t]
