"""Component curves on the Probe and Compare pages: residual, attention output and MLP output overlaid."""

from __future__ import annotations


def _components(figs):
    return [f for f in figs if any((t.get("meta") or {}).get("role") == "component" for t in f["data"])]


def test_probe_runs_the_chosen_hooks_and_compare_overlays_them(charts, open_page, pick_tiny, set_env, trace_names,
                                                               tmp_path):
    set_env(tmp_path / "cache")
    at = pick_tiny(open_page("app_pages/probe.py"))
    at.button(key="run").click().run()
    assert not at.exception and not at.error
    assert _components(charts(at)) == []  # one hook only: no overlay yet
    at.multiselect(key="probe_components").set_value(["attn_out", "mlp_out"]).run()
    at.button(key="run").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    fig, = _components(charts(at))
    assert trace_names(fig) == ["residual stream", "attention output", "MLP output"]
    assert fig["data"][1]["x"][0] == 1  # block hooks start at layer 1, the residual stream at 0
    assert fig["data"][0]["x"][0] == 0

    at = open_page("app_pages/compare.py")
    assert not at.exception and not at.error, [e.value for e in at.error]
    fig, = _components(charts(at))
    assert {t["meta"]["hook"] for t in fig["data"]} == {"residual", "attn_out", "mlp_out"}
