"""A probe far below chance is a finding (issue 22 item 18): transfer heatmaps mark such cells and say why."""

from __future__ import annotations

from concept_depth.analyses import TransferResult
from concept_depth.figures import transfer_heatmap
from concept_depth.figures.transfer import BELOW


def _transfer(n_test: int) -> TransferResult:
    # counterfact read by a cities probe: 0.22 on 400 held-out samples, chance 0.5
    acc = [[[0.9, 0.22], [0.45, 0.8]]]
    return TransferResult(key="t", spec={"model": "m", "model_label": "M", "dataset": "cities + counterfact",
                                         "quant": 32, "probe": "lr", "probe_name": "logistic regression"},
                          datasets=("cities", "counterfact"), layers=(6,), accuracy=acc, auc=[[[None] * 2] * 2],
                          chance=[0.5, 0.5], n_train=[600, 600], n_test=[n_test, n_test],
                          summary={"best_transfer_layer": 6})


def test_a_transfer_cell_below_chance_beyond_the_test_is_marked_with_its_likely_cause():
    fig = transfer_heatmap(_transfer(400))
    hm = fig.data[0]
    assert hm.text[0][1] == f"0.22 {BELOW}" and hm.meta["below_chance"] == [[0, 1]]
    assert hm.text[1][0] == "0.45"  # 180 of 400: below 0.5 but inside the noise of four cells
    title = fig.layout.title.text
    assert "below chance beyond the binomial test" in title and "--group-col" in title
    assert fig.layout.margin.t >= 24 + 2 * 17  # three title lines fit


def test_few_held_out_samples_mark_nothing():
    fig = transfer_heatmap(_transfer(8))
    assert BELOW not in str(fig.data[0].text) and "below chance" not in fig.layout.title.text
