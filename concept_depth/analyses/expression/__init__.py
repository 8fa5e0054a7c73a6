"""Cognition versus expression: what a probe reads from the layers against what the model answers.

Declared as :data:`EXPRESSION` (:mod:`.run`); the pieces: answer words and option letters and their
tokens (:mod:`.answer_words`), few-shot prompts (:mod:`.fewshot`), answer and logit-lens logits over the
capture core (:mod:`.scores`), accuracy / pass@n / maj@n arithmetic (:mod:`.scoring`), the spec and
its options (:mod:`.spec`), the result (:mod:`.result`) and the printed report (:mod:`.report`).
Multiple-choice sets: harness prompt formats and the question pool (:mod:`.choice_prompts`), option
log-likelihoods (:mod:`.continuations`), their arithmetic (:mod:`.choice_scoring`) and the run
(:mod:`.choice_run`).
"""

from ...capture import LensParts
from .answer_words import AnswerTokens, LetterTokens, case_variants, resolve_answer_words, resolve_letters
from .choice_prompts import letter_prompt, question_example_order, split_question_pool, text_context
from .continuations import ContinuationScores, score_continuations
from .fewshot import build_prompt, example_order, split_pool
from .result import EXPRESSION_SCHEMA, ExpressionResult
from .run import EXPRESSION, list_expression_results, load_expression, run_expression
from .scores import PromptScores, lens_distribution, score_prompts
from .scoring import answer_accuracy, p_correct, pass_at_n, two_way_p1
from .spec import DEFAULT_SHOTS, EXPRESSION_OPTIONS, RESULT_KIND, ExpressionSpec, parse_answer_words, parse_shots

__all__ = [
    "AnswerTokens", "LetterTokens", "case_variants", "resolve_answer_words", "resolve_letters", "letter_prompt",
    "question_example_order", "split_question_pool", "text_context", "ContinuationScores", "score_continuations",
    "build_prompt", "example_order", "split_pool",
    "LensParts", "PromptScores", "lens_distribution", "score_prompts", "EXPRESSION_SCHEMA", "ExpressionResult",
    "EXPRESSION", "list_expression_results", "load_expression", "run_expression", "answer_accuracy", "p_correct",
    "pass_at_n", "two_way_p1", "DEFAULT_SHOTS", "EXPRESSION_OPTIONS", "RESULT_KIND", "ExpressionSpec",
    "parse_answer_words", "parse_shots",
]
