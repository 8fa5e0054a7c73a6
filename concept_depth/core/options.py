"""Every option of every command, declared once: its name, default, type and help.

An :class:`Option` is what a user sets: ``--dataset-file`` on the command line, ``dataset_file=`` in
``cd.run(...)``, a widget's value in the app. The groups below (model, dataset, extraction, probe,
depth, run, output) are shared by every command; each analysis declares its own group beside its
spec (see :mod:`concept_depth.analyses`). ``Spec.from_options(**options)`` turns option values into
a frozen spec, the argparse parser is built from the same declarations (:meth:`OptionGroup.add_to`),
and the Python API's keywords and defaults come from them too, so the three cannot drift.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass, replace
from typing import Any, Iterable, Iterator, Mapping

from .choices import DEPTH_RULES, HOOK_DESCRIPTIONS, HOOKS, NOISE_KINDS, POOLINGS, PROBE_NAMES, PROBES, PROTOCOLS
from .errors import BadInputError


@dataclass(frozen=True)
class Option:
    """One option. ``name`` is the keyword (``dataset_file``); the command line spells it
    ``--dataset-file``. ``kind`` converts text from the command line (int, float, str); ``flag``
    options are switches (``--no-control``); ``choices`` restrict the value; ``listable`` options take a
    comma-separated list where a command runs every combination (sweeps, transfer, directions)."""

    name: str
    default: Any = None
    help: str = ""
    kind: type = str
    choices: tuple | None = None
    flag: bool = False
    listable: bool = False
    required: bool = False
    metavar: str | None = None

    @property
    def cli(self) -> str:
        return "--" + self.name.replace("_", "-")

    def add_to(self, parser: argparse.ArgumentParser | Any, *, listed: bool = False) -> None:
        """Add this option to an argparse parser (or argument group); ``listed``: as a comma list."""
        if self.flag:
            parser.add_argument(self.cli, action="store_true", help=self.help)
            return
        help_text = ("comma-separated " + self.help) if listed and self.listable else self.help
        kind = str if listed and self.listable else self.kind
        default = str(self.default) if listed and self.listable and self.default is not None else self.default
        choices = None if listed and self.listable else self.choices
        parser.add_argument(self.cli, type=kind, default=default, choices=choices, required=self.required,
                            help=help_text.replace("%", "%%"), metavar=self.metavar)


@dataclass(frozen=True)
class OptionGroup:
    """Options that go together (the model, the dataset...), in the order the help lists them."""

    title: str
    options: tuple[Option, ...]

    def __iter__(self) -> Iterator[Option]:
        return iter(self.options)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(o.name for o in self.options)

    def __getitem__(self, name: str) -> Option:
        for option in self.options:
            if option.name == name:
                return option
        raise KeyError(name)

    def with_defaults(self, **defaults: Any) -> "OptionGroup":
        """The same group with other defaults (``directions`` takes ``probe="mass-mean"``)."""
        unknown = set(defaults) - set(self.names)
        if unknown:
            raise KeyError(f"{self.title}: no options {sorted(unknown)}")
        return replace(self, options=tuple(replace(o, default=defaults[o.name]) if o.name in defaults else o
                                           for o in self.options))

    def with_help(self, **helps: str) -> "OptionGroup":
        """The same group with other help texts (``--figure``: which figure this command writes)."""
        return replace(self, options=tuple(replace(o, help=helps[o.name]) if o.name in helps else o
                                           for o in self.options))

    def without(self, *names: str) -> "OptionGroup":
        return replace(self, options=tuple(o for o in self.options if o.name not in names))

    def add_to(self, parser: argparse.ArgumentParser, *, listed: Iterable[str] = ()) -> None:
        """Add every option to ``parser``; the names in ``listed`` take comma lists."""
        listed = set(listed)
        for option in self.options:
            option.add_to(parser, listed=option.name in listed)

    def take(self, values: dict[str, Any]) -> dict[str, Any]:
        """This group's values, removed from ``values`` (a keyword dict), defaults filled in."""
        return {o.name: values.pop(o.name, o.default) for o in self.options}


def values_of(namespace: argparse.Namespace | Mapping[str, Any], groups: Iterable[OptionGroup]) -> dict[str, Any]:
    """The values of ``groups``' options in an argparse namespace (or dict), by option name."""
    data = vars(namespace) if isinstance(namespace, argparse.Namespace) else dict(namespace)
    return {name: data[name] for group in groups for name in group.names if name in data}


def refuse_unknown(values: Mapping[str, Any], what: str) -> None:
    """One BadInputError line naming options nobody took (a typo such as ``limt=40``)."""
    if values:
        names = ", ".join(sorted(values))
        raise BadInputError(f"{what} does not take the option{'s' if len(values) > 1 else ''} {names}")


def comma_list(value: Any, option: str) -> list[str]:
    """``"a,b"`` or ``["a", "b"]`` or ``32`` -> ``["a", "b"]`` / ``["32"]``; at least one value."""
    if isinstance(value, (list, tuple)):
        out = [str(v).strip() for v in value if str(v).strip()]
    else:
        out = [v.strip() for v in str("" if value is None else value).split(",") if v.strip()]
    if not out:
        raise BadInputError(f"{option} needs at least one value")
    return out


def numbers(value: Any, option: str, kind: type = float) -> tuple:
    """``"-4,-2,2,4"`` or ``[-4, 2]`` -> (-4.0, -2.0, 2.0, 4.0); BadInputError naming ``option`` otherwise."""
    try:
        return tuple(kind(v) for v in comma_list(value, option))
    except ValueError:
        raise BadInputError(f"{option} must be comma-separated numbers, got {value!r}") from None


def text_escapes(value: str | None) -> str | None:
    """``"\\nAnswer:"`` as typed on a command line or in a text box -> a real newline."""
    return None if value is None else str(value).replace("\\n", "\n")


# ---- the groups every command shares --------------------------------------------------------------
MODEL_OPTIONS = OptionGroup("model", (
    Option("model", "embedded", listable=True,
           help="model: 'embedded' (Gemma 3 270M, offline), 'smollm2' (SmolLM2 135M Instruct, offline), 'minilm', "
                "a hub id, a local dir or a .gguf file"),
    Option("revision", None, help="hub revision (branch, tag or commit)"),
    Option("quant", 32, listable=True, help="bit width: 32 (float32), 16 (bfloat16), 8 (int8), 4 (NF4)"),
    Option("trust_remote_code", False, flag=True, help="allow a hub model's own code to run"),
))

DATASET_OPTIONS = OptionGroup("dataset", (
    Option("dataset", None, listable=True, help="dataset name (see `python -m concept_depth datasets`)"),
    Option("dataset_file", None, help="a CSV, TSV or JSONL file of your own"),
    Option("text_col", None, help="text column of --dataset-file"),
    Option("label_col", None, help="binary label column of --dataset-file"),
    Option("choices_col", None, help="multiple choice: the options column of --dataset-file (a JSON list, or "
                                     "'|'-separated in CSV/TSV)"),
    Option("answer_col", None, help="multiple choice: the correct option's column (0-based index, option text or "
                                    "letter)"),
    Option("group_col", None, help="column(s) whose shared value makes rows one group, never split apart "
                                   "(comma-separated, e.g. relation,subject,true_target for counterfact's pairs)"),
    Option("prompt", None, help="prompt template with a {text} placeholder"),
    Option("variant", None, help="dataset variant (StrategyQA: question | rationale)"),
    Option("limit", None, kind=int, help="at most limit/2 samples per class, in file order (multiple choice: the "
                                        "first limit questions)"),
    Option("noise", "none", listable=True, help=f"noise kind: {' | '.join(NOISE_KINDS)}"),
    Option("noise_strength", 0.0, kind=float, help="edit rate for graded noise (typos)"),
    Option("noise_seed", 0, kind=int, help="seed of the noise"),
))

EXTRACTION_OPTIONS = OptionGroup("extraction", (
    Option("hook", "residual", choices=HOOKS, help="where to read each layer: " + "; ".join(
        f"{k}: {v}" for k, v in HOOK_DESCRIPTIONS.items())),
    Option("pooling", "last", choices=POOLINGS, help="last token or mean over tokens"),
    Option("max_tokens", 512, kind=int, help="truncate longer prompts inside the text"),
    Option("chat_template", False, flag=True,
           help="wrap each prompt as a user turn of the model's chat template (instruct models; off by default, "
                "as the reference feeds raw prompts)"),
))

PROBE_OPTIONS = OptionGroup("probe", (
    Option("protocol", "paper", choices=PROTOCOLS,
           help="paper: reference 60/40 split, unscaled; cv: stratified k-fold with standardisation"),
    Option("folds", 5, kind=int, help="folds of --protocol cv"),
    Option("probe", "lr", choices=PROBES,
           help="; ".join(f"{k}: {v}" for k, v in PROBE_NAMES.items())),
    Option("seed", 42, kind=int, help="split / fold / control-shuffle seed"),
    Option("no_control", False, flag=True, help="skip the shuffled-label control probe"),
))

DEPTH_OPTIONS = OptionGroup("depth metrics", (
    Option("jump_fraction", 0.8, kind=float, help="jumping point: first layer with acc-chance >= F*(peak-chance)"),
    Option("converge_eps", 0.01, kind=float, help="converging point: first layer with acc >= peak-EPS"),
    Option("alpha", 0.05, kind=float, help="significance level of 'acquired'"),
    Option("depth_rule", "chance", choices=DEPTH_RULES,
           help="chance (default): jumping point as a share of the gain over chance, layers only for an acquired "
                "concept; paper: arXiv 2404.07066's share of the peak accuracy itself, layers for every curve"),
))

#: How a run runs (never part of a spec: they change speed, not numbers).
RUN_OPTIONS = OptionGroup("run", (
    Option("batch_size", 16, kind=int, help="prompts per forward pass (does not change results)"),
    Option("device", None, help="cpu, cuda, ... (default: cuda if available)"),
    Option("cache_dir", None, help="cache directory (default $CONCEPT_DEPTH_CACHE or ./cache)"),
    Option("jobs", None, kind=int, help="worker processes for probing layers (default min(2, CPUs))"),
))

OUTPUT_OPTIONS = OptionGroup("output", (
    Option("out", None, help="write the result JSON to this file"),
    Option("json", False, flag=True, help="print the result JSON instead of the table"),
    Option("figure", None, help="also write the figure to FILE.svg, .png or .pdf"),
    Option("quiet", False, flag=True, help="no progress bars"),
))

__all__ = ["Option", "OptionGroup", "values_of", "refuse_unknown", "comma_list", "numbers", "text_escapes",
           "MODEL_OPTIONS", "DATASET_OPTIONS", "EXTRACTION_OPTIONS", "PROBE_OPTIONS", "DEPTH_OPTIONS", "RUN_OPTIONS",
           "OUTPUT_OPTIONS"]
