"""Multiple choice: per-question accuracy (argmax over options), chance mean 1/k, question-level control."""

from __future__ import annotations

import numpy as np
import pytest

from concept_depth.core.errors import BadInputError
from concept_depth.core.specs import ProbeSpec
from concept_depth.probing import LayerProbe, evaluate_layer, paper_split, probe_layers
from concept_depth.probing.choice import choice_scores, pick, question_control_labels, questions_of
from concept_depth.stats.outcomes import EvalOutcomes, outcomes_from_evals


def _questions(q=150, d=12, shift=1.0, seed=0, kmin=2, kmax=6):
    """q questions with kmin..kmax-1 options; options of a question share a vector; the correct one is shifted."""
    rng = np.random.default_rng(seed)
    ks = rng.integers(kmin, kmax, q)
    groups = np.repeat(np.arange(100, 100 + q), ks)  # ids need not start at 0
    X = (rng.normal(size=(q, d)) * 2.0)[groups - 100] + rng.normal(size=(len(groups), d))
    y = np.zeros(len(groups), dtype=np.int64)
    starts = np.concatenate([[0], np.cumsum(ks)[:-1]])
    y[starts + rng.integers(0, ks)] = 1
    X[:, 0] += shift * y
    return X.astype(np.float32), y, groups, ks


def test_questions_structure_and_validation():
    y = np.array([0, 1, 0, 1, 0, 0, 0, 1])
    groups = np.array([4, 4, 4, 2, 2, 9, 9, 9])
    qs = questions_of(y, groups)
    assert qs.ids.tolist() == [2, 4, 9] and qs.options.tolist() == [2, 3, 3]
    assert qs.correct_row.tolist() == [3, 1, 7] and qs.index.tolist() == [1, 1, 1, 0, 0, 2, 2, 2]
    assert qs.chance(np.array([0, 1])) == pytest.approx((1 / 2 + 1 / 3) / 2)
    with pytest.raises(BadInputError, match="exactly one"):
        questions_of(np.array([1, 1, 0, 0]), np.array([1, 1, 2, 2]))
    with pytest.raises(BadInputError, match="option"):
        questions_of(np.array([1, 1, 0]), np.array([1, 2, 2]))
    with pytest.raises(BadInputError, match="1 for the correct"):
        questions_of(np.array([2, 0]), np.array([1, 1]))


def test_pick_is_the_top_scored_option_with_ties_to_the_first():
    y = np.array([0, 1, 0, 1, 0, 0])
    groups = np.array([0, 0, 0, 1, 1, 1])
    qs = questions_of(y, groups)
    units, picked = pick(np.array([0.1, 0.9, 0.3, 0.5, 0.5, 0.2]), np.arange(6), qs)
    assert units.tolist() == [0, 1] and picked.tolist() == [1, 3]
    scores, units, picked, right = choice_scores(y, np.array([0.1, 0.9, 0.3, 0.2, 0.8, 0.1]), np.arange(6), qs)
    assert right.tolist() == [True, False] and scores["accuracy"] == 0.5 and np.isnan(scores["f1"])
    assert scores["auc"] == pytest.approx(0.75)  # per option: 3 of the 4 (correct, wrong) pairs ordered right


def test_paper_accuracy_is_per_question_on_a_split_by_question():
    X, y, groups, ks = _questions()
    spec = ProbeSpec()
    ev = evaluate_layer(X, y, spec, layer=4, keep_predictions=True, groups=groups, multiple_choice=True)
    train, test = paper_split(len(y), spec.seed, spec.test_size, groups=groups)
    # by hand: fit per option on the training questions, answer each test question with its top option
    probe = LayerProbe("lr").fit(X[train], y[train])
    s = probe.decision_function(X)
    hand = [g for g in np.unique(groups[test]) if np.argmax(np.where(groups == g, s, -np.inf)) == np.flatnonzero(
        (groups == g) & (y == 1))[0]]
    test_q = np.unique(groups[test])
    assert ev.multiple_choice and ev.n_eval == len(test_q)
    assert ev.scores["accuracy"] == pytest.approx(len(hand) / len(test_q))
    assert ev.chance == pytest.approx(np.mean([1 / np.sum(groups == g) for g in test_q]))
    assert np.allclose(ev.eval_chances, [1 / np.sum(groups == g) for g in test_q])
    assert ev.scores["accuracy"] > ev.chance + 0.2 and np.isnan(ev.scores["f1"]) and ev.scores["auc"] > 0.5
    # per-question outcomes: the bit per evaluation unit
    assert ev.unit_ids.tolist() == sorted(set(groups.tolist())) and ev.unit_options.tolist() == ks.tolist()
    assert ev.unit_is_eval.sum() == ev.n_eval and set(ev.unit_ids[ev.unit_is_eval]) == set(test_q)
    assert ev.unit_correct[ev.unit_is_eval].mean() == pytest.approx(ev.scores["accuracy"])
    assert not ev.unit_correct[~ev.unit_is_eval].any() and (ev.unit_pick[~ev.unit_is_eval] == -1).all()
    picked = ev.unit_pick[ev.unit_is_eval]
    assert (ev.pred[picked] == 1).all() and ev.pred[ev.is_eval].sum() == ev.n_eval
    assert (ev.pred[~ev.is_eval] == -1).all() and np.isnan(ev.score[~ev.is_eval]).all()
    # the control picks a random option as "correct", one per question: near chance
    assert abs(ev.scores["control_accuracy"] - ev.chance) < 0.15


def test_question_control_keeps_one_correct_option_per_question():
    _, y, groups, ks = _questions(q=300)
    qs = questions_of(y, groups)
    yc = question_control_labels(qs, seed=3)
    assert np.array_equal(np.bincount(qs.index, weights=yc).astype(int), np.ones(qs.n, dtype=int))
    assert np.array_equal(yc, question_control_labels(qs, seed=3)) and not np.array_equal(yc, y)
    # uniform over options: the first option is the control's correct one in about 1/k of the questions
    first = np.concatenate([[0], np.cumsum(ks)[:-1]])
    assert abs(yc[first].mean() - np.mean(1 / ks)) < 0.08


def test_cv_scores_every_question_out_of_fold():
    X, y, groups, ks = _questions(q=120)
    ev = evaluate_layer(X, y, ProbeSpec(protocol="cv", folds=4), keep_predictions=True, groups=groups,
                        multiple_choice=True)
    assert ev.n_eval == 120 and ev.unit_is_eval.all() and ev.is_eval.all()
    assert ev.chance == pytest.approx(np.mean(1 / ks))
    assert ev.scores["accuracy_std"] is not None and ev.scores["f1_std"] is None
    assert ev.unit_correct.mean() == pytest.approx(ev.scores["accuracy"], abs=0.05)  # pooled vs mean of folds
    assert ev.scores["accuracy"] > ev.chance + 0.2 and abs(ev.scores["control_accuracy"] - ev.chance) < 0.15


@pytest.mark.parametrize("probe", ["lr", "mass-mean", "rf", "reading"])
def test_every_probe_family_answers_questions(probe):
    X, y, groups, _ = _questions(shift=2.0)
    ev = evaluate_layer(X, y, ProbeSpec(probe=probe), groups=groups, multiple_choice=True)
    assert ev.scores["accuracy"] > ev.chance + 0.15, probe


@pytest.mark.parametrize("protocol", ["paper", "cv"])
def test_reading_vector_reads_through_offsets_shared_by_the_options_of_a_question(protocol):
    # every question's options share a large offset; the within-question differences cancel it
    X, y, groups, _ = _questions(q=80, d=40, shift=2.0, seed=2)
    X = X + (np.random.default_rng(9).normal(size=(80, 40)) * 30.0)[groups - 100].astype(np.float32)
    reading = evaluate_layer(X, y, ProbeSpec(probe="reading", protocol=protocol), groups=groups,
                             multiple_choice=True)
    assert reading.scores["accuracy"] > reading.chance + 0.2


def test_refusals_are_one_line_errors():
    X, y, groups, _ = _questions(q=20)
    with pytest.raises(BadInputError, match="question id"):
        evaluate_layer(X, y, ProbeSpec(), multiple_choice=True)
    with pytest.raises(BadInputError, match="reading vector"):
        evaluate_layer(X, y, ProbeSpec(probe="reading"))
    y2 = y.copy()
    y2[0] = 1 - y2[0]
    with pytest.raises(BadInputError, match="correct option"):
        evaluate_layer(X, y2, ProbeSpec(), groups=groups, multiple_choice=True)
    with pytest.raises(BadInputError, match="groups"):
        evaluate_layer(X, y, ProbeSpec(protocol="cv", folds=30), groups=groups, multiple_choice=True)


def test_probe_layers_multiple_choice_parallel_equals_serial():
    X, y, groups, _ = _questions(q=200, d=300)  # > 200k values: workers
    spec = ProbeSpec(control=False)
    serial = probe_layers(lambda l: X * (l + 1), [1, 2, 3], y, spec, n_jobs=1, groups=groups, multiple_choice=True)
    par = probe_layers(lambda l: X * (l + 1), [1, 2, 3], y, spec, n_jobs=2, groups=groups, multiple_choice=True)
    for a, b in zip(serial, par):
        assert a.scores["accuracy"] == b.scores["accuracy"] and np.array_equal(a.unit_correct, b.unit_correct)
        assert a.multiple_choice and a.chance == b.chance


def test_outcomes_are_one_bit_per_question_and_round_trip():
    X, y, groups, ks = _questions(q=60)
    evals = probe_layers(lambda l: X * (l + 1), [0, 1], y, ProbeSpec(control=False), n_jobs=1,
                         keep_predictions=True, groups=groups, multiple_choice=True)
    out = outcomes_from_evals(evals, y)
    assert out.multiple_choice and out.n_samples == 60 and out.n_eval == evals[0].n_eval
    assert out.accuracy(1) == pytest.approx(evals[1].scores["accuracy"])
    assert np.array_equal(out.options, ks[evals[0].unit_is_eval]) and out.labels.all()
    assert np.allclose(out.unit_chance, evals[0].eval_chances)
    back = EvalOutcomes.from_dict(out.to_dict())
    assert np.array_equal(back.options, out.options) and np.array_equal(back.correct[0], out.correct[0])
    binary = EvalOutcomes.from_dict({k: v for k, v in out.to_dict().items() if k != "options"})
    assert not binary.multiple_choice and binary.unit_chance is None
