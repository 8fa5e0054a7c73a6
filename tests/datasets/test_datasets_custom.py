"""User files: formats, label mapping, every validation error, dropped-row reporting."""

from __future__ import annotations

import json

import pytest

from concept_depth.core.errors import BadInputError
from concept_depth.core.specs import DatasetSpec
from concept_depth.datasets import inspect_table, load_samples


def _csv(path, rows, header="text,label", sep=","):
    path.write_text("\n".join([header] + [sep.join(map(str, r)) for r in rows]) + "\n", encoding="utf-8")
    return path


def _load(path, text_col="text", label_col="label", **kw):
    return load_samples(DatasetSpec(name="custom", path=str(path), text_col=text_col, label_col=label_col, **kw))


@pytest.mark.parametrize("neg, pos", [(0, 1), ("false", "true"), ("No", "Yes"), ("negative", "positive")])
def test_known_label_pairs_put_the_positive_word_at_1(tmp_path, neg, pos):
    rows = [(f"sample {i}", pos if i % 2 else neg) for i in range(24)]
    s = _load(_csv(tmp_path / "d.csv", rows))
    assert s.class_counts == (12, 12)
    assert list(s.labels[:4]) == [0, 1, 0, 1]  # file order kept
    assert s.label_names == (str(neg), str(pos))
    assert s.name == "custom:d.csv" and s.category == "custom" and s.template == "{text}"


def test_other_label_pairs_map_deterministically_and_are_reported(tmp_path):
    rows = [(f"s{i}", "spam" if i % 2 else "ham") for i in range(20)]
    s = _load(_csv(tmp_path / "d.tsv", rows, header="text\tlabel", sep="\t"))
    assert s.label_names == ("ham", "spam") and s.labels[1] == 1
    assert "'ham' -> 0, 'spam' -> 1" in s.notes[0]
    nums = _load(_csv(tmp_path / "n.csv", [(f"s{i}", 10 if i % 2 else 9) for i in range(20)]))
    assert nums.label_names == ("9", "10")  # numeric order, not alphabetical


def test_jsonl_with_boolean_labels_and_a_prompt_template(tmp_path):
    path = tmp_path / "d.jsonl"
    path.write_text("\n".join(json.dumps({"sentence": f"s{i}", "y": bool(i % 2)}) for i in range(20)))
    s = _load(path, "sentence", "y", prompt="Is this true? {text} Answer:")
    assert s.label_names == ("false", "true") and s.class_counts == (10, 10)
    assert s.prompts[1] == "Is this true? s1 Answer:"
    assert "custom prompt" not in " ".join(s.notes)


def test_dropped_rows_are_counted_by_reason(tmp_path):
    rows = [(f"s{i}", i % 2) for i in range(24)] + [("   ", 1), ("", 0), ("no label", "")]
    s = _load(_csv(tmp_path / "d.csv", rows))
    assert s.dropped == {"blank text": 2, "missing label": 1}
    assert len(s) == 24


@pytest.mark.parametrize("make, match", [
    (lambda p: p.write_text(""), "is empty"),
    (lambda p: p.write_text("text,label\n"), "no data rows"),
    (lambda p: p.write_bytes(b"text,label\n" + "caf\u00e9,1\n".encode("latin-1") * 30), "not UTF-8"),
    (lambda p: _csv(p, [(f"s{i}", 1) for i in range(30)]), "only one class"),
    (lambda p: _csv(p, [(f"s{i}", i % 3) for i in range(30)]), "3 classes.*'0', '1', '2'"),
    (lambda p: _csv(p, [(f"s{i}", int(i < 9)) for i in range(40)]), "class '1' has only 9 sample"),
    (lambda p: _csv(p, [(f"s{i}", i % 2) for i in range(30)], header="sentence,label"),
     "text column 'text' not found; available columns: sentence, label"),
    (lambda p: _csv(p, [(f"s{i}", i % 2) for i in range(30)], header="text,y"),
     "label column 'label' not found; available columns: text, y"),
])
def test_validation_errors(tmp_path, make, match):
    path = tmp_path / "bad.csv"
    make(path)
    with pytest.raises(BadInputError, match=match):
        _load(path)


def test_file_larger_than_the_limit(tmp_path):
    path = _csv(tmp_path / "d.csv", [(f"sample {i}", i % 2) for i in range(40)])
    with pytest.raises(BadInputError, match="larger than the limit"):
        load_samples(DatasetSpec(name="custom", path=str(path), text_col="text", label_col="label"), max_bytes=100)
    assert len(load_samples(DatasetSpec(name="custom", path=str(path), text_col="text", label_col="label"),
                            max_bytes=10_000)) == 40


def test_unsupported_extension_and_bad_json(tmp_path):
    (tmp_path / "d.xlsx").write_text("x")
    with pytest.raises(BadInputError, match="unsupported file type"):
        _load(tmp_path / "d.xlsx")
    (tmp_path / "d.jsonl").write_text('{"text": "a", "label": 1}\n{broken\n')
    with pytest.raises(BadInputError, match="not valid JSON lines"):
        _load(tmp_path / "d.jsonl")


def test_template_without_placeholder_is_refused(tmp_path):
    path = _csv(tmp_path / "d.csv", [(f"s{i}", i % 2) for i in range(20)])
    with pytest.raises(BadInputError, match=r"\{text\}"):
        _load(path, prompt="Is this true?")
    with pytest.raises(BadInputError, match=r"\{text\}"):
        load_samples(DatasetSpec(name="builtin-coinflip", prompt="no placeholder"))


def test_inspect_table_from_path_and_from_bytes(tmp_path):
    path = _csv(tmp_path / "d.csv", [(f"s{i}", i % 2) for i in range(20)], header="text,label")
    cols, preview = inspect_table(path)
    assert cols == ["text", "label"] and len(preview) == 5 and preview.iloc[0]["text"] == "s0"
    cols, preview = inspect_table(b'{"a": 1, "b": "x"}\n{"a": 2, "b": "y"}\n', "up.jsonl", rows=1)
    assert cols == ["a", "b"] and len(preview) == 1
    with pytest.raises(BadInputError, match="not UTF-8"):
        inspect_table(b"a,b\n\xff\xfe,1\n", "up.csv")


def test_store_upload_is_content_addressed_and_loadable(tmp_path):
    from concept_depth.datasets import store_upload

    data = ("text,label\n" + "".join(f"s{i},{i % 2}\n" for i in range(20))).encode()
    path = store_upload(data, "../up.csv", cache_dir=tmp_path)
    assert path.name == "up.csv" and path.parent.parent == tmp_path / "uploads"
    assert store_upload(data, "up.csv", cache_dir=tmp_path) == path
    assert store_upload(data + b"s20,1\n", "up.csv", cache_dir=tmp_path) != path
    assert _load(path).class_counts == (10, 10)

    class Upload:  # what Streamlit's file_uploader returns: .name and .getvalue()
        name = "up.csv"

        def getvalue(self):
            return data
    cols, _ = inspect_table(Upload())
    assert cols == ["text", "label"]


# ---- issue 10, item 9 ---------------------------------------------------------------------------
def test_jsonl_errors_name_the_files_own_line(tmp_path):
    lines = [json.dumps({"text": f"s{i}", "label": i % 2}) for i in range(40)]
    lines[30] = '{"text": "broken", "label": '
    (tmp_path / "d.jsonl").write_text("\n".join(lines) + "\n")
    with pytest.raises(BadInputError, match=r"at line 31, column") as info:
        _load(tmp_path / "d.jsonl")
    assert len(str(info.value).splitlines()) == 1
    lines[30] = '["an", "array"]'
    (tmp_path / "d.jsonl").write_text("\n".join(lines) + "\n")
    with pytest.raises(BadInputError, match="line 31 is a JSON array, not an object"):
        _load(tmp_path / "d.jsonl")
    (tmp_path / "a.jsonl").write_text('["s0", 0]\n["s1", 1]\n')  # JSON lines of arrays, not one array
    with pytest.raises(BadInputError, match="line 1 is a JSON array, not an object"):
        _load(tmp_path / "a.jsonl")


def test_a_json_array_file_still_loads_and_its_errors_name_lines(tmp_path):
    records = [{"text": f"s{i}", "label": i % 2} for i in range(24)]
    (tmp_path / "d.json").write_text(json.dumps(records, indent=1))
    assert _load(tmp_path / "d.json").class_counts == (12, 12)
    text = json.dumps(records, indent=1).splitlines()
    text[10] = text[10] + " oops"
    (tmp_path / "d.json").write_text("\n".join(text))
    with pytest.raises(BadInputError, match="at line 11"):
        _load(tmp_path / "d.json")


def test_size_limit_message_counts_mb_as_the_readme_does(tmp_path):
    from concept_depth.datasets.custom import DEFAULT_MAX_BYTES, read_table

    big = tmp_path / "big.csv"
    with big.open("wb") as fh:
        fh.truncate(DEFAULT_MAX_BYTES + 1)  # sparse: no disk or memory used
    with pytest.raises(BadInputError) as info:
        read_table(big)
    assert "larger than the limit of 200 MB" in str(info.value)  # not "210 MB" (10**6-byte MB)


# ---- issue 22, item 16 --------------------------------------------------------------------------
@pytest.mark.parametrize("make, what", [
    (lambda tmp: tmp / "folder.csv", "is a folder"),
    (lambda tmp: tmp / "pipe.csv", "is a named pipe (FIFO)"),
    (lambda tmp: "/dev/zero", "is a device"),
])
def test_a_path_that_is_not_a_regular_file_says_what_it_is(tmp_path, make, what):
    import os

    (tmp_path / "folder.csv").mkdir()
    os.mkfifo(tmp_path / "pipe.csv")
    path = make(tmp_path)
    for call in (lambda: _load(path), lambda: inspect_table(path)):
        with pytest.raises(BadInputError) as info:
            call()  # never opens the pipe or reads the device (either would hang or fill memory)
        assert what in str(info.value) and "does not exist" not in str(info.value)
    with pytest.raises(BadInputError, match="does not exist"):
        _load(tmp_path / "missing.csv")


def test_jsonl_text_that_is_not_a_string_is_refused_with_its_line(tmp_path):
    lines = [json.dumps({"text": f"s{i}", "label": i % 2}) for i in range(30)]
    lines[4] = json.dumps({"text": {"body": "an object"}, "label": 0})
    lines[9] = json.dumps({"text": ["a", "list"], "label": 1})
    (tmp_path / "d.jsonl").write_text("\n".join(lines) + "\n")
    with pytest.raises(BadInputError) as info:
        _load(tmp_path / "d.jsonl")
    msg = str(info.value)
    assert "line 5: the text is a JSON object, not a string" in msg and "line 10: the text is a JSON array" in msg
    assert "{'body'" not in msg and len(msg.splitlines()) == 1


def test_labels_written_as_0_and_0_point_0_are_one_class(tmp_path):
    rows = [(f"s{i}", ("0", "0.0", "1", "1.0")[i % 4]) for i in range(40)]
    s = _load(_csv(tmp_path / "d.csv", rows))
    assert s.class_counts == (20, 20) and s.label_names == ("0", "1")
    records = [{"text": f"s{i}", "label": (0, 0.0, "1", 1.0)[i % 4]} for i in range(40)]
    (tmp_path / "d.jsonl").write_text("\n".join(json.dumps(r) for r in records))
    assert _load(tmp_path / "d.jsonl").class_counts == (20, 20)
