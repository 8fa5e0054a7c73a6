"""The Layers page offers UMAP beside PCA (PCA the default), with its cost stated (issue 20 item 5)."""

from __future__ import annotations

import pytest


def test_layers_page_offers_umap_beside_pca_and_states_its_cost(charts, make_runs, open_page, set_env, tmp_path):
    pytest.importorskip("umap")
    make_runs(tmp_path / "cache")
    set_env(tmp_path / "cache")
    at = open_page("app_pages/layers.py")
    assert at.radio(key="layers_projection").value == "PCA"  # the default
    fig, = charts(at)
    assert fig["layout"]["xaxis"]["title"]["text"].startswith("PC1")
    at.radio(key="layers_projection").set_value("UMAP").run()
    assert not at.exception
    fig, = charts(at)
    assert fig["layout"]["xaxis"]["title"]["text"] == "UMAP 1"
    assert any("UMAP costs far more than PCA" in c.value for c in at.caption)
    assert at.toggle(key="shared_basis").disabled  # no shared basis for UMAP
