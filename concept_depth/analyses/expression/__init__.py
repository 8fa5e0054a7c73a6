"""Cognition versus expression: what a probe reads from the layers against what the model answers.

Public API::

    run_expression(spec, *, store=None, samples=None, model_loader=None, batch_size=8, device=None,
                   progress=None, data_dir=None) -> ExpressionResult
    ExpressionSpec(model, dataset, shots=(0, 1, 2, 4, 8), seed=0, answer_words=None,
                   answer_cue="\\nAnswer:", pool_size=16, max_n=16, max_tokens=512, probe=True)
    list_expression_results(store) -> list[ExpressionResult]; load_expression(store, key)
    resolve_answer_words(tokenizer, words) -> AnswerTokens
    score_prompts(loaded, prompts, token_ids) -> PromptScores; lens_distribution(loaded, prompt)
"""

from ...capture import LensParts
from .answer_words import AnswerTokens, case_variants, resolve_answer_words
from .fewshot import build_prompt, example_order, split_pool
from .result import EXPRESSION_SCHEMA, ExpressionResult, list_expression_results, load_expression
from .run import run_expression
from .scores import PromptScores, lens_distribution, score_prompts
from .scoring import answer_accuracy, p_correct, pass_at_n, two_way_p1
from .spec import DEFAULT_SHOTS, RESULT_KIND, ExpressionSpec, parse_answer_words, parse_shots

__all__ = [
    "AnswerTokens", "case_variants", "resolve_answer_words", "build_prompt", "example_order", "split_pool",
    "LensParts", "PromptScores", "lens_distribution", "score_prompts", "EXPRESSION_SCHEMA", "ExpressionResult",
    "list_expression_results", "load_expression", "run_expression", "answer_accuracy", "p_correct",
    "pass_at_n", "two_way_p1", "DEFAULT_SHOTS", "RESULT_KIND", "ExpressionSpec", "parse_answer_words",
    "parse_shots",
]
