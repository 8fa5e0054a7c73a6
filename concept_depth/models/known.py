"""Models of the paper (and the offline ones) with their depths, for the app's model picker."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class KnownModel:
    source: str  # what ModelSpec.source takes
    label: str
    family: str
    n_layers: int
    params: str
    offline: bool = False  # loads with no network
    gated: bool = False


KNOWN_MODELS: tuple[KnownModel, ...] = (
    KnownModel("embedded", "Gemma 3 270M (Q4_K_M GGUF, dequantised)", "gemma", 18, "270M", offline=True),
    KnownModel("minilm", "all-MiniLM-L6-v2 (encoder)", "bert", 6, "22M", offline=True),
    KnownModel("google/gemma-2b", "Gemma 2B", "gemma", 18, "2B", gated=True),
    KnownModel("google/gemma-7b", "Gemma 7B", "gemma", 28, "7B", gated=True),
    KnownModel("meta-llama/Llama-2-7b-hf", "LLaMA 2 7B", "llama", 32, "7B", gated=True),
    KnownModel("meta-llama/Llama-2-13b-hf", "LLaMA 2 13B", "llama", 40, "13B", gated=True),
    KnownModel("Qwen/Qwen1.5-0.5B", "Qwen 1.5 0.5B", "qwen", 24, "0.5B"),
    KnownModel("Qwen/Qwen1.5-1.8B", "Qwen 1.5 1.8B", "qwen", 24, "1.8B"),
    KnownModel("Qwen/Qwen1.5-4B", "Qwen 1.5 4B", "qwen", 40, "4B"),
    KnownModel("Qwen/Qwen1.5-7B", "Qwen 1.5 7B", "qwen", 32, "7B"),
    KnownModel("Qwen/Qwen1.5-14B", "Qwen 1.5 14B", "qwen", 40, "14B"),
)
