"""The model catalog: the paper's models, current small ones and the offline ones.

Each entry has its hub id (what ``ModelSpec.source`` takes), family, depth, width, published
parameter count and the memory it needs at each bit width (:func:`.footprint.memory_needed`).
The app's model picker, ``python -m concept_depth models`` and the memory check before a load
read it. The paper (Jin et al., arXiv 2404.07066; reference code Luckfort/CD ``main.py``) used
Gemma 2B/7B, LLaMA 2 7B/13B *chat* and Qwen 1.5 0.5B to 14B; the reference code also lists
Llama 3 8B. Parameter counts are the models' own (their safetensors index), rounded to 0.1 %.
No torch here: the catalog is importable by a cached CLI rerun.
"""

from __future__ import annotations

from dataclasses import dataclass

from .embedded import embedded_model
from .footprint import memory_needed


@dataclass(frozen=True)
class KnownModel:
    """One catalog entry.

    source : what ``ModelSpec.source`` takes (a hub id, or ``embedded`` / ``smollm2`` / ``minilm``).
    label : what the model is, for labels and legends.
    family : ``gemma``, ``llama``, ``qwen``, ``smollm`` (a Llama architecture) or ``bert``.
    n_layers, hidden_size : blocks L and residual width D.
    n_params : parameter count.
    vocab_size, tied : vocabulary and whether the output projection reuses the input
        embedding (the embeddings stay in 16/32-bit under bitsandbytes, see ``memory_needed``).
    paper : used in the Concept Depth paper (or its reference code).
    offline : loads with no network; gated : needs an accepted licence and ``HF_TOKEN``.
    instruct : instruction-tuned, with a chat template in its tokenizer (prompts can be wrapped
        as a user turn, ``--chat-template``); base models take raw prompts.
    """

    source: str
    label: str
    family: str
    n_layers: int
    hidden_size: int
    n_params: int
    vocab_size: int
    tied: bool = True
    paper: bool = False
    offline: bool = False
    gated: bool = False
    instruct: bool = False

    @property
    def params(self) -> str:
        """Parameter count for people: ``270M``, ``2.5B``."""
        n = self.n_params
        return f"{n / 1e9:.1f}B".replace(".0B", "B") if n >= 0.95e9 else f"{n / 1e6:.0f}M"

    @property
    def embedding_params(self) -> int:
        """Parameters of the input embedding (and of the output projection when not tied)."""
        return self.vocab_size * self.hidden_size * (1 if self.tied else 2)

    def memory(self, device_type: str = "cuda") -> dict[int, int]:
        """Bytes needed at 32, 16, 8 and 4 bits on ``device_type`` (see ``memory_needed``)."""

        return {q: memory_needed(self.n_params, q, embedding_params=self.embedding_params, device_type=device_type)
                for q in (32, 16, 8, 4)}


def _m(source, label, family, n_layers, hidden, n_params, vocab, tied=True, **flags) -> KnownModel:
    return KnownModel(source, label, family, n_layers, hidden, int(n_params), vocab, tied, **flags)


KNOWN_MODELS: tuple[KnownModel, ...] = (
    # offline (PyPI packages)
    _m("embedded", "Gemma 3 270M (Q4_K_M GGUF, dequantised)", "gemma", 18, 640, 268.1e6, 262144, offline=True),
    _m("smollm2", "SmolLM2 135M Instruct (Q4_1 GGUF, dequantised)", "smollm", 30, 576, 134.5e6, 49152,
       offline=True, instruct=True),
    _m("minilm", "all-MiniLM-L6-v2 (encoder)", "bert", 6, 384, 22.7e6, 30522, offline=True),
    # the paper's models
    _m("google/gemma-2b", "Gemma 2B", "gemma", 18, 2048, 2.506e9, 256000, paper=True, gated=True),
    _m("google/gemma-7b", "Gemma 7B", "gemma", 28, 3072, 8.538e9, 256000, paper=True, gated=True),
    _m("meta-llama/Llama-2-7b-chat-hf", "LLaMA 2 7B Chat", "llama", 32, 4096, 6.738e9, 32000, tied=False,
       paper=True, gated=True, instruct=True),
    _m("meta-llama/Llama-2-13b-chat-hf", "LLaMA 2 13B Chat", "llama", 40, 5120, 13.016e9, 32000, tied=False,
       paper=True, gated=True, instruct=True),
    _m("Qwen/Qwen1.5-0.5B", "Qwen 1.5 0.5B", "qwen", 24, 1024, 0.620e9, 151936, tied=False, paper=True),
    _m("Qwen/Qwen1.5-1.8B", "Qwen 1.5 1.8B", "qwen", 24, 2048, 1.837e9, 151936, tied=False, paper=True),
    _m("Qwen/Qwen1.5-4B", "Qwen 1.5 4B", "qwen", 40, 2560, 3.950e9, 151936, tied=False, paper=True),
    _m("Qwen/Qwen1.5-7B", "Qwen 1.5 7B", "qwen", 32, 4096, 7.721e9, 151936, tied=False, paper=True),
    _m("Qwen/Qwen1.5-14B", "Qwen 1.5 14B", "qwen", 40, 5120, 14.167e9, 152064, tied=False, paper=True),
    _m("meta-llama/Meta-Llama-3-8B", "Llama 3 8B", "llama", 32, 4096, 8.030e9, 128256, tied=False, paper=True,
       gated=True),
    # current small ones
    _m("google/gemma-3-270m", "Gemma 3 270M", "gemma", 18, 640, 268.1e6, 262144, gated=True),
    _m("google/gemma-3-1b-pt", "Gemma 3 1B", "gemma", 26, 1152, 0.9999e9, 262144, gated=True),
    _m("Qwen/Qwen2.5-0.5B", "Qwen 2.5 0.5B", "qwen", 24, 896, 0.494e9, 151936),
    _m("Qwen/Qwen2.5-1.5B", "Qwen 2.5 1.5B", "qwen", 28, 1536, 1.544e9, 151936),
    _m("meta-llama/Llama-3.2-1B", "Llama 3.2 1B", "llama", 16, 2048, 1.236e9, 128256, gated=True),
    _m("meta-llama/Llama-3.2-3B", "Llama 3.2 3B", "llama", 28, 3072, 3.213e9, 128256, gated=True),
    _m("HuggingFaceTB/SmolLM2-135M-Instruct", "SmolLM2 135M Instruct", "smollm", 30, 576, 134.5e6, 49152,
       instruct=True),
    _m("HuggingFaceTB/SmolLM2-360M-Instruct", "SmolLM2 360M Instruct", "smollm", 32, 960, 361.8e6, 49152,
       instruct=True),
)


def known_model(source: str) -> KnownModel | None:
    """The catalog entry for ``source`` (a hub id any case, or an offline model's name or alias)."""

    s = source.strip()
    offline = embedded_model(s)
    if offline is not None:
        s = offline.source
    elif s.lower() == "all-minilm-l6-v2":
        s = "minilm"
    for m in KNOWN_MODELS:
        if m.source.lower() == s.lower():
            return m
    return None
