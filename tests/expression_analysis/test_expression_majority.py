"""maj@n (majority-vote accuracy) next to pass@n: definitions, the coin flipper, stored results."""

from __future__ import annotations

import numpy as np
import pytest

from concept_depth.analyses.expression import ExpressionResult, ExpressionSpec, run_expression, scoring
from concept_depth.core.specs import DatasetSpec, ModelSpec
from concept_depth.storage.store import Store


def test_coin_flipper_passes_but_does_not_win_a_vote():
    coin = np.full(100, 0.5)
    assert scoring.pass_at_n(coin, [16])[0] == pytest.approx(1 - 0.5 ** 16) == scoring.coin_flipper_pass_at_n([16])[0]
    assert scoring.pass_at_n(coin, [16])[0] > 0.9999  # "pass@16 ≈ 1" of a model that knows nothing
    assert scoring.maj_at_n(coin, [1, 3, 15]) == pytest.approx([0.5, 0.5, 0.5])


def test_maj_at_n_is_exact_majority_vote_accuracy():
    rng = np.random.default_rng(0)
    right = rng.uniform(size=300)
    maj = scoring.maj_at_n(right, [1, 3, 5])
    assert maj[0] == pytest.approx(scoring.pass_at_n(right, [1])[0])  # maj@1 = pass@1
    # by hand for n = 3: P(at least 2 of 3 right)
    assert maj[1] == pytest.approx(np.mean(3 * right ** 2 * (1 - right) + right ** 3))
    # against sampling 5 answers and taking the majority
    votes = (rng.uniform(size=(4000, 5, 300)) < right).sum(axis=1) >= 3
    assert votes.mean() == pytest.approx(maj[2], abs=0.005)
    # many votes: the share of questions the model leans right on (its greedy accuracy)
    assert scoring.maj_at_n(right, [2001])[0] == pytest.approx(np.mean(right > 0.5), abs=0.01)
    with pytest.raises(ValueError, match="odd"):
        scoring.maj_at_n(right, [4])
    table = scoring.maj_table(right, 6)
    assert [t["n"] for t in table] == [1, 3, 5] and table[1]["maj"] == pytest.approx(maj[1])


def test_expression_result_stores_maj_at_n(tiny_models, tmp_path):
    from concept_depth.datasets import SampleSet

    texts = tuple(f"Statement {i}: the coin is {'heads' if i % 2 else 'tails'} up." for i in range(24))
    samples = SampleSet(name="toy", category="custom", template="{text} Is it true?", texts=texts,
                        labels=np.array([i % 2 for i in range(24)], dtype=np.int64), answer_words=("no", "yes"))
    spec = ExpressionSpec(model=ModelSpec(source="tiny:llama"), dataset=DatasetSpec(name="toy"), shots=(1,),
                          pool_size=8, max_n=5, probe=False)
    result = run_expression(spec, store=Store(tmp_path), samples=samples, model_loader=lambda s: tiny_models("llama"))
    zero = result.shot(0)
    right = scoring.p_correct(np.array(zero["p_class1"]), np.array(result.labels))
    assert [m["n"] for m in result.maj_at_n] == [1, 3, 5]
    assert [m["maj"] for m in result.maj_at_n] == pytest.approx(scoring.maj_at_n(right, [1, 3, 5]), abs=1e-5)
    assert result.shot(1)["maj_at_n"][0]["maj"] == pytest.approx(result.shot(1)["pass1"])
    again = ExpressionResult.from_dict(result.to_dict())
    assert again.maj_at_n == result.maj_at_n
