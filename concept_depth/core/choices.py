"""The values a spec field may take, and their meaning: one table each, shared by specs, options and labels."""

from __future__ import annotations

#: Bump when extraction or probing code changes the numbers it produces (part of every cache key).
SCHEMA_VERSION = 1

QUANTS = (32, 16, 8, 4)
QUANT_NAMES = {32: "32 (float32)", 16: "16 (bfloat16)", 8: "8 (int8)", 4: "4 (NF4)"}
#: The one table of hook points and what each layer number means there.
HOOK_DESCRIPTIONS = {
    "residual": "the residual stream (layer 0 = token embeddings, layer l = output of block l)",
    "post_attention_layernorm": "the reference code's hook, the output of `post_attention_layernorm` in block l "
                                "(in Llama/Qwen the normalised input of the MLP, not the block output)",
    "attn_out": "the attention output of block l, as added to the residual stream (after the output projection; "
                "in Gemma 2/3 after post_attention_layernorm; layer l = block l)",
    "mlp_out": "the MLP output of block l, as added to the residual stream (in Gemma 2/3 after "
               "post_feedforward_layernorm; layer l = block l)",
}
HOOKS = tuple(HOOK_DESCRIPTIONS)
POOLINGS = ("last", "mean")
NOISE_KINDS = ("none", "paper", "typos")
PROTOCOLS = ("paper", "cv")
#: Probe families: what each name means (``mass-mean``: difference of class means, as in geometry-of-truth;
#: ``reading``: RepE's LAT rep-reading vector, the first principal component of option differences).
PROBE_NAMES = {"lr": "logistic regression", "rf": "random forest",
               "mass-mean": "mass-mean (difference of class means)",
               "reading": "reading vector (RepE LAT)"}
PROBES = tuple(PROBE_NAMES)
#: Probes that read grouped samples only (multiple-choice options, or pairs of one fact).
GROUPED_PROBES = ("reading",)
#: Probes the analyses beyond the paper fit on plain two-class samples (transfer).
PLAIN_PROBES = tuple(p for p in PROBES if p not in GROUPED_PROBES)
#: Probes whose weights are a direction in the layer's space (directions, steering).
LINEAR_PROBES = tuple(p for p in PLAIN_PROBES if p != "rf")
#: Depth rules: ``chance`` (default) measures gains over chance; ``paper`` is arXiv 2404.07066's own rule.
DEPTH_RULES = ("chance", "paper")

#: Seeds are passed to scikit-learn and numpy, which take 0 .. 2**32 - 1.
MAX_SEED = 2**32 - 1
MAX_FOLDS = 100
#: A probe run needs at least this many samples of each class (as a custom file does).
MIN_PER_CLASS = 10
