"""The one place that knows where each architecture keeps its parts.

Every per-architecture branch lives here; an architecture we do not know raises
:class:`~concept_depth.errors.UnavailableError` instead of guessing.

Supported families: Llama (and Mistral-like), Gemma / Gemma 2 / Gemma 3, Qwen2 / Qwen3,
GPT-2, and BERT-style encoders (BERT, RoBERTa, MiniLM...).
"""

from __future__ import annotations

import types
from typing import TYPE_CHECKING, Any

from ..core.errors import UnavailableError
from ..core.optional import torch

if TYPE_CHECKING:  # torch itself is imported only where a module is inspected, so configs need none
    from torch import nn

# model_type -> family
_FAMILIES = {
    "llama": "llama", "mistral": "llama", "qwen2": "llama", "qwen3": "llama",
    "gemma": "gemma", "gemma2": "gemma", "gemma3": "gemma", "gemma3_text": "gemma",
    "gpt2": "gpt2",
    "bert": "bert", "roberta": "bert", "xlm-roberta": "bert", "distilbert": "distilbert",
}

#: Families whose decoder supports the key/value cache (prefix reuse) and causal attention.
DECODER_FAMILIES = ("llama", "gemma", "gpt2")


def family(model: nn.Module) -> str:
    """Family name (``llama``, ``gemma``, ``gpt2``, ``bert``, ``distilbert``) of a HF model."""
    config = getattr(model, "config", None)
    model_type = getattr(config, "model_type", None)
    if model_type in _FAMILIES:
        return _FAMILIES[model_type]
    text_config = getattr(config, "text_config", None)
    if text_config is not None and getattr(text_config, "model_type", None) in _FAMILIES:
        return _FAMILIES[text_config.model_type]
    raise UnavailableError(f"architecture {model_type or type(model).__name__!r} is not supported yet "
                           f"(supported: {', '.join(sorted(set(_FAMILIES)))})")


def base_model(model: nn.Module) -> nn.Module:
    """The transformer body without the vocabulary head (``LlamaModel``, ``GPT2Model``, ``BertModel``...)."""
    fam = family(model)
    if fam == "gpt2":
        return getattr(model, "transformer", model)
    if fam in ("bert", "distilbert"):
        prefix = getattr(model, "base_model_prefix", "")
        inner = getattr(model, prefix, None) if prefix else None
        return inner if isinstance(inner, torch.nn.Module) and inner is not model else model
    inner = getattr(model, "model", None)
    if inner is None:
        return model
    # Gemma3ForConditionalGeneration keeps the text stack one level deeper
    return getattr(inner, "language_model", inner)


def decoder_layers(model: nn.Module) -> nn.ModuleList:
    """The list of transformer blocks, first to last (length = number of layers L)."""
    fam = family(model)
    body = base_model(model)
    if fam == "gpt2":
        return body.h
    if fam == "bert":
        return body.encoder.layer
    if fam == "distilbert":
        return body.transformer.layer
    return body.layers


def final_norm(model: nn.Module) -> nn.Module | None:
    """The norm applied after the last block (``None`` for post-LN encoders such as BERT)."""
    fam = family(model)
    body = base_model(model)
    if fam == "gpt2":
        return body.ln_f
    if fam in ("bert", "distilbert"):
        return None
    return body.norm


def output_embedding(model: nn.Module) -> nn.Module:
    """The vocabulary projection: ``lm_head`` if present, else the (tied) input embedding."""
    head = model.get_output_embeddings() if hasattr(model, "get_output_embeddings") else None
    if head is not None:
        return head
    family(model)
    return base_model(model).get_input_embeddings()


def post_attention_norm(model: nn.Module, index: int) -> nn.Module:
    """The reference's hook point in block ``index``: the norm right after attention.

    Llama/Qwen/Gemma: ``post_attention_layernorm``; GPT-2: ``ln_2`` (the same role, the
    normalised input of the MLP); BERT: the attention output LayerNorm.
    """
    fam = family(model)
    block = decoder_layers(model)[index]
    if fam == "gpt2":
        return block.ln_2
    if fam == "bert":
        return block.attention.output.LayerNorm
    if fam == "distilbert":
        return block.sa_layer_norm
    return block.post_attention_layernorm


def is_decoder(model: nn.Module) -> bool:
    """True for causal decoders (last-token pooling and prefix reuse make sense)."""
    return family(model) in DECODER_FAMILIES


def uses_absolute_positions(model: nn.Module) -> bool:
    """True when position ids feed a learned table (GPT-2, BERT): they must skip padding."""
    return family(model) in ("gpt2", "bert", "distilbert")


def sliding_window(model: nn.Module) -> int | None:
    """Smallest attention window of any layer, or ``None`` when every layer sees everything."""
    config = getattr(model, "config", None)
    config = getattr(config, "text_config", None) or config
    window = getattr(config, "sliding_window", None)
    types = getattr(config, "layer_types", None)
    if window and (types is None or any("sliding" in t for t in types)):
        return int(window)
    return None


def body_inputs(model: nn.Module, input_ids, attention_mask, position_ids) -> dict:
    """Keyword arguments of the transformer body's forward for one padded batch.

    BERT-style encoders take ``token_type_ids``; DistilBERT has no ``position_ids`` argument
    (its positions are always 0..S-1, which right padding keeps exact).
    """
    fam = family(model)
    kwargs = {"input_ids": input_ids, "attention_mask": attention_mask, "position_ids": position_ids}
    if fam == "bert":
        kwargs["token_type_ids"] = input_ids.new_zeros(input_ids.shape)
    if fam == "distilbert":
        kwargs.pop("position_ids")
    return kwargs


def final_logit_softcap(model: nn.Module) -> float | None:
    """Gemma 2/3 squash their output logits with ``tanh(x / cap) * cap``; None elsewhere."""
    config = getattr(model, "config", None)
    cap = getattr(config, "final_logit_softcapping", None)
    if cap is None and config is not None and hasattr(config, "get_text_config"):
        cap = getattr(config.get_text_config(), "final_logit_softcapping", None)
    return float(cap) if cap else None


def _has_sandwich_norms(block: nn.Module) -> bool:
    """Gemma 2/3 normalise the attention and MLP outputs before adding them to the residual stream."""
    return hasattr(block, "post_feedforward_layernorm")


def attention_output(model: nn.Module, index: int) -> nn.Module:
    """The module whose output is block ``index``'s attention contribution to the residual stream.

    That is the tensor the block adds to its input:

    - Llama / Qwen / Mistral / Gemma 1: ``self_attn`` (after ``o_proj``);
    - Gemma 2 / 3: ``post_attention_layernorm``, which normalises the attention output *before*
      the residual add (so here ``attn_out`` equals the ``post_attention_layernorm`` hook);
    - GPT-2: ``attn`` (after ``c_proj`` and the residual dropout);
    - BERT: ``attention.output.dense`` (post-LN: its output, after dropout, is added to the
      block input and the sum is normalised, so the residual identity does not hold);
    - DistilBERT: ``attention`` (after ``out_lin``; post-LN as BERT).
    """
    fam = family(model)
    block = decoder_layers(model)[index]
    if fam == "gpt2":
        return block.attn
    if fam == "bert":
        return block.attention.output.dense
    if fam == "distilbert":
        return block.attention
    if fam == "gemma" and _has_sandwich_norms(block):
        return block.post_attention_layernorm
    return block.self_attn


def mlp_output(model: nn.Module, index: int) -> nn.Module:
    """The module whose output is block ``index``'s MLP contribution to the residual stream.

    Llama / Qwen / Mistral / Gemma 1 / GPT-2: ``mlp``; Gemma 2 / 3: ``post_feedforward_layernorm``
    (applied to the MLP output before the residual add); BERT: ``output.dense``; DistilBERT: ``ffn``.
    """
    fam = family(model)
    block = decoder_layers(model)[index]
    if fam == "bert":
        return block.output.dense
    if fam == "distilbert":
        return block.ffn
    if fam == "gemma" and _has_sandwich_norms(block):
        return block.post_feedforward_layernorm
    return block.mlp


def residual_is_sum_of_components(model: nn.Module) -> bool:
    """True when residual(l) = residual(l-1) + attn_out(l) + mlp_out(l) exactly (pre-norm decoders);
    False for post-LN encoders (BERT, DistilBERT), which normalise after each add."""
    return family(model) in ("llama", "gemma", "gpt2")


#: Where a hook point sits inside block ``layer - 1`` (execution order within the block).
_STAGE = {"attn_out": 3, "post_attention_layernorm": 5, "mlp_out": 7, "residual": 9}
#: Hooks read from one module of block ``layer - 1`` (layers 1..L).
_BLOCK_HOOKS = {"post_attention_layernorm": post_attention_norm, "attn_out": attention_output,
                "mlp_out": mlp_output}


def hook_module(model: nn.Module, hook: str, layer: int) -> tuple[nn.Module, str, tuple[int, int]]:
    """(module, "pre" | "out", execution order) of hook point ``hook`` at layer number ``layer``.

    residual: layer 0 is the input of block 0 (the embeddings, scaled as the model scales
    them), layer l >= 1 the output of block l (before the final norm).
    post_attention_layernorm: layer l is that norm's output in block l - 1.
    attn_out / mlp_out: layer l is what block l - 1's attention / MLP adds to the residual
    stream (see :func:`attention_output` and :func:`mlp_output`).
    The order sorts points by when the forward reaches them.
    """
    blocks = decoder_layers(model)
    if hook != "residual" and hook not in _BLOCK_HOOKS:
        raise UnavailableError(f"hook {hook!r} is not supported")
    if not 0 <= layer <= len(blocks) or (layer == 0 and hook != "residual"):
        raise ValueError(f"{hook} has no layer {layer} in a {len(blocks)}-block model")
    if hook == "residual":
        if layer == 0:
            return blocks[0], "pre", (0, 0)
        return blocks[layer - 1], "out", (layer - 1, _STAGE[hook])
    return _BLOCK_HOOKS[hook](model, layer - 1), "out", (layer - 1, _STAGE[hook])


# ---- fused kernels (same math, fewer passes over memory) ---------------------------------------
_GEMMA_NORMS = ("GemmaRMSNorm", "Gemma2RMSNorm", "Gemma3RMSNorm")  # x * rsqrt(mean x^2 + eps) * (1 + w), in float32
_LLAMA_NORMS = ("LlamaRMSNorm", "MistralRMSNorm", "Qwen2RMSNorm", "Qwen3RMSNorm")  # w * (normalised x).to(dtype)


def _gemma_rms_norm(self, x):
    weight = 1.0 + self.weight.float()
    return torch.nn.functional.rms_norm(x.float(), weight.shape, weight, self.eps).type_as(x)


def _llama_rms_norm(self, hidden_states):
    normed = torch.nn.functional.rms_norm(hidden_states.float(), self.weight.shape, None, self.variance_epsilon)
    return self.weight * normed.to(hidden_states.dtype)


def use_fused_norms(model: nn.Module) -> int:
    """Run every RMSNorm of ``model`` through torch's one-pass ``rms_norm`` (same formula as the
    transformers code it replaces, in the same dtypes; equal to float rounding). Idempotent;
    returns how many norms it switched. Hooks on the norms keep working (only ``forward`` changes).

    The transformers versions take four to six passes over memory per norm; Gemma 3 runs six
    norms per block, which made them the largest cost after the matrix products on a CPU.
    """

    n = 0
    for module in model.modules():
        name = type(module).__name__
        if "forward" in module.__dict__:
            continue  # already switched (or patched by someone else: leave it)
        if name in _GEMMA_NORMS and hasattr(module, "eps"):
            module.forward = types.MethodType(_gemma_rms_norm, module)
        elif name in _LLAMA_NORMS and hasattr(module, "variance_epsilon"):
            module.forward = types.MethodType(_llama_rms_norm, module)
        else:
            continue
        n += 1
    return n

# ---- configs (no weights, no torch) ----------------------------------------------------
def text_config(config: Any) -> Any:
    """The language model's config: ``config.text_config`` for multimodal wrappers, else ``config``."""
    return getattr(config, "text_config", None) or config


def _config_int(config: Any, names: tuple[str, ...], what: str) -> int:
    """The first non-empty of ``names`` on the language model's config, as an int."""
    config = text_config(config)
    for name in names:
        value = getattr(config, name, None)
        if value:
            return int(value)
    raise UnavailableError(f"cannot tell the {what} of architecture {getattr(config, 'model_type', '?')!r}")


def hidden_size(config: Any) -> int:
    """Width D of the residual stream, whatever the config calls it (``hidden_size``, GPT-2's
    ``n_embd``, DistilBERT's ``dim``)."""
    return _config_int(config, ("hidden_size", "n_embd", "dim", "d_model"), "hidden size")


def layer_count(config: Any) -> int:
    """Number of transformer blocks L (``num_hidden_layers``, GPT-2's ``n_layer``, DistilBERT's ``n_layers``)."""
    return _config_int(config, ("num_hidden_layers", "n_layer", "n_layers", "num_layers"), "layer count")


def estimate_params(config: Any) -> int:
    """Parameter count of a decoder or encoder from its config alone (no weights).

    Embedding V*D (twice when the output projection is not tied), per block the attention
    projections (query and output D*D each, key and value D*kv_dim each, kv_dim = key/value
    heads * head size) plus the MLP (3*D*I for gated MLPs: Llama, Gemma, Qwen; 2*D*I otherwise),
    biases and norms ignored (under 0.1 % of the total). Within a few per cent of the published
    counts for the paper's models.
    """
    c = text_config(config)
    d = hidden_size(c)
    n_layers = layer_count(c)
    vocab = int(getattr(c, "vocab_size", 0) or 0)
    inter = int(getattr(c, "intermediate_size", None) or getattr(c, "n_inner", None) or 4 * d)
    heads = int(getattr(c, "num_attention_heads", None) or getattr(c, "n_head", None) or 1)
    head_dim = int(getattr(c, "head_dim", None) or d // heads)
    kv_heads = int(getattr(c, "num_key_value_heads", None) or heads)
    attention = 2 * d * heads * head_dim + 2 * d * kv_heads * head_dim
    gated = getattr(c, "model_type", "") in _FAMILIES and _FAMILIES[c.model_type] in ("llama", "gemma")
    mlp = (3 if gated else 2) * d * inter
    tied = bool(getattr(c, "tie_word_embeddings", True))
    return vocab * d * (1 if tied else 2) + n_layers * (attention + mlp)


#: GGUF ``general.architecture`` -> HF ``model_type`` for the architectures whose GGUF files we
#: dequantise directly (checked against transformers' own GGUF loader by a test); others go
#: through transformers' loader.
GGUF_DIRECT = {"llama": "llama", "gemma3": "gemma3_text"}
