"""The sample's own text inside a prompt (hover labels and example tables)."""

from concept_depth.figures.text import sample_texts, template_parts

INSTRUCTION = ("Judge whether the statement is True or not. Your answer should be in the following format. "
               "Answer concisely. Answer: {Yes or No}. Reason: {Why you choose that answer}")


def test_template_prefix_and_suffix_are_removed():
    template = INSTRUCTION + " {text}"
    texts = ("The city of Paris is in France.", "aaaThe city of Rome is in Peru.")
    prompts = [template.replace("{text}", t) for t in texts]
    assert sample_texts(prompts, template) == list(texts)
    after = "{text} Is the coin still heads up? Answer:"
    assert sample_texts(["A coin. Is the coin still heads up? Answer:"], after) == ["A coin."]
    assert template_parts(after) == ("", " Is the coin still heads up? Answer:") and template_parts(None) is None


def test_without_a_template_the_shared_instruction_is_removed_at_a_word_boundary():
    prompts = [f"{INSTRUCTION} {t}" for t in ("Tokyo is in Japan.", "Tokyo is in Spain.", "Lima is in Peru.")]
    assert sample_texts(prompts) == ["Tokyo is in Japan.", "Tokyo is in Spain.", "Lima is in Peru."]
    # short shared beginnings are part of the texts, not an instruction
    assert sample_texts(["The cat sat.", "The dog ran."]) == ["The cat sat.", "The dog ran."]
    # a prompt that does not match its template falls back to the shared-affix rule, never to nothing
    assert sample_texts(["only text"], "Q: {text} A:") == ["only text"]
