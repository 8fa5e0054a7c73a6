"""Legend labels name only what differs between runs; chance lines follow the chance levels."""

from dataclasses import replace

from concept_depth.figures import layer_curves
from concept_depth.results.labels import run_labels


def _with(run, key, n=None, **spec):
    return replace(run, key=key, n_samples=n or run.n_samples, spec=dict(run.spec, **spec))


def test_runs_differing_only_in_sample_count_get_different_labels(make_run):
    a = _with(make_run(), "a", n=200, limit=200)
    b = _with(make_run(), "b", n=400, limit=400)
    labels = run_labels([a, b])
    assert labels.labels == ("n=200", "n=400")
    assert labels.common == "tiny:llama · cities · 32-bit"  # what both share goes to the title
    fig = layer_curves([a, b], metrics=("accuracy",))
    names = [t.name for t in fig.data if (t.meta or {}).get("role") == "metric"]
    assert names == ["n=200", "n=400"] and "cities" in fig.layout.title.text


def test_every_varying_setting_is_named_in_a_fixed_order(make_run):
    base = make_run(key="base")
    runs = [base, _with(base, "hook", hook="post_attention_layernorm"), _with(base, "mean", pooling="mean"),
            _with(base, "q8", quant=8, noise="paper")]
    labels = run_labels(runs).labels
    assert len(set(labels)) == 4
    assert labels[0] == "32-bit · clean · residual · last token"
    assert labels[3] == "8-bit · paper noise (seed 0) · residual · last token"
    assert labels[1].endswith("post-attn norm · last token")


def test_prompts_are_lettered_and_follow_their_dataset(make_run):
    a = _with(make_run(), "a", prompt="Is it true? {text}")
    b = _with(make_run(), "b", prompt="True or false: {text}")
    assert run_labels([a, b]).labels == ("prompt A", "prompt B")
    # two datasets with their own prompts: the dataset tells them apart, the prompt is not named
    c = _with(make_run(dataset="STSA"), "c", prompt="{text} Positive?")
    assert run_labels([a, c]).labels == ("cities", "STSA")
    # a revision belongs to its model: different models differ in it, that alone is no label part
    d = _with(make_run(model="other"), "d", model_revision="abc123456789", prompt=a.spec["prompt"])
    assert run_labels([a, d]).labels == ("tiny:llama", "other")
    e = _with(make_run(), "e", model_revision="fff999", prompt=a.spec["prompt"])
    assert run_labels([a, e]).labels == ("rev default", "rev fff999")


def test_identical_settings_fall_back_to_creation_time_then_key(make_run):
    a = make_run(key="aaaa1111")
    b = replace(make_run(key="bbbb2222"), created="2026-11-23T06:40:00+00:00")
    assert run_labels([a, b]).labels == ("2026-11-22 10:00", "2026-11-23 06:40")
    c = make_run(key="cccc3333")
    assert run_labels([a, c]).labels == ("2026-11-22 10:00 · aaaa1111", "2026-11-22 10:00 · cccc3333")


def test_one_chance_line_per_chance_level_in_the_legend(make_run):
    a = make_run(key="a")
    b = replace(make_run(key="b", dataset="STSA"), depth=replace(make_run().depth, chance=0.53))
    fig = layer_curves([a, b], metrics=("accuracy",))
    chance = [t for t in fig.data if (t.meta or {}).get("role") == "chance"]
    assert [t.meta["chance"] for t in chance] == [0.5, 0.53]
    assert chance[0].name == "chance 0.50 (cities)" and chance[1].name == "chance 0.53 (STSA)"
    assert all(t.showlegend for t in chance) and not fig.layout.shapes
    same = layer_curves([a, make_run(key="c", quant=8)], metrics=("accuracy",))
    only, = [t for t in same.data if (t.meta or {}).get("role") == "chance"]
    assert only.name == "chance 0.50" and only.meta["runs"] == ["a", "c"]


def test_title_margin_grows_with_its_lines_and_keeps_a_figures_clearance(make_run):
    from concept_depth.figures.theme import TITLE_LINE_PX, paper_theme, title_above_plot

    one = layer_curves(make_run())
    two = layer_curves([make_run(key="a"), make_run(key="b", quant=8)])  # title + common line, key above the plot
    assert two.layout.title.text.count("<br>") == 1
    assert two.layout.title.pad.b == 28 + TITLE_LINE_PX and two.layout.margin.t > one.layout.margin.t
    assert one.layout.title.yanchor == "bottom" and one.layout.title.y == 1
    paper_theme(two)  # the export re-applies the theme: the clearance for the key stays
    assert two.layout.title.pad.b == 28 + TITLE_LINE_PX
    title_above_plot(two, lines=3)
    assert two.layout.title.pad.b == 28 + 2 * TITLE_LINE_PX


def _low_bit(run, quant, key):
    """A run as the loader labels a low-bit model: ``<model>, 8-bit``."""
    return _with(run, key, quant=quant, model_label=f"{run.spec['model_label']}, {quant}-bit")


def test_a_low_bit_runs_title_names_its_bit_width_once(make_run):
    # issue 22 item 1: "Gemma 3 270M (...), 8-bit · cities · 8-bit"
    gemma = _with(make_run(), "g", model_label="Gemma 3 270M (Q4_K_M GGUF, dequantised)")
    run = _low_bit(gemma, 8, "g8")
    assert run.label == "Gemma 3 270M (Q4_K_M GGUF, dequantised) · cities · 8-bit"
    title = layer_curves(run).layout.title.text
    assert title.count("8-bit") == 1 and title.count("Gemma") == 1
    half = _with(gemma, "g16", quant=16, model_label=f"{gemma.spec['model_label']}, 16-bit float16")
    assert half.label.endswith("cities · 16-bit float16") and half.label.count("16-bit") == 1


def test_a_legend_of_bit_widths_of_one_model_names_only_the_bit_width(make_run):
    # issue 22 item 4: the model's full name (with the bit width the loader appends) in every legend entry
    gemma = _with(make_run(), "g", model_label="Gemma 3 270M (Q4_K_M GGUF, dequantised)")
    runs = [gemma, _low_bit(gemma, 8, "g8"), _low_bit(gemma, 4, "g4")]
    fig = layer_curves(runs, metrics=("accuracy",))
    names = [t.name for t in fig.data if (t.meta or {}).get("role") == "metric"]
    assert names == ["32-bit", "8-bit", "4-bit"]
    assert "Gemma 3 270M" in fig.layout.title.text and "cities" in fig.layout.title.text
