"""The Probe page flags a probe below chance beyond the binomial test as a finding (issue 22 item 18)."""

from __future__ import annotations

from dataclasses import replace


def test_probe_page_says_a_probe_below_chance_reads_the_concept_backwards(make_run, open_page, set_env, tmp_path):
    set_env(tmp_path / "cache")
    run = make_run(key="backwards", dataset="counterfact", jump=None, converge=None)
    run = replace(run, layers=tuple(replace(s, accuracy=0.25 + 0.01 * (s.layer % 3)) for s in run.layers),
                  extra={"n_eval": 800})
    at = open_page("app_pages/probe.py")
    at.session_state["probe_result"] = run.to_json()
    at.run()
    assert not at.exception
    warning, = [w.value for w in at.warning if "below chance" in w.value]
    assert "binomial test" in warning and "--group-col" in warning and "separates paired items" in warning
    # a probe at chance is only "not acquired"
    fine = replace(run, key="fine", layers=tuple(replace(s, accuracy=0.5) for s in run.layers))
    at.session_state["probe_result"] = fine.to_json()
    at.run()
    assert not [w for w in at.warning if "below chance" in w.value]
