"""The expression analysis inside a chat turn: prompts wrapped in the tokenizer's chat template."""

from __future__ import annotations

import numpy as np
import pytest

from concept_depth.analyses.expression import ExpressionSpec, build_prompt, run_expression
from concept_depth.analyses.probe import load_run
from concept_depth.capture import Capture
from concept_depth.capture.tokenize import chat_wrap
from concept_depth.core.errors import BadInputError
from concept_depth.core.specs import DatasetSpec, ModelSpec
from concept_depth.datasets import SampleSet
from concept_depth.models import load_model
from concept_depth.storage.store import Store

#: A ChatML-like template, as SmolLM2's: a system turn first, the reply after "assistant\n".
CHATML = ("{% for m in messages %}{% if loop.first %}<s>[system] You answer.</s>\n{% endif %}"
          "<s>[{{ m['role'] }}]\n{{ m['content'] }}</s>\n{% endfor %}"
          "{% if add_generation_prompt %}<s>[assistant]\n{% endif %}")


@pytest.fixture(scope="module")
def chat_llama():
    """A tiny llama of its own (the session's shared one keeps no template) with a chat template."""
    lm = load_model(ModelSpec(source="tiny:llama"), device="cpu")
    lm.tokenizer.chat_template = CHATML
    return lm


def _samples(n: int = 40) -> SampleSet:
    texts = tuple(f"The coin is {'heads' if i % 2 else 'tails'} up, statement {i}." for i in range(n))
    return SampleSet(name="toy", category="custom", template="Is it true? {text}", texts=texts,
                     labels=np.array([i % 2 for i in range(n)], dtype=np.int64), answer_words=("no", "yes"))


def _spec(chat: bool, probe: bool = True) -> ExpressionSpec:
    return ExpressionSpec(model=ModelSpec(source="tiny:llama"), dataset=DatasetSpec(name="toy"), shots=(1,),
                          pool_size=4, max_n=3, probe=probe, chat_template=chat)


def test_few_shot_prompt_and_cue_sit_in_one_user_turn_ending_at_the_assistant_header(chat_llama):
    prompt = build_prompt("Is it true? {text}", "Tokyo is in Spain.", [("Paris is in France.", "yes")], "\nAnswer:")
    wrapped = chat_wrap(chat_llama.tokenizer, prompt)
    assert wrapped.count("[user]") == 1 and wrapped.count("Answer:") == 2  # examples and query: one user turn
    assert wrapped.endswith("Tokyo is in Spain.\nAnswer:</s>\n<s>[assistant]\n")  # the next token is the reply
    ids, = Capture(chat_llama).encode([prompt], chat_template=True)
    assert ids == chat_llama.tokenizer(wrapped, add_special_tokens=False)["input_ids"]
    assert ids.count(chat_llama.tokenizer.bos_token_id) == 3  # the template's own, no extra BOS


def test_expression_with_the_chat_template_is_stated_and_cached_apart(chat_llama, tmp_path):
    store = Store(tmp_path)
    samples = _samples()
    runs = {chat: run_expression(_spec(chat), store=store, samples=samples, model_loader=lambda s: chat_llama)
            for chat in (False, True)}
    raw, chat = runs[False], runs[True]
    assert raw.key != chat.key
    assert chat.spec["chat_template"] is True and raw.spec["chat_template"] is False
    assert any("chat template" in n for n in chat.notes) and not any("chat template" in n for n in raw.notes)
    assert chat.label.endswith("chat template") and not raw.label.endswith("chat template")
    # the template adds its turns to every prompt; the answer words are the same tokens
    assert chat.shots[0]["mean_tokens"] > raw.shots[0]["mean_tokens"] + 8
    assert chat.spec["answer_tokens"] == raw.spec["answer_tokens"]
    # the probe step read the wrapped prompts too, and says so
    probe = load_run(store, chat.spec["probe_run_key"])
    assert probe.spec["chat_template"] is True and load_run(store, raw.spec["probe_run_key"]).spec["chat_template"] is False
    again = run_expression(_spec(True), store=store, samples=samples, model_loader=lambda s: pytest.fail("loaded"))
    assert again.key == chat.key and again.summary == chat.summary


def test_a_tokenizer_without_a_chat_template_is_one_clear_error(tiny_models, tmp_path):
    with pytest.raises(BadInputError, match="no chat template"):
        run_expression(_spec(True, probe=False), store=Store(tmp_path), samples=_samples(),
                       model_loader=lambda s: tiny_models("llama"))
