"""The probe analysis on multiple-choice and grouped datasets: per-question accuracy at chance 1/k, splits that
keep a question (or a pair of one fact) together, the reading-vector probe, and a custom file that is the
built-in dataset gives the built-in numbers."""

from __future__ import annotations

import json

import numpy as np
import pytest

from concept_depth.analyses.probe import groups_of, layer_predictions, run_probe
from concept_depth.core.errors import BadInputError
from concept_depth.core.specs import RunSpec
from concept_depth.datasets import load_samples
from concept_depth.datasets.registry import get_entry
from concept_depth.stats.outcomes import run_outcomes


def _run(store, loader, **options):
    return run_probe(RunSpec.from_options(model="tiny:llama", **options), store=store, model_loader=loader, n_jobs=1)


@pytest.fixture
def loader(tiny_models):
    return lambda spec: tiny_models(spec.source.split(":")[1], spec.quant)


def test_a_multiple_choice_run_scores_questions_at_chance_one_in_k(store, loader):
    run = _run(store, loader, dataset="arc-easy", limit=40)
    samples = load_samples(run.request.extraction.dataset)
    k = np.asarray(samples.questions.n_options)
    assert run.n_samples == len(samples) == int(k.sum()) and len(k) == 40
    mc = run.extra["multiple_choice"]
    assert mc["n_questions"] == 40 and mc["unit"] == "question"
    assert sum(mc["options"].values()) == 40 and mc["chance"] == pytest.approx(float(np.mean(1 / k)))
    # chance of the evaluated questions (the 40 % test split of question ids): mean 1/k, not a majority rate
    assert 0.2 <= run.depth.chance <= 0.34 and run.extra["n_eval"] == 16
    data = json.loads(run.to_json())
    assert all(layer["f1"] is None for layer in data["layers"])  # undefined per question: JSON null, not NaN
    assert data["depth"]["chance"] == pytest.approx(run.depth.chance) and data["multiple_choice"]["n_questions"] == 40
    # one outcome bit per evaluated question, and the accuracy is the share of them right
    out = run_outcomes(run)
    assert out.n_eval == 16 and list(out.options) and out.unit_chance.mean() == pytest.approx(run.depth.chance)
    for layer in run.layer_numbers:
        assert out.accuracy(layer) == pytest.approx(run.layers[run.layer_numbers.index(layer)].accuracy)
    # the stored group sizes rebuild each row's question, and a refit agrees with the run
    assert np.array_equal(groups_of(run), samples.groups)
    pred = layer_predictions(store, run, run.layer_numbers[-1])
    picked = pred.is_eval & (pred.pred == 1)
    assert picked.sum() == 16  # one option picked per evaluated question
    assert pred.correct[picked].mean() == pytest.approx(run.layers[-1].accuracy)


def test_the_split_never_separates_the_options_of_a_question(store, loader):
    run = _run(store, loader, dataset="arc-easy", limit=40)
    pred = layer_predictions(store, run, 1)
    groups = groups_of(run)
    for q in np.unique(groups):
        assert len(set(pred.is_eval[groups == q].tolist())) == 1, q


def test_a_custom_file_of_the_same_questions_gives_the_built_in_numbers(store, loader, tmp_path):
    built_in = _run(store, loader, dataset="arc-easy", limit=30)
    questions = load_samples(built_in.request.extraction.dataset).questions
    path = tmp_path / "arc.jsonl"
    path.write_text("\n".join(json.dumps({"question": q, "choices": list(o), "answer": int(a)})
                              for q, o, a in zip(questions.texts, questions.options, questions.answers)) + "\n")
    custom = _run(store, loader, dataset_file=str(path), text_col="question", choices_col="choices",
                  answer_col="answer", prompt=get_entry("arc-easy").template, limit=30)
    same = [load_samples(r.request.extraction.dataset) for r in (built_in, custom)]
    assert same[0].prompts == same[1].prompts and same[0].content_hash == same[1].content_hash
    assert [s.accuracy for s in custom.layers] == [s.accuracy for s in built_in.layers]
    assert custom.depth.chance == built_in.depth.chance


def test_the_reading_vector_probe_needs_groups_and_runs_on_questions(store, loader):
    run = _run(store, loader, dataset="arc-easy", limit=40, probe="reading")
    assert run.spec["probe"] == "reading" and 0 <= run.layers[-1].accuracy <= 1
    assert run.extra["n_eval"] == 16
    with pytest.raises(BadInputError, match="reading vector.*groups"):
        _run(store, loader, dataset="builtin-capitals", limit=40, probe="reading")


def test_group_col_keeps_counterfacts_two_versions_of_a_fact_together(store, loader):
    grouped = _run(store, loader, dataset="counterfact", limit=60, group_col="relation,subject,true_target")
    plain = _run(store, loader, dataset="counterfact", limit=60)
    assert grouped.key != plain.key and "groups" in grouped.extra and "groups" not in plain.extra
    pred = layer_predictions(store, grouped, 1)
    groups = groups_of(grouped)
    for g in np.unique(groups):
        assert len(set(pred.is_eval[groups == g].tolist())) == 1
    assert "multiple_choice" not in grouped.extra  # binary pairs: scored per statement, chance the majority rate
