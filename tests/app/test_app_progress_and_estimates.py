"""Waits said before they start, from this machine's own rates (issue 22 items 5 and 22), and progress text
that names the right run once (issue 22 item 22)."""

from __future__ import annotations

TINY = ["tiny:llama (random test model)", "tiny:gpt2 (random test model)"]


def test_a_bar_never_says_the_same_thing_twice():
    from ui.progress import bar_head

    assert bar_head("load", "loading the model") == "loading the model"  # was "loading the model: loading the model"
    assert bar_head("load", "loading the weights") == "loading the weights"
    assert bar_head("load", "checking memory") == "loading the model: checking memory"
    assert bar_head("load", "tiny random llama · cities: loading the model") == "loading the model: tiny random llama · cities"
    assert bar_head("convert", "converting the tokenizer") == "converting the tokenizer (first use only)"
    assert bar_head("extract", None) == "extracting layer vectors"


def test_the_grid_bar_names_the_run_in_hand_not_the_one_just_finished():
    from concept_depth.workflows.sweeps import SweepOutcome, plan_sweep
    from ui.jobs import grid_callbacks

    items = plan_sweep(model=["tiny:llama"], dataset=["builtin-coinflip", "builtin-capitals"], limit=20)
    events = []
    progress_for, on_outcome = grid_callbacks(lambda e: events.append(e), items)
    progress_for(1, items[0])
    on_outcome(1, SweepOutcome(items[0]))
    run_progress = progress_for(2, items[1])
    grid = [e for e in events if e.stage == "grid"]
    assert grid[-1].detail == "now tiny:llama · builtin-capitals" and grid[-1].done == 1
    assert grid[-2].detail == "finished tiny:llama · builtin-coinflip"
    from concept_depth.core.progress import ProgressEvent

    run_progress(ProgressEvent("extract", 5, 20, unit="prompts"))
    assert events[-1].detail == "tiny:llama · builtin-capitals"


def test_a_grid_says_before_it_starts_how_long_it_will_take_here_and_what_is_cached(open_page, set_env, tmp_path):
    from concept_depth import run

    cache = tmp_path / "cache"
    timed = run(model="tiny:llama", dataset="builtin-coinflip", limit=20, cache_dir=cache, progress=False)
    set_env(cache)
    at = open_page("app_pages/compare.py")
    at.multiselect(key="fam_models").set_value(TINY)
    at.multiselect(key="fam_datasets").set_value(["builtin-coinflip", "builtin-capitals"])
    at.number_input(key="fam_limit").set_value(20).run()
    assert not at.exception
    note, = [c.value for c in at.caption if "to compute" in c.value]
    rate = timed.timing["prompts_per_s"]
    assert note.startswith("3 runs to compute: about ") and "on this machine" in note
    assert f"tiny random llama {rate:.1f} prompts/s (measured on 1 run here)" in note
    assert "Not timed here yet: tiny:gpt2" in note
    assert "Cached already: tiny random llama · builtin-coinflip" in note


def test_the_quick_start_states_its_time_from_this_machines_rate(open_page, set_env, tmp_path):
    from concept_depth import run

    set_env(tmp_path / "empty")
    at = open_page()
    text = " ".join(m.value for m in at.markdown)
    assert "45 s" not in text and "has been timed on this machine yet" in text
    cache = tmp_path / "cache"
    timed = run(model="tiny:llama", dataset="builtin-coinflip", limit=20, cache_dir=cache, progress=False)
    set_env(cache)
    at = open_page()
    text = " ".join(m.value for m in at.markdown)
    assert "on this machine, from the rate it measured" in text
    assert f"{timed.timing['prompts_per_s']:.1f} prompts/s" in text
