"""Nothing cut off: the Runs table names each run in full with a column each for dataset, bit width, noise and n;
the Compare grid's model chips are the models' names alone and wrap (issue 22 item 20)."""

from __future__ import annotations

from dataclasses import replace


def _stored(cache, run):
    from concept_depth.analyses.probe import RUN_KIND
    from concept_depth.storage.store import Store

    Store(cache).put_result(RUN_KIND, run.key, replace(run, extra=dict(run.extra, created_ts=1.0e9)).to_dict())


def test_runs_table_has_dataset_bit_width_noise_and_n_columns_and_never_cuts_the_name(make_run, open_page, set_env,
                                                                                    tmp_path):
    gemma = "Gemma 3 270M (Q4_K_M GGUF, dequantised)"
    run = make_run(key="g8", quant=8, noise="paper")
    run = replace(run, spec=dict(run.spec, model_label=f"{gemma}, 8-bit", hook="post_attention_layernorm"))
    _stored(tmp_path / "cache", run)
    set_env(tmp_path / "cache")
    at = open_page("app_pages/runs.py")
    assert not at.exception
    frame = at.dataframe[0]
    table = frame.value
    row = table.iloc[0]
    assert (row["dataset"], row["bit width"], row["noise"], row["n"]) == ("cities", "8-bit", "paper noise (seed 0)", 100)
    assert row["run"] == f"{gemma} · post-attn norm"  # the model once, its non-default setting, nothing repeated
    # the name column is sized to its text (no fixed width that cuts it with "…")
    config = {c.get("name") or k: c for k, c in _column_config(frame).items()}
    assert "width" not in config["run"] or config["run"]["width"] in (None, 0)


def _column_config(frame) -> dict:
    import json

    return json.loads(frame.proto.columns)


def test_grid_model_chips_are_short_and_wrap(open_page, set_env, tmp_path):
    set_env(tmp_path / "cache")
    at = open_page("app_pages/compare.py")
    models = at.multiselect(key="fam_models")
    assert "Gemma 3 270M (Q4_K_M GGUF, dequantised)" in models.value  # the default, its name alone
    assert all("layers" not in v for v in models.value)
    assert "18 layers" in models.help  # the details moved to the help
