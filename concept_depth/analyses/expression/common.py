"""What the binary and the multiple-choice readings share: the flat spec block and the probe curve."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ...core.specs import ExtractionSpec, RunSpec
from ...datasets import SampleSet
from ..probe import PROBE
from ..protocol import Session
from .answer_words import AnswerTokens
from .spec import ExpressionSpec


def answer_words_of(spec: ExpressionSpec, samples: SampleSet) -> tuple[str, str]:
    """The answer words asked for, else the dataset's own."""
    return spec.answer_words or tuple(samples.answer_words)  # type: ignore[return-value]


def flat_spec(spec: ExpressionSpec, samples: SampleSet, loaded_label: str, fingerprint: str,
              answer: AnswerTokens | None, n_eval: int) -> dict[str, Any]:
    """The flat ``spec`` block of the result (labels, tables, the Runs page)."""
    ds, model = spec.dataset, spec.model
    return {
        "model": model.source, "model_label": loaded_label, "model_fingerprint": fingerprint,
        "model_revision": model.revision, "quant": model.quant,
        "dataset": samples.name, "category": samples.category, "dataset_hash": samples.content_hash,
        "limit": ds.limit, "variant": ds.variant, "prompt": samples.template,
        "noise": ds.noise.kind, "noise_strength": ds.noise.strength, "noise_seed": ds.noise.seed,
        "shots": list(spec.shots), "seed": spec.seed, "pool_size": spec.pool_size, "max_n": spec.max_n,
        "max_tokens": spec.max_tokens, "answer_cue": spec.answer_cue,
        "answer_words": list(answer.words if answer else answer_words_of(spec, samples)),
        "answer_tokens": [list(t) for t in answer.tokens] if answer else None,
        "answer_fallback": list(answer.fallback) if answer else None,
        "hook": "residual", "n_samples": len(samples), "n_eval": n_eval,
        "chat_template": bool(spec.chat_template),
    }


@dataclass(frozen=True)
class ProbeCurve:
    """The probe's accuracy per layer, from the cached probe analysis.

    accuracy : layer -> held-out accuracy; key : the probe run's key; chance : its chance level;
    per_question : True when the run scored multiple-choice questions (argmax over options, chance
    1/k), False when it scored rows one by one.
    """

    accuracy: dict[int, float]
    key: str
    chance: float | None
    per_question: bool


def probe_curve(spec: ExpressionSpec, session: Session) -> ProbeCurve:
    """Residual-stream probe accuracy per layer (paper protocol), through the cached probe analysis."""
    run_spec = RunSpec(extraction=ExtractionSpec(model=spec.model, dataset=spec.dataset, hook="residual",
                                                 pooling="last", max_tokens=spec.max_tokens,
                                                 chat_template=spec.chat_template))
    result = session.run(PROBE, run_spec, origin="expression")
    depth = getattr(result, "depth", None)
    # The depth definitions name a per-question chance ("mean of 1/k ...") when the run scored questions.
    per_question = "1/k" in str(((getattr(depth, "definition", None) or {}).get("chance")) or "")
    return ProbeCurve(accuracy={s.layer: float(s.accuracy) for s in result.layers}, key=result.key,
                      chance=None if depth is None else float(depth.chance), per_question=per_question)


__all__ = ["answer_words_of", "flat_spec", "ProbeCurve", "probe_curve"]
