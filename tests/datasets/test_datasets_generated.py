"""Noise, selection with limit, built-in generated datasets, and the `datasets` command."""

from __future__ import annotations

import re

import numpy as np
import pytest

from concept_depth.cli.main import main
from concept_depth.core.errors import BadInputError
from concept_depth.core.specs import DatasetSpec, NoiseSpec
from concept_depth.datasets import apply_noise, load_samples
from concept_depth.datasets.builtin import generate_capitals, generate_coinflip
from concept_depth.datasets.selection import select_indices

TEXTS = [f"The quick brown fox number {i} jumps over the lazy dog." for i in range(40)]


def test_paper_noise_is_a_seeded_aaa_or_bbb_prefix():
    a = apply_noise(TEXTS, NoiseSpec("paper", seed=1))
    assert a == apply_noise(TEXTS, NoiseSpec("paper", seed=1))
    assert a != apply_noise(TEXTS, NoiseSpec("paper", seed=2))
    assert all(n in ("aaa" + t, "bbb" + t) for n, t in zip(a, TEXTS))
    assert {n[:3] for n in a} == {"aaa", "bbb"}


def test_typo_noise_is_seeded_and_graded():
    light = apply_noise(TEXTS, NoiseSpec("typos", strength=0.05, seed=0))
    assert light == apply_noise(TEXTS, NoiseSpec("typos", strength=0.05, seed=0))
    assert light != apply_noise(TEXTS, NoiseSpec("typos", strength=0.05, seed=1))
    heavy = apply_noise(TEXTS, NoiseSpec("typos", strength=0.5, seed=0))

    def changed(noisy):
        return sum(a != b for x, y in zip(noisy, TEXTS) for a, b in zip(x, y)) / sum(map(len, TEXTS))
    assert 0 < changed(light) < changed(heavy)
    assert apply_noise(TEXTS, NoiseSpec("typos", strength=0.0, seed=3)) == TEXTS
    assert apply_noise(TEXTS, NoiseSpec()) == TEXTS


def test_noise_goes_into_the_text_not_the_template():
    clean = load_samples(DatasetSpec(name="builtin-coinflip", limit=10))
    noisy = load_samples(DatasetSpec(name="builtin-coinflip", limit=10, noise=NoiseSpec("paper", seed=5)))
    assert noisy.template == clean.template
    assert all(n[3:] == c for n, c in zip(noisy.texts, clean.texts))
    assert noisy.content_hash != clean.content_hash and "paper noise (seed 5)" in noisy.notes[-1]


def test_limit_keeps_the_first_limit_half_of_each_class_in_file_order():
    labels = np.array([1, 1, 1, 0, 1, 0, 0, 0, 1, 0])
    assert list(select_indices(labels, limit=4)) == [0, 1, 3, 5]
    assert list(select_indices(labels, limit=5)) == [0, 1, 3, 5]  # odd limit: floor(5 / 2) per class
    assert list(select_indices(labels, caps=(1, 3), limit=100)) == [0, 1, 2, 3]
    assert list(select_indices(labels)) == list(range(10))
    with pytest.raises(BadInputError, match="at least 2"):
        select_indices(labels, limit=1)


def test_limit_on_a_generated_dataset_is_balanced_and_a_prefix():
    full = load_samples(DatasetSpec(name="builtin-capitals"))
    part = load_samples(DatasetSpec(name="builtin-capitals", limit=51))
    assert part.class_counts == (25, 25)
    for cls in (0, 1):
        want = [t for t, y in zip(full.texts, full.labels) if y == cls][:25]
        assert [t for t, y in zip(part.texts, part.labels) if y == cls] == want


def test_builtin_coinflip_is_balanced_correct_and_stable_per_seed():
    raw = generate_coinflip(n=200, seed=3)
    assert raw.labels.count(0) == raw.labels.count(1) == 100
    for text, label in zip(raw.texts, raw.labels):
        flips = len(re.findall(r"\w+ flips the coin", text))
        assert (flips % 2 == 0) == bool(label)
    assert raw.texts == generate_coinflip(n=200, seed=3).texts
    assert raw.texts != generate_coinflip(n=200, seed=4).texts
    a = load_samples(DatasetSpec(name="BUILTIN-COINFLIP", variant="seed=7"))
    assert a.content_hash == load_samples(DatasetSpec(name="builtin-coinflip", variant="7")).content_hash
    assert a.content_hash != load_samples(DatasetSpec(name="builtin-coinflip")).content_hash
    with pytest.raises(BadInputError, match="seed="):
        load_samples(DatasetSpec(name="builtin-coinflip", variant="rationale"))


def test_builtin_capitals_true_and_false_statements():
    raw = generate_capitals(seed=0)
    n = raw.labels.count(1)
    assert n > 150 and raw.labels.count(0) == n
    stmt = dict(zip(raw.texts, raw.labels))
    assert stmt["The capital of France is Paris."] == 1
    assert stmt["The capital of Japan is Tokyo."] == 1
    false_france = [t for t, y in stmt.items() if y == 0 and t.startswith("The capital of France is ")]
    assert len(false_france) == 1 and false_france[0] != "The capital of France is Paris."
    assert raw.texts == generate_capitals(seed=0).texts and raw.texts != generate_capitals(seed=1).texts


def test_datasets_command_lists_and_describes(capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("CONCEPT_DEPTH_CACHE", str(tmp_path))
    assert main(["datasets", "--data-dir", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert re.search(r"cities\s+factual\s+748 false / 748 true\s+no", out)
    assert re.search(r"builtin-coinflip\s+inferential\s+250 no / 250 yes\s+builtin", out)
    assert main(["datasets", "builtin-coinflip", "--limit", "6"]) == 0
    out = capsys.readouterr().out
    assert "samples: 6 = 3 no (0) / 3 yes (1)" in out and "first prompt:" in out
    assert main(["datasets", "nope"]) == 2
    assert capsys.readouterr().err.startswith("error: unknown dataset 'nope'")
