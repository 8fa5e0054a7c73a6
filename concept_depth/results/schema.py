"""The ``concept-depth/result@1`` JSON schema, and strict reading of result files made elsewhere.

A result file is untrusted input (a user imports it, or hands it to ``export``). It is
read strictly: at most :data:`MAX_RESULT_BYTES`, UTF-8, JSON with finite numbers only
(no NaN, Infinity or overflowing literals), validated with ``jsonschema`` against
:data:`RESULT_JSON_SCHEMA` (types, ranges, at most :data:`MAX_LAYERS` layers, string
lengths, at most :data:`MAX_DEPTH` levels of nesting, checked first without recursion), then
checked for what a schema cannot say (layer numbers unique, depth layers
among them, names free of control characters and ``<``/``>`` markup). Every failure is
one BadInputError line naming the field.
"""

from __future__ import annotations

import itertools
import json
import math
import re
from typing import Any

import jsonschema

from ..core.errors import BadInputError

RESULT_SCHEMA = "concept-depth/result@1"
MAX_RESULT_BYTES = 5 * 2**20
MAX_LAYERS = 1024
MAX_NAME = 300
MAX_TEXT = 10_000
#: Levels of nested objects and lists a result may have (ours have at most 5); deeper ones are refused
#: before the schema or any other recursive code walks them.
MAX_DEPTH = 16

_NAME = {"type": "string", "maxLength": MAX_NAME}
_OPT_NAME = {"type": ["string", "null"], "maxLength": MAX_NAME}
_OPT_INT = {"type": ["integer", "null"], "minimum": -2**63, "maximum": 2**63 - 1}
_SCORE = {"type": "number", "minimum": 0, "maximum": 1}
_OPT_SCORE = {"type": ["number", "null"], "minimum": 0, "maximum": 1}
_LAYER_NO = {"type": "integer", "minimum": 0, "maximum": MAX_LAYERS}
_OPT_LAYER_NO = {"type": ["integer", "null"], "minimum": 0, "maximum": MAX_LAYERS}
_SCALAR = {"type": ["string", "number", "boolean", "null"], "maxLength": MAX_TEXT}
_BITS = {"type": "string", "maxLength": MAX_RESULT_BYTES}  # base64 of packed bits (concept_depth.outcomes)
_LAYER_NAME = {"type": "string", "pattern": "^[0-9]{1,4}$"}
_COSINE = {"type": "number", "minimum": -1.001, "maximum": 1.001}
_OPT_SD = {"type": ["number", "null"], "minimum": 0}

RESULT_JSON_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": "https://concept-depth.invalid/schemas/result@1",
    "title": RESULT_SCHEMA,
    "type": "object",
    "required": ["schema", "spec", "n_samples", "n_layers", "hidden_size", "layers", "depth"],
    "maxProperties": 64,
    "properties": {
        "schema": {"const": RESULT_SCHEMA},
        "key": {"type": "string", "maxLength": MAX_NAME},
        "created": {"type": "string", "maxLength": 64},
        "spec": {
            "type": "object",
            "required": ["model", "dataset"],
            "maxProperties": 64,
            "properties": {
                "model": _NAME, "model_label": _OPT_NAME, "model_revision": _OPT_NAME, "dataset": _NAME,
                "category": _OPT_NAME, "quant": {"enum": [32, 16, 8, 4, "32", "16", "8", "4"]},
                "noise": _OPT_NAME, "noise_strength": {"type": ["number", "null"], "minimum": 0, "maximum": 1},
                "noise_seed": _OPT_INT, "hook": _OPT_NAME, "pooling": _OPT_NAME,
                "limit": {"type": ["integer", "null"], "minimum": 0, "maximum": 10**9},
                "max_tokens": {"type": ["integer", "null"], "minimum": 0, "maximum": 10**7},
                "protocol": _OPT_NAME, "probe": _OPT_NAME,
                "folds": {"type": ["integer", "null"], "minimum": 0, "maximum": 10**6}, "seed": _OPT_INT,
                "prompt": {"type": ["string", "null"], "maxLength": MAX_TEXT}, "variant": _OPT_NAME,
            },
            "additionalProperties": _SCALAR,
        },
        "n_samples": {"type": "integer", "minimum": 1, "maximum": 10**10},
        "n_layers": {"type": "integer", "minimum": 1, "maximum": MAX_LAYERS},
        "hidden_size": {"type": "integer", "minimum": 1, "maximum": 10**7},
        "layers": {
            "type": "array", "minItems": 1, "maxItems": MAX_LAYERS + 1,
            "items": {
                "type": "object", "required": ["layer", "accuracy"], "maxProperties": 32,
                "properties": {
                    "layer": _LAYER_NO, "accuracy": _SCORE, "f1": _OPT_SCORE, "auc": _OPT_SCORE,
                    "accuracy_std": _OPT_SCORE, "f1_std": _OPT_SCORE, "auc_std": _OPT_SCORE,
                    "control_accuracy": _OPT_SCORE, "control_accuracy_std": _OPT_SCORE,
                    "selectivity": {"type": ["number", "null"], "minimum": -1, "maximum": 1},
                },
                "additionalProperties": _SCALAR,
            },
        },
        "depth": {
            "type": "object", "required": ["peak_accuracy", "chance", "acquired"], "maxProperties": 32,
            "properties": {
                "jumping_point": _OPT_LAYER_NO, "converging_point": _OPT_LAYER_NO, "peak_layer": _OPT_LAYER_NO,
                "peak_accuracy": _SCORE, "chance": _SCORE, "acquired": {"type": "boolean"},
                "p_value": _OPT_SCORE, "n_layers": {"type": "integer", "minimum": 0, "maximum": MAX_LAYERS},
                "definition": {"type": "object", "maxProperties": 32},
            },
        },
        "timing": {"type": "object", "maxProperties": 64},
        "notes": {"type": "array", "maxItems": 100, "items": {"type": "string", "maxLength": MAX_TEXT}},
        "activation_key": {"type": ["string", "null"], "maxLength": MAX_NAME},
        "created_ts": {"type": "number", "minimum": 0},
        # per-sample outcomes of the evaluation samples (paired comparisons, concept_depth.outcomes)
        "outcomes": {
            "type": "object", "maxProperties": 16,
            "required": ["format", "n_samples", "eval", "labels", "layers"],
            "properties": {
                "format": {"const": "packbits-base64@1"},
                "n_samples": {"type": "integer", "minimum": 1, "maximum": 10**9},
                "n_eval": {"type": "integer", "minimum": 1, "maximum": 10**9},
                "eval": _BITS, "labels": _BITS,
                "layers": {"type": "object", "maxProperties": MAX_LAYERS + 1, "propertyNames": _LAYER_NAME,
                           "additionalProperties": _BITS},
            },
        },
        "layer_warnings": {
            "type": "object", "maxProperties": 32,
            "additionalProperties": {"type": "object", "maxProperties": MAX_LAYERS + 1, "propertyNames": _LAYER_NAME,
                                     "additionalProperties": {"type": "integer", "minimum": 0,
                                                              "maximum": 10**9}},
        },
        # fidelity of a low bit width against float32 (concept_depth.fidelity)
        "fidelity": {
            "type": "object", "maxProperties": 8,
            "properties": {
                "reference": _OPT_NAME,
                "layers": {"type": "array", "maxItems": MAX_LAYERS + 1, "items": {
                    "type": "object", "required": ["layer"], "maxProperties": 16,
                    "properties": {"layer": _LAYER_NO, "cosine_mean": _COSINE, "cosine_min": _COSINE,
                                   "max_sd": _OPT_SD, "mean_sd": _OPT_SD,
                                   "constant_dims": {"type": "integer", "minimum": 0, "maximum": 10**7}},
                    "additionalProperties": _SCALAR}},
            },
        },
        "run_spec": {"type": "object", "maxProperties": 8},
    },
}

_VALIDATOR = jsonschema.Draft202012Validator(RESULT_JSON_SCHEMA)
_BAD_TEXT = re.compile(r"[\x00-\x08\x0b-\x1f\x7f<>]")


def _where(path) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "the document"


def _describe(error: jsonschema.ValidationError) -> str:
    """One short sentence (never the offending value itself, which may be huge)."""
    where, v, val = _where(error.absolute_path), error.validator, error.validator_value
    if v == "type":
        types = " or ".join(["an object" if t == "object" else "a list" if t == "array" else
                             "null" if t == "null" else f"a {t}" for t in ([val] if isinstance(val, str) else val)])
        return f"{where} must be {types}"
    if v == "required":
        missing = [name for name in val if isinstance(error.instance, dict) and name not in error.instance]
        return f"{where} lacks {', '.join(repr(m) for m in missing) or 'a required field'}"
    if v in ("const", "enum"):
        shown = val if v == "const" else ", ".join(map(str, val))
        return f"{where} must be {shown!r}" if v == "const" else f"{where} must be one of {shown}"
    if v in ("minimum", "maximum"):
        return f"{where} must be {'at least' if v == 'minimum' else 'at most'} {val}"
    if v in ("maxItems", "minItems"):
        return f"{where} must have {'at most' if v == 'maxItems' else 'at least'} {val} entries"
    if v == "maxLength":
        return f"{where} is longer than {val} characters"
    if v == "maxProperties":
        return f"{where} has more than {val} fields"
    return f"{where}: {error.message[:160]}"


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"number {text[:30]} is out of range")
    return value


def _no_constant(name: str):
    raise ValueError(f"{name} is not a number JSON allows (use null for a missing value)")


def check_result_size(size: int, name: str = "result file") -> None:
    """BadInputError when a result file of ``size`` bytes is over :data:`MAX_RESULT_BYTES`."""
    if size > MAX_RESULT_BYTES:
        raise BadInputError(f"{name} is {size / 2**20:.1f} MB; a result file is at most "
                            f"{MAX_RESULT_BYTES / 2**20:.0f} MB")


def parse_json_bytes(data: bytes | str, name: str = "result file") -> Any:
    """Strictly parse one result file's content (any kind): at most :data:`MAX_RESULT_BYTES`, UTF-8,
    JSON with finite numbers only. One BadInputError line naming ``name`` otherwise."""
    check_result_size(len(data), name)
    if isinstance(data, (bytes, bytearray)):
        try:
            data = bytes(data).decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise BadInputError(f"{name} is not UTF-8 text (byte {exc.start})") from None
    try:
        return json.loads(data, parse_float=_finite, parse_constant=_no_constant)
    except json.JSONDecodeError as exc:
        raise BadInputError(f"{name} is not valid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno})") from None
    except ValueError as exc:
        raise BadInputError(f"{name} is not a valid result: {exc}") from None
    except RecursionError:
        raise BadInputError(f"{name} is not a valid result: nested too deeply") from None


def parse_result_bytes(data: bytes | str, name: str = "result file") -> dict[str, Any]:
    """Strictly parse and validate one ``concept-depth/result@1`` file's content; returns the JSON document."""
    doc = parse_json_bytes(data, name)
    try:
        return validate_result_document(doc)
    except BadInputError as exc:
        raise BadInputError(f"{name}: {exc}") from None


def nesting_depth(value: Any, limit: int = MAX_DEPTH) -> int:
    """Levels of nested dicts and lists in ``value`` (a scalar is 0), counted without recursion;
    stops counting past ``limit`` (returns ``limit + 1`` then), so a crafted document costs little."""
    deepest = 0
    stack = [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict):
            children = item.values()
        elif isinstance(item, (list, tuple)):
            children = item
        else:
            continue
        deepest = max(deepest, level)
        if deepest > limit:
            return deepest
        stack.extend((child, level + 1) for child in children if isinstance(child, (dict, list, tuple)))
    return deepest


def validate_result_document(doc: Any) -> dict[str, Any]:
    """``doc`` if it is a valid ``concept-depth/result@1`` document, else one BadInputError line."""
    if isinstance(doc, (dict, list)) and nesting_depth(doc) > MAX_DEPTH:  # before anything recursive walks it
        raise BadInputError(f"not a valid {RESULT_SCHEMA} result: nested too deeply (more than {MAX_DEPTH} levels)")
    if not isinstance(doc, dict):
        raise BadInputError(f"not a {RESULT_SCHEMA} result: the document must be a JSON object, "
                            f"not {type(doc).__name__ if doc is not None else 'null'}")
    if doc.get("schema") != RESULT_SCHEMA:
        raise BadInputError(f"not a concept-depth result (schema {str(doc.get('schema'))[:60]!r}, "
                            f"expected {RESULT_SCHEMA!r})")
    layers = doc.get("layers")
    if isinstance(layers, list) and len(layers) > MAX_LAYERS + 1:  # before the schema walks every item
        raise BadInputError(f"not a valid {RESULT_SCHEMA} result: layers must have at most {MAX_LAYERS + 1} entries")
    try:  # the best of the first few errors: a crafted file must not make us list millions
        error = jsonschema.exceptions.best_match(itertools.islice(_VALIDATOR.iter_errors(doc), 20))
    except RecursionError:
        raise BadInputError(f"not a valid {RESULT_SCHEMA} result: nested too deeply") from None
    if error is not None:
        raise BadInputError(f"not a valid {RESULT_SCHEMA} result: {_describe(error)}")
    numbers = [layer["layer"] for layer in doc["layers"]]
    if len(set(numbers)) != len(numbers):
        raise BadInputError(f"not a valid {RESULT_SCHEMA} result: layer numbers repeat")
    if max(numbers) > doc["n_layers"] + 1:
        raise BadInputError(f"not a valid {RESULT_SCHEMA} result: layer {max(numbers)} is beyond "
                            f"n_layers {doc['n_layers']}")
    for field in ("jumping_point", "converging_point", "peak_layer"):
        value = doc["depth"].get(field)
        if value is not None and value not in numbers:
            raise BadInputError(f"not a valid {RESULT_SCHEMA} result: depth.{field} {value} is not one of the layers")
    for where, text in [("key", doc.get("key")), ("created", doc.get("created"))] + \
            [(f"spec.{k}", v) for k, v in doc["spec"].items() if k != "prompt"]:
        if isinstance(text, str) and _BAD_TEXT.search(text):
            raise BadInputError(f"not a valid {RESULT_SCHEMA} result: {where} contains control characters or "
                                "< > markup")
    return doc
