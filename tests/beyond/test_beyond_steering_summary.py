"""Issue 22 item 17: the steering summary leads with the probe's own push the intended way and calls an
effect only when it beats the random push there; a large random push is no effect of the probe."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from concept_depth.analyses.steering import effect_line
from concept_depth.analyses.steering_effects import summary


def _tables(probe_all, random_all, excess_all, excess_sem, probe_c1=None, random_c1=None):
    """effects / excess of one layer and alphas (-4, 4) as effect_tables lays them out ([L'][A])."""
    probe_c1 = probe_all if probe_c1 is None else probe_c1
    random_c1 = random_all if random_c1 is None else random_c1
    sem = [[0.01, 0.01]]
    effects = {"probe": {"delta_all": [probe_all], "delta_all_sem": sem, "delta_class1": [probe_c1],
                         "delta_class1_sem": sem},
               "random": {"delta_all": [random_all], "delta_all_sem": sem, "delta_class1": [random_c1],
                          "delta_class1_sem": sem}}
    excess = {"all": {"mean": [excess_all], "sem": [excess_sem]},
              "class1": {"mean": [list(np.subtract(probe_c1, random_c1))], "sem": [excess_sem]}}
    return effects, excess


def test_a_random_push_that_moves_the_answer_is_not_an_effect_of_the_probe():
    # the reported case: probe -0.001 at alpha -4, random -0.290 there, "probe - random +0.289, z = 16.7"
    effects, excess = _tables([-0.001, 0.002], [-0.290, 0.001], [0.289, 0.001], [0.0173, 0.01])
    s = summary((6,), (-4.0, 4.0), effects, excess, [0.9], 100, 50)
    assert s["best"]["alpha"] == -4.0 and s["best"]["z"] == pytest.approx(16.7, abs=0.1)  # the old lead
    e = s["effect"]
    assert e["found"] is False  # the probe's own intended move is tiny; random moved the intended way more
    assert abs(e["probe_effect"]) < 0.01 and (e["z"] or 0) < 2


def test_a_probe_push_the_intended_way_beyond_random_is_an_effect():
    effects, excess = _tables([-0.30, 0.25], [-0.02, 0.01], [-0.28, 0.24], [0.02, 0.02])
    e = summary((6,), (-4.0, 4.0), effects, excess, [0.9], 100, 50)["effect"]
    assert e["found"] is True and e["alpha"] == -4.0 and e["probe_effect"] == pytest.approx(0.30)
    assert e["beyond_random"] == pytest.approx(0.28) and e["z"] == pytest.approx(14.0)


def test_a_probe_push_the_wrong_way_is_not_an_effect():
    effects, excess = _tables([0.20, -0.20], [0.0, 0.0], [0.20, -0.20], [0.01, 0.01])  # up for -4, down for +4
    e = summary((6,), (-4.0, 4.0), effects, excess, [0.9], 100, 50)["effect"]
    assert e["found"] is False and e["probe_effect"] < 0


def test_the_command_lines_sentence_leads_with_the_probes_own_move_and_calls_no_effect():
    # the reported case as ``steer`` prints it: the probe's own -0.001 first, the random -0.290 beside, no effect
    effects, excess = _tables([-0.001, 0.002], [-0.290, 0.001], [0.289, 0.001], [0.0173, 0.01])
    line = effect_line(SimpleNamespace(summary=summary((6,), (-4.0, 4.0), effects, excess, [0.9], 100, 50)))
    assert line.startswith("probe direction at layer 6, α = +4: p(class 1) moves +0.002 ")  # its own best move
    assert "0.29" not in line and line.endswith(": no effect beyond a random push of the same size")
    effects, excess = _tables([-0.30, 0.25], [-0.02, 0.01], [-0.28, 0.24], [0.02, 0.02])
    line = effect_line(SimpleNamespace(summary=summary((6,), (-4.0, 4.0), effects, excess, [0.9], 100, 50)))
    assert "α = -4: p(class 1) moves +0.300" in line and ": an effect: the probe direction" in line
