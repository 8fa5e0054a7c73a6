"""The paper's datasets: counts per class on the shared files, formats, prompts, variants."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from concept_depth.core.errors import BadInputError
from concept_depth.core.specs import DatasetSpec
from concept_depth.datasets import dataset_catalog, get_dataset_info, load_samples

SHARED = Path(os.environ.get("CONCEPT_DEPTH_DATA_DIR", "/nonexistent"))
needs_shared = pytest.mark.skipif(not (SHARED / "cities.csv").is_file(),
                                  reason="CONCEPT_DEPTH_DATA_DIR does not hold the paper's files")


@needs_shared
@pytest.mark.parametrize("name, counts", [
    ("cities", (748, 748)), ("common", (3000, 3000)), ("counterfact", (2000, 2000)),
    ("hateeval", (3000, 3000)), ("STSA", (3310, 3610)), ("StrategyQA", (1219, 1071)), ("coinflip", (247, 253)),
])
def test_shared_files_load_with_the_paper_counts(name, counts):
    s = load_samples(DatasetSpec(name=name), data_dir=SHARED)
    assert s.class_counts == counts
    assert s.name == name
    assert all(t.strip() for t in s.texts)
    assert get_dataset_info(name).sizes == counts


@needs_shared
def test_names_are_case_insensitive():
    a = load_samples(DatasetSpec(name="stsa", limit=20), data_dir=SHARED)
    b = load_samples(DatasetSpec(name="STSA", limit=20), data_dir=SHARED)
    assert a.name == b.name == "STSA" and a.content_hash == b.content_hash
    assert get_dataset_info("StrategyQA").name == get_dataset_info("strategyqa").name == "StrategyQA"
    with pytest.raises(BadInputError, match="unknown dataset 'nope'.*cities.*builtin-capitals"):
        get_dataset_info("nope")


@needs_shared
def test_labels_follow_the_files():
    cities = load_samples(DatasetSpec(name="cities"), data_dir=SHARED)
    df = pd.read_csv(SHARED / "cities.csv")
    truth = dict(zip(df["statement"], df["label"]))
    assert all(truth[t] == y for t, y in zip(cities.texts, cities.labels))
    # reference arrangement: the class the reference lists first (true) comes first
    assert cities.labels[0] == 1 and cities.labels[-1] == 0
    stsa = load_samples(DatasetSpec(name="STSA"), data_dir=SHARED)
    first = (SHARED / "stsa.binary.train").read_text().splitlines()[0]  # "1 a stirring , funny ..."
    assert stsa.labels[0] == 0  # negatives first, as in the reference
    assert first[2:] in stsa.texts and stsa.labels[stsa.texts.index(first[2:])] == 1


@needs_shared
def test_common_drops_neither_and_reports_it():
    s = load_samples(DatasetSpec(name="common"), data_dir=SHARED)
    assert s.dropped == {"label 'Neither' (not used by the paper)": 3616}
    assert any("first 3000 / 3000" in n for n in s.notes)


@needs_shared
def test_prompt_order_matches_the_reference():
    cities = load_samples(DatasetSpec(name="cities", limit=2), data_dir=SHARED)
    prefix, suffix = cities.template_parts
    assert prefix.startswith("Judge whether the statement is True or not.") and suffix == ""
    assert cities.prompts[0] == prefix + cities.texts[0]
    stsa = load_samples(DatasetSpec(name="STSA", limit=2), data_dir=SHARED)
    prefix, suffix = stsa.template_parts
    assert prefix == "" and suffix.startswith(" The sentence above is a movie review")
    counterfact = get_dataset_info("counterfact").default_prompt
    assert counterfact.startswith("Judge whether the statement is true or not.")
    assert get_dataset_info("sarcasm").prompt_order == "around"


@needs_shared
def test_strategyqa_variants():
    q = load_samples(DatasetSpec(name="StrategyQA"), data_dir=SHARED)
    r = load_samples(DatasetSpec(name="StrategyQA", variant="rationale"), data_dir=SHARED)
    assert q.class_counts == r.class_counts == (1219, 1071)
    data = json.loads((SHARED / "StrategyQA_task.json").read_text())
    ex = data["examples"][0]  # a "Yes." example
    assert ex["input"] in q.texts
    with_rationale = ex["input"] + " " + ex["target"][len("Yes."):].strip()
    assert with_rationale in r.texts
    assert all(len(a) < len(b) for a, b in zip(q.texts, r.texts))
    assert "question only" in q.notes[0] and "label leak" in r.notes[0]
    assert q.content_hash != r.content_hash
    with pytest.raises(BadInputError, match="no variant 'gold'"):
        load_samples(DatasetSpec(name="StrategyQA", variant="gold"), data_dir=SHARED)


def test_sarcasm_loader_on_the_published_format(tmp_path):
    rows = [{"article_link": f"https://x/{i}", "headline": f"headline {i}", "is_sarcastic": i % 3 == 0}
            for i in range(30)]
    rows[4]["headline"] = "   "  # blank: dropped and counted
    (tmp_path / "sarcasm.json").write_text("\n".join(json.dumps({**r, "is_sarcastic": int(r["is_sarcastic"])})
                                                     for r in rows) + "\n")
    s = load_samples(DatasetSpec(name="Sarcasm"), data_dir=tmp_path)
    assert s.class_counts == (19, 10)
    assert s.dropped == {"blank text": 1}
    assert s.labels[0] == 1 and s.texts[0] == "headline 0"  # sarcastic listed first, as in the reference
    assert s.label_names == ("not sarcastic", "sarcastic")


def test_imdb_loader_applies_the_1000_per_class_cap(tmp_path):
    labels = [0] * 1005 + [1] * 1003  # the HF test split is sorted by label
    df = pd.DataFrame({"text": [f"review {i}" for i in range(len(labels))], "label": labels})
    df.to_parquet(tmp_path / "imdb_test.parquet")
    s = load_samples(DatasetSpec(name="imdb"), data_dir=tmp_path)
    assert s.class_counts == (1000, 1000)
    assert s.texts[999] == "review 999" and s.texts[1000] == "review 1005"  # first 1000 of each, file order
    assert s.name == "IMDb" and s.category == "emotional"


def test_catalog_lists_nine_paper_and_two_builtin_datasets(tmp_path):
    infos = dataset_catalog(data_dir=tmp_path / "empty")
    names = [i.name for i in infos]
    assert names[:9] == ["cities", "common", "counterfact", "hateeval", "STSA", "IMDb", "sarcasm",
                         "StrategyQA", "coinflip"]
    assert {"builtin-coinflip", "builtin-capitals"} <= set(names)
    by = {i.name: i for i in infos}
    assert not by["cities"].available and by["builtin-capitals"].available
    assert by["cities"].category == "factual" and by["STSA"].category == "emotional"
    assert by["coinflip"].category == "inferential"
    assert by["common"].class_caps == (3000, 3000) and by["cities"].class_caps is None
    assert by["StrategyQA"].variants == ("question", "rationale")
    assert all("{text}" in i.default_prompt for i in infos)
    assert np.all([len(i.answer_words) == 2 for i in infos])
