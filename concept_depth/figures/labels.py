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
    ("model", lambda it: str(_spec(it).get("model_label") or _spec(it).get("model"))),
    ("model_revision", lambda it: f"rev {str(_spec(it).get('model_revision'))[:8]}"
     if _spec(it).get("model_revision") else "rev default"),
    ("dataset", lambda it: str(_spec(it).get("dataset"))),
    ("variant", lambda it: str(_spec(it).get("variant") or "default variant")),
    ("quant", lambda it: _QUANT.get(int(_spec(it).get("quant", 32) or 32), f"{_spec(it).get('quant')}-bit")),
    ("noise", lambda it: _noise(_spec(it))),
    ("n", lambda it: f"n={_n(it)}" if _n(it) is not None else "n=?"),
    ("hook", lambda it: _HOOK.get(_spec(it).get("hook", "residual"), str(_spec(it).get("hook")))),
    ("pooling", lambda it: _POOL.get(_spec(it).get("pooling", "last"), str(_spec(it).get("pooling")))),
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
    texts: dict[str, list[str]] = {}
    for field, fmt in PARTS:
        texts[field] = [fmt(r) for r in runs]
    # Prompts are long templates: name them by order of first appearance.
    letters: dict[str, str] = {}
    for i, p in enumerate(texts["prompt"]):
        letters.setdefault(p, f"prompt {chr(ord('A') + len(letters))}")
        texts["prompt"][i] = letters[p]
    varying = tuple(f for f, _ in PARTS if _varies(texts, f)) if len(runs) > 1 else ()
    common = " · ".join(texts[f][0] for f, _ in PARTS if len(set(texts[f])) == 1
                        and (f in HEADLINE or _non_default(f, texts[f][0])))
    if len(runs) == 1:
        return RunLabels((common,), common, ())
    labels = [" · ".join(texts[f][i] for f in varying) for i in range(len(runs))]
    for stamp in (_created, _key):  # identical settings: the creation time, then the key, tells them apart
        if len(set(labels)) < len(labels):
            labels = [" · ".join(t for t in (lab, stamp(r)) if t) for lab, r in zip(labels, runs)]
    return RunLabels(tuple(labels), common, varying)


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
                "pooling": "last token", "protocol": "paper split", "probe": "logistic", "prompt": "prompt A"}
    # a revision is a fingerprint, max tokens rarely matters: named only where runs differ in them
    if field == "variant" and text in ("seed=0", "question"):  # a built-in's default seed, StrategyQA's default
        return False
    return field not in ("max_tokens", "model_revision") and text != defaults.get(field, text)


def _created(run: Any) -> str:
    return str(getattr(run, "created", "") or "")[:16].replace("T", " ")


def _key(run: Any) -> str:
    return str(getattr(run, "key", "") or "")[:8]
