"""Expression engine on tiny random models: logit lens, few-shot hygiene, pass@n, caching, CLI."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
import torch

from concept_depth.analyses.expression import (
    ExpressionSpec,
    build_prompt,
    example_order,
    lens_distribution,
    resolve_answer_words,
    run_expression,
    score_prompts,
    scoring,
    split_pool,
)
from concept_depth.cli.main import main
from concept_depth.core.errors import BadInputError
from concept_depth.core.specs import DatasetSpec, ModelSpec
from concept_depth.datasets import SampleSet
from concept_depth.models import load_model
from concept_depth.storage.store import Store

PROMPTS = ["The city of Paris is in France. Answer:", "A coin is heads up. Bob does not flip the coin. Is the coin",
           "This movie was terrible, boring and far too long. The answer is", "yes"]


@pytest.fixture(scope="module")
def tiny():
    cache = {}

    def get(arch: str):
        if arch not in cache:
            cache[arch] = load_model(ModelSpec(source=f"tiny:{arch}"), device="cpu")
        return cache[arch]
    return get


def toy_samples(n: int = 40) -> SampleSet:
    texts = tuple(f"Statement {i}: the coin is {'heads' if i % 2 else 'tails'} up." for i in range(n))
    return SampleSet(name="toy", category="custom", template="{text} Is it true?", texts=texts,
                     labels=np.array([i % 2 for i in range(n)], dtype=np.int64), answer_words=("no", "yes"))


def _own_logprobs(loaded, prompt: str) -> torch.Tensor:
    """The model's own next-token log-probs from a plain full forward (logits included)."""
    with torch.no_grad():
        logits = loaded.model(**loaded.tokenizer(prompt, return_tensors="pt")).logits[0, -1].float()
    return torch.log_softmax(logits, -1)


@pytest.mark.parametrize("arch", ["llama", "gemma", "gpt2"])
def test_last_layer_lens_is_the_models_own_distribution(tiny, arch):
    loaded = tiny(arch)
    lens, _ = lens_distribution(loaded, PROMPTS[2])
    own = _own_logprobs(loaded, PROMPTS[2])
    assert lens.shape == (loaded.n_layers + 1, own.shape[0])
    torch.testing.assert_close(lens[-1], own, atol=1e-5, rtol=1e-5)
    assert (lens[1] - own).abs().max() > 1e-3  # an earlier layer differs: the check can fail
    # the answer-column version used by run_expression agrees too, batched and padded
    ids = resolve_answer_words(loaded.tokenizer, ("no", "yes")).all_ids
    batched = score_prompts(loaded, PROMPTS, ids, batch_size=4)
    single = score_prompts(loaded, PROMPTS, ids, batch_size=1)
    np.testing.assert_allclose(batched.lens[:, -1], batched.final, atol=1e-5)
    np.testing.assert_allclose(batched.lens, single.lens, atol=1e-5)
    np.testing.assert_allclose(batched.final_lse, single.final_lse, atol=1e-5)
    np.testing.assert_allclose(batched.final[2], own[list(ids)].numpy() + batched.final_lse[2], atol=1e-4)


@pytest.mark.parametrize("arch", ["gemma", "gpt2"])
def test_shared_prefix_cache_changes_no_number(tiny, arch):
    # few-shot prompts share a prefix longer than the tiny gemma's 24-token sliding window
    shots = "Is it true? The city of Paris is in France. Answer: yes\n\nIs it true? Tokyo is in Spain. Answer: no\n\n"
    prompts = [shots + f"Is it true? {q} Answer:" for q in ("Hi", "Berlin is the capital of Germany.", "no")]
    loaded = tiny(arch)
    ids = resolve_answer_words(loaded.tokenizer, ("no", "yes")).all_ids
    cached = score_prompts(loaded, prompts, ids, batch_size=3)
    plain = score_prompts(loaded, prompts, ids, batch_size=1, reuse_prefix=False)
    assert cached.n_tokens.min() > 30
    np.testing.assert_allclose(cached.lens, plain.lens, atol=1e-5)
    own = np.stack([_own_logprobs(loaded, p)[list(ids)].numpy() for p in prompts])
    np.testing.assert_allclose(cached.final - cached.final_lse[:, None], own, atol=1e-5)


def test_pool_and_examples_never_overlap_evaluation():
    labels = np.array([0, 1] * 30)
    pool, evaluation = split_pool(labels, 16, seed=3)
    assert len(pool) == 16 and set(pool).isdisjoint(evaluation) and len(pool) + len(evaluation) == 60
    assert np.bincount(labels[pool]).tolist() == [8, 8]
    order = example_order(pool, labels, seed=3)
    assert sorted(order) == sorted(pool)
    assert all(labels[order[i]] != labels[order[i + 1]] for i in range(len(order) - 1))  # classes alternate
    pool2, _ = split_pool(labels, 16, seed=4)
    assert set(pool2) != set(pool)  # the seed matters
    with pytest.raises(BadInputError):
        split_pool(np.array([0, 1, 0]), 8, seed=0)


def test_build_prompt_format():
    prompt = build_prompt("Q: {text}", "query", [("a", "Yes"), ("b", "No")], cue="\nAnswer:")
    assert prompt == "Q: a\nAnswer: Yes\n\nQ: b\nAnswer: No\n\nQ: query\nAnswer:"
    assert build_prompt("Q: {text}", "query", []) == "Q: query"


def test_pass_at_n_definitions():
    rng = np.random.default_rng(0)
    p1 = rng.uniform(size=500)
    labels = rng.integers(0, 2, size=500)
    right = scoring.p_correct(p1, labels)
    passes = scoring.pass_at_n(right, range(1, 17))
    assert passes[0] == pytest.approx(right.mean())  # pass@1 = mean probability of a right answer
    assert all(a <= b for a, b in zip(passes, passes[1:]))
    # exact pass@n matches sampling n answers from the two-way distribution
    draws = rng.uniform(size=(4000, 500)) < p1  # sampled answer == 1
    sampled_right = draws == labels.astype(bool)
    assert sampled_right[0:4000].mean() == pytest.approx(passes[0], abs=0.01)
    assert sampled_right.reshape(1000, 4, 500).any(axis=1).mean() == pytest.approx(passes[3], abs=0.01)
    # greedy accuracy: argmax of the same distribution; equal to pass@1 for confident answers
    assert scoring.answer_accuracy(p1, labels) == pytest.approx(np.mean((p1 > 0.5) == labels))
    sure = (p1 > 0.5).astype(float)
    assert scoring.pass_at_n(scoring.p_correct(sure, labels), [1])[0] == pytest.approx(
        scoring.answer_accuracy(sure, labels))
    # a biased model that always answers 1 still ranks the classes: accuracy = share of 1, AUC = 1
    biased = np.where(labels == 1, 0.9, 0.6)
    assert scoring.answer_accuracy(biased, labels) == pytest.approx(labels.mean())
    assert scoring.answer_auc(biased, labels) == pytest.approx(1.0)
    assert scoring.answer_auc(biased, np.ones(500)) is None
    # two_way_p1 sums the probabilities of each word's tokens
    logits = np.log(np.array([[0.1, 0.2, 0.3, 0.1]]))  # class 0: 0.1+0.2, class 1: 0.3+0.1
    assert scoring.two_way_p1(logits, 2)[0] == pytest.approx(0.4 / 0.7)


def test_run_expression_end_to_end_and_cached(tiny, tmp_path):
    store = Store(tmp_path)
    samples = toy_samples(40)
    spec = ExpressionSpec(model=ModelSpec(source="tiny:llama"), dataset=DatasetSpec(name="toy"), shots=(2, 1),
                          pool_size=8, max_n=4, probe=False)
    events = []
    result = run_expression(spec, store=store, samples=samples, model_loader=lambda s: tiny("llama"),
                            progress=lambda e: events.append(e))
    assert [s["k"] for s in result.shots] == [0, 1, 2]
    shown = {i for s in result.shots for i in s["examples"]}
    assert shown and shown.isdisjoint(result.eval_indices)  # no leakage
    assert len(result.eval_indices) == 32 and result.summary["n_eval"] == 32
    assert result.shot(2)["examples"][:1] == result.shot(1)["examples"]  # nested example sets
    zero = result.shot(0)
    p1 = np.array(zero["p_class1"])
    y = np.array(result.labels)
    assert zero["pass1"] == pytest.approx(scoring.p_correct(p1, y).mean(), abs=1e-5)
    assert zero["pass_at_n"][0] == pytest.approx(zero["pass1"])
    assert zero["accuracy"] == pytest.approx(np.mean((p1 > 0.5) == y))
    assert zero["predicted_class1"] == pytest.approx(np.mean(p1 > 0.5))
    assert result.summary["final_answer_auc"] == zero["auc"] and len(result.layers[0]) == 6
    assert result.layers[-1]["lens_accuracy"] == pytest.approx(zero["accuracy"])  # lens at L = the answer
    assert len(result.layers) == tiny("llama").n_layers + 1
    assert events[-1].stage == "expression" and events[-1].done == events[-1].total == 96

    def no_load(_spec):
        raise AssertionError("a cached result must not load the model")
    again = run_expression(spec, store=store, samples=samples, model_loader=no_load)
    assert again.cached and again.summary == result.summary
    other = run_expression(spec.with_changes(seed=1), store=store, samples=samples,
                           model_loader=lambda s: tiny("llama"))
    assert not other.cached and other.key != result.key


def test_encoder_and_bad_words_are_clear_errors(tiny, tmp_path):
    spec = ExpressionSpec(model=ModelSpec(source="tiny:gpt2"), dataset=DatasetSpec(name="toy"),
                          answer_words=("Negative", "Positive"), probe=False)
    with pytest.raises(BadInputError, match="single token"):
        run_expression(spec, store=Store(tmp_path), samples=toy_samples(), model_loader=lambda s: tiny("gpt2"))
    encoder = SimpleNamespace(is_decoder=False, label="all-MiniLM-L6-v2 (encoder)", tokenizer=None)
    with pytest.raises(BadInputError, match="encoder"):
        run_expression(spec.with_changes(answer_words=None), store=Store(tmp_path), samples=toy_samples(),
                       model_loader=lambda s: encoder)


def test_cli_expression(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    out = tmp_path / "r.json"
    args = ["expression", "--model", "tiny:gpt2", "--dataset", "builtin-coinflip", "--limit", "24", "--shots",
            "0,1", "--pool-size", "4", "--no-probe", "--quiet", "--cache-dir", str(tmp_path), "--out", str(out)]
    assert main(args) == 0
    text = capsys.readouterr().out
    assert "final answer accuracy" in text and "pass@n" in text and out.exists()
    assert main(args[:-2] + ["--answer-words", "Negative,Positive"]) == 2
    assert capsys.readouterr().err.startswith("error: neither answer word")
    assert main(args[:-2] + ["--shots", "0,x"]) == 2


def test_probe_curve_and_gap(tiny, tmp_path):
    store = Store(tmp_path)
    spec = ExpressionSpec(model=ModelSpec(source="tiny:qwen"), dataset=DatasetSpec(name="toy"), shots=(0,),
                          pool_size=0, max_n=2)
    result = run_expression(spec, store=store, samples=toy_samples(40), model_loader=lambda s: tiny("qwen"))
    assert result.has_probe and result.spec["probe_run_key"]
    for row in result.layers:
        assert row["gap"] == pytest.approx(row["probe_accuracy"] - row["lens_accuracy"])
    s = result.summary
    best = max(r["probe_accuracy"] for r in result.layers)
    assert s["best_probe_accuracy"] == best
    assert s["gap"] == pytest.approx(best - s["final_answer_accuracy"])
    assert len(result.eval_indices) == 40  # no pool: every sample evaluated
