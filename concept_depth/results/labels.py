"""Legend labels that tell runs apart: only the settings that differ between the runs shown.

Two runs that differ only in sample count (or hook, pooling, prompt...) used to get the same
``model · dataset · bit width`` label. :func:`run_labels` looks at every setting that changes
the numbers and keeps, for each run, the settings whose value is not the same for all runs;
what all runs share goes into one common line (for the title).

Every setting that varies is shown on every label, even where another one would already
tell two runs apart: a reader comparing "n=200" with "n=400, paper noise" must see both
differences, not just enough of them to make the strings unique.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Sequence

_QUANT = {32: "32-bit", 16: "16-bit", 8: "8-bit", 4: "4-bit"}
_HOOK = {"residual": "residual", "post_attention_layernorm": "post-attn norm"}
_POOL = {"last": "last token", "mean": "mean-pooled"}
_PROBE = {"lr": "logistic", "rf": "random forest"}


def _spec(item: Any) -> dict:
    return dict(getattr(item, "spec", None) or (item if isinstance(item, dict) else {}))


def _n(item: Any) -> int | None:
    n = getattr(item, "n_samples", None)
    if n is None:
        n = _spec(item).get("n_samples")
    return None if n is None else int(n)


def model_text(spec: dict[str, Any]) -> str:
    """The model's name without the bit width the loader appends to a low-bit model's label
    (``Gemma 3 270M (...), 8-bit`` -> ``Gemma 3 270M (...)``): labels name the bit width once, as its own part."""
    label = str(spec.get("model_label") or spec.get("model"))
    quant = spec.get("quant")
    for suffix in (f", {quant}-bit float16", f", {quant}-bit"):
        if quant not in (None, 32, "32") and label.endswith(suffix) and len(label) > len(suffix):
            return label[: -len(suffix)]
    return label


def quant_text(spec: dict[str, Any]) -> str:
    """``8-bit``; ``16-bit float16`` where the model ran in float16 (its label says so)."""
    quant = int(spec.get("quant", 32) or 32)
    text = _QUANT.get(quant, f"{quant}-bit")
    return text + " float16" if str(spec.get("model_label") or "").endswith(f"{quant}-bit float16") else text


def _noise(s: dict) -> str:
    kind = s.get("noise") or "none"
    if kind in ("none", "clean"):
        return "clean"
    strength = s.get("noise_strength")
    txt = f"{kind} noise" + (f" {float(strength):g}" if kind == "typos" and strength else "")
    return txt + f" (seed {s.get('noise_seed', 0)})"


def _protocol(s: dict) -> str:
    if s.get("protocol", "paper") == "cv":
        return f"{s.get('folds') or 5}-fold cv"
    return "paper split"


#: (field, formatter) in the order the parts appear in a label. A formatter returns the
#: text of one run's value; runs whose texts are all equal share that part.
PARTS: tuple[tuple[str, Callable[[Any], str]], ...] = (
    ("model", lambda it: model_text(_spec(it))),
    ("model_revision", lambda it: f"rev {str(_spec(it).get('model_revision'))[:8]}"
     if _spec(it).get("model_revision") else "rev default"),
    ("dataset", lambda it: str(_spec(it).get("dataset"))),
    ("variant", lambda it: str(_spec(it).get("variant") or "default variant")),
    ("quant", lambda it: quant_text(_spec(it))),
    ("noise", lambda it: _noise(_spec(it))),
    ("n", lambda it: f"n={_n(it)}" if _n(it) is not None else "n=?"),
    ("hook", lambda it: _HOOK.get(_spec(it).get("hook", "residual"), str(_spec(it).get("hook")))),
    ("pooling", lambda it: _POOL.get(_spec(it).get("pooling", "last"), str(_spec(it).get("pooling")))),
    ("chat_template", lambda it: "chat template" if _spec(it).get("chat_template") else "raw prompt"),
    ("max_tokens", lambda it: f"≤{_spec(it).get('max_tokens')} tokens"),
    ("prompt", lambda it: str(_spec(it).get("prompt"))),  # replaced by "prompt A/B/..." below
    ("protocol", lambda it: _protocol(_spec(it))),
    ("probe", lambda it: _PROBE.get(_spec(it).get("probe", "lr"), str(_spec(it).get("probe")))),
)
#: Fields that change with another one: a revision belongs to its model, a variant and a
#: prompt to their dataset. They are labelled only where runs of one model (dataset) differ.
WITHIN = {"model_revision": "model", "variant": "dataset", "prompt": "dataset"}
#: Parts the common line always names; the others appear there only when not the default.
HEADLINE = ("model", "dataset", "quant", "n")


@dataclass(frozen=True)
class RunLabels:
    """``labels[i]`` names run i among the others; ``common`` is what they all share."""

    labels: tuple[str, ...]
    common: str
    varying: tuple[str, ...]  # the fields that differ between the runs


def run_labels(runs: Sequence[Any]) -> RunLabels:
    """Shortest labels that tell ``runs`` apart (RunResult, ExpressionResult or flat spec dicts).

    One run: its full headline label. Several: each label lists the settings that are not
    the same for every run (e.g. ``n=200`` / ``n=400``), in a fixed order. Runs identical in
    every setting are told apart by their creation time (or key).
    """
    runs = list(runs)
    if not runs:
        return RunLabels((), "", ())
    texts = _texts(runs)
    varying = tuple(f for f, _ in PARTS if _varies(texts, f)) if len(runs) > 1 else ()
    common = _common(texts)
    if len(runs) == 1:
        return RunLabels((common,), common, ())
    labels = [" · ".join(texts[f][i] for f in varying) for i in range(len(runs))]
    for stamp in (_created, _key):  # identical settings: the creation time, then the key, tells them apart
        if len(set(labels)) < len(labels):
            labels = [" · ".join(t for t in (lab, stamp(r)) if t) for lab, r in zip(labels, runs)]
    return RunLabels(tuple(labels), common, varying)


#: Fields that belong to a dataset: they never name a curve in a figure with one panel per dataset.
DATASET_FIELDS = ("dataset", "variant", "prompt")


def series_labels(runs: Sequence[Any]) -> RunLabels:
    """Labels for runs drawn one panel per dataset, one curve per model (the families figure).

    Each run is named by the settings that differ between runs *of the same dataset* (model,
    bit width, chat template...), never by its dataset, so a model keeps one name, and one
    colour, in every panel; with one run per dataset, by its model. ``common`` is what every
    run shares.
    """
    runs = list(runs)
    if not runs:
        return RunLabels((), "", ())
    texts = _texts(runs)
    panels: dict[str, list[int]] = {}
    for i, name in enumerate(texts["dataset"]):
        panels.setdefault(name, []).append(i)
    subsets = [{f: [values[i] for i in idx] for f, values in texts.items()} for idx in panels.values()]
    varying = tuple(f for f, _ in PARTS if f not in DATASET_FIELDS
                    and any(_varies(sub, f) for sub in subsets)) or ("model",)
    labels = tuple(" · ".join(texts[f][i] for f in varying) for i in range(len(runs)))
    return RunLabels(labels, _common(texts), varying)


def _texts(runs: Sequence[Any]) -> dict[str, list[str]]:
    """Each field's text for every run (prompts named ``prompt A``, ``prompt B``... by first appearance)."""
    texts = {field: [fmt(r) for r in runs] for field, fmt in PARTS}
    letters: dict[str, str] = {}
    for i, p in enumerate(texts["prompt"]):
        letters.setdefault(p, f"prompt {chr(ord('A') + len(letters))}")
        texts["prompt"][i] = letters[p]
    return texts


def _common(texts: dict[str, list[str]]) -> str:
    """What every run shares: the headline fields, and any other field that is not at its default."""
    return " · ".join(texts[f][0] for f, _ in PARTS if len(set(texts[f])) == 1
                      and (f in HEADLINE or _non_default(f, texts[f][0])))


def _varies(texts: dict[str, list[str]], field: str) -> bool:
    """Whether ``field`` differs between runs; a field that follows another one (a prompt follows
    its dataset) only counts when it differs between runs that share that other one."""
    values = texts[field]
    owner = WITHIN.get(field)
    if owner is None:
        return len(set(values)) > 1
    groups: dict[str, set[str]] = {}
    for key, value in zip(texts[owner], values):
        groups.setdefault(key, set()).add(value)
    return any(len(v) > 1 for v in groups.values())


def _non_default(field: str, text: str) -> bool:
    defaults = {"variant": "default variant", "noise": "clean", "hook": "residual",
                "pooling": "last token", "protocol": "paper split", "probe": "logistic", "prompt": "prompt A", "chat_template": "raw prompt"}
    # a revision is a fingerprint, max tokens rarely matters: named only where runs differ in them
    if field == "variant" and text in ("seed=0", "question"):  # a built-in's default seed, StrategyQA's default
        return False
    return field not in ("max_tokens", "model_revision") and text != defaults.get(field, text)


def _created(run: Any) -> str:
    return str(getattr(run, "created", "") or "")[:16].replace("T", " ")


def _key(run: Any) -> str:
    return str(getattr(run, "key", "") or "")[:8]


def spec_label(spec: dict[str, Any]) -> str:
    """``model · dataset · N-bit[, noise][, chat template]`` of a flat result spec, for legends and pickers."""
    noise = spec.get("noise", "none")
    noise_txt = "" if noise in (None, "none", "clean") else f", {noise}"
    chat_txt = ", chat template" if spec.get("chat_template") else ""
    return f"{model_text(spec)} · {spec.get('dataset')} · {quant_text(spec)}{noise_txt}{chat_txt}"


def model_name(run: Any) -> str:
    """The heatmap row of a run: its model, its bit width below 32, and whether prompts went through the chat
    template."""
    quant = "" if int(run.spec.get("quant", 32) or 32) == 32 else f" · {quant_text(run.spec)}"
    chat = " · chat template" if run.spec.get("chat_template") else ""
    return model_text(run.spec) + quant + chat


def setting_label(run: Any) -> str:
    """What differs from the baseline, e.g. ``8-bit`` or ``32-bit, paper noise (seed 0)``."""
    s = run.spec
    noise = s.get("noise", "none")
    txt = f"{s.get('quant', 32)}-bit"
    if noise not in (None, "none"):
        strength = s.get("noise_strength")
        txt += f", {noise} noise" + (f" {strength:g}" if strength else "") + f" (seed {s.get('noise_seed', 0)})"
    return txt
