"""A real checkpoint series, made by the tests: a tiny Llama trained on a synthetic coin-flip concept.

The concept: two people each flip a coin or not; is it still heads up? (yes when both or neither
flip: the XOR of two words, which no single word gives away and a random model reads at most
weakly.) The tiny random Llama of ``concept_depth.models.tiny`` (3 layers, hidden size 64) is
trained with torch on the CPU, seeded and single-threaded, to answer " yes" / " no" after
``"\\nAnswer:"`` (the expression analysis' cue), and saved with ``save_pretrained`` at
:data:`STEPS`, one folder per checkpoint. The training takes about 10 s of CPU (longer on a busy
machine), so it is a session fixture, made once.
"""

from __future__ import annotations

import csv
import random
import time
from pathlib import Path
from types import SimpleNamespace

import pytest
import torch
import transformers

from concept_depth.analyses.expression.answer_words import resolve_answer_words
from concept_depth.models.tiny import build_tiny

#: Checkpoints saved (optimizer steps); step 0 is the random initialisation.
STEPS = (0, 100, 200, 300)
NAMES = ("Alice", "Bob", "Carol", "Dave", "Eve", "Frank", "Grace", "Heidi", "Ivan", "Judy", "Mallory", "Oscar")
CUE = "\nAnswer:"


def coin_rows(n: int, seed: int) -> list[tuple[str, int]]:
    """``n`` (text, label) pairs, the four flip patterns in turn (balanced), names drawn with ``seed``."""
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        a, b = rng.sample(NAMES, 2)
        f1, f2 = i % 2, (i // 2) % 2
        act = lambda f: "flips" if f else "does not flip"  # noqa: E731
        rows.append((f"A coin is heads up. {a} {act(f1)} the coin. {b} {act(f2)} the coin. "
                     f"Is the coin still heads up?", int(f1 == f2)))
    return rows


def _batch(tokenizer, texts: list[str]) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Right-padded ids, their mask and each row's last real position (as the capture core pads)."""
    seqs = [tokenizer(t)["input_ids"] for t in texts]
    ids = torch.full((len(seqs), max(map(len, seqs))), tokenizer.pad_token_id)
    mask = torch.zeros_like(ids)
    for i, s in enumerate(seqs):
        ids[i, :len(s)] = torch.tensor(s)
        mask[i, :len(s)] = 1
    return ids, mask, torch.tensor([len(s) - 1 for s in seqs])


def train_series(root: Path, steps=STEPS, batch: int = 32, lr: float = 3e-3) -> dict[str, Path]:
    """Train the tiny Llama on the concept and save it at ``steps``; {stage name: folder}, in order."""
    model, tokenizer = build_tiny("llama")
    answer = resolve_answer_words(tokenizer, ("No", "Yes"))  # the ids the expression analysis reads
    target = torch.tensor([answer.ids[0][-1], answer.ids[1][-1]])
    rows = coin_rows(512, seed=1)
    ids, mask, last = _batch(tokenizer, [t + CUE for t, _ in rows])
    y = target[torch.tensor([label for _, label in rows])]
    folders = {}

    def save(step: int) -> None:
        folder = root / f"step{step}"
        model.save_pretrained(folder)
        tokenizer.save_pretrained(folder)
        folders[f"step{step}"] = folder

    threads, bars = torch.get_num_threads(), transformers.utils.logging.is_progress_bar_enabled()
    torch.set_num_threads(1)  # one thread: the same sums in the same order on every machine
    transformers.utils.logging.disable_progress_bar()  # save_pretrained's "Writing model shards"
    try:
        torch.manual_seed(0)
        draw = torch.Generator().manual_seed(0)
        optimizer = torch.optim.AdamW(model.parameters(), lr=lr)
        model.train()
        if 0 in steps:
            save(0)
        for step in range(1, max(steps) + 1):
            idx = torch.randint(0, len(rows), (batch,), generator=draw)
            logits = model(input_ids=ids[idx], attention_mask=mask[idx]).logits
            loss = torch.nn.functional.cross_entropy(logits[torch.arange(batch), last[idx]], y[idx])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            if step in steps:
                save(step)
    finally:
        torch.set_num_threads(threads)
        if bars:
            transformers.utils.logging.enable_progress_bar()
    return folders


@pytest.fixture(scope="session")
def trained_series(tmp_path_factory):
    """The checkpoints (``folders``: {"step0": DIR, "step100": DIR, ...}), the evaluation file
    (``data``: 200 coin-flip rows, text/label, drawn apart from the training rows) and ``train_s``."""
    root = tmp_path_factory.mktemp("checkpoints")
    t0 = time.perf_counter()
    folders = train_series(root)
    took = time.perf_counter() - t0
    data = root / "coins.csv"
    with data.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["text", "label"])
        writer.writerows(coin_rows(200, seed=2))
    return SimpleNamespace(folders=folders, data=data, train_s=took,
                           series=",".join(f"{name}={path}" for name, path in folders.items()))


#: The dataset options of the evaluation file.
DATA = dict(text_col="text", label_col="label")


@pytest.fixture(scope="session")
def series_run(trained_series, tmp_path_factory):
    """The series of all checkpoints on the evaluation file (every sample), computed once into ``cache``:
    ``series`` (a CheckpointSeries), ``cache``, ``took_s``."""
    import concept_depth as cd

    cache = tmp_path_factory.mktemp("series-cache")
    t0 = time.perf_counter()
    series = cd.series(series=trained_series.series, dataset_file=str(trained_series.data), **DATA, cache_dir=cache,
                       device="cpu", jobs=1, progress=False)
    return SimpleNamespace(series=series, cache=cache, took_s=time.perf_counter() - t0)


@pytest.fixture
def data_options(trained_series) -> dict:
    """``dataset_file``, ``text_col``, ``label_col`` of the evaluation file."""
    return dict(dataset_file=str(trained_series.data), **DATA)
