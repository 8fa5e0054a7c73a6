"""Command-line options shared by extract, run, sweep and expression."""

from __future__ import annotations

import argparse

from ..specs import HOOKS, NOISE_KINDS, POOLINGS, DatasetSpec, ExtractionSpec, ModelSpec, NoiseSpec


def add_model_options(p: argparse.ArgumentParser, multi: bool = False) -> None:
    h = "comma-separated " if multi else ""
    p.add_argument("--model", default="embedded",
                   help=f"{h}model: 'embedded' (Gemma 3 270M, offline), 'smollm2' (SmolLM2 135M Instruct, offline), "
                        "'minilm', a hub id, a local dir or a .gguf file")
    p.add_argument("--revision", default=None, help="hub revision (branch, tag or commit)")
    p.add_argument("--quant", default="32", help=f"{h}bit width: 32 (float32), 16 (bfloat16), 8 (int8), 4 (NF4)")
    p.add_argument("--trust-remote-code", action="store_true", help="allow a hub model's own code to run")


def add_dataset_options(p: argparse.ArgumentParser, multi: bool = False) -> None:
    h = "comma-separated " if multi else ""
    p.add_argument("--dataset", default=None, help=f"{h}dataset name (see `python -m concept_depth datasets`)")
    p.add_argument("--dataset-file", default=None, help="a CSV, TSV or JSONL file of your own")
    p.add_argument("--text-col", default=None, help="text column of --dataset-file")
    p.add_argument("--label-col", default=None, help="binary label column of --dataset-file")
    p.add_argument("--prompt", default=None, help="prompt template with a {text} placeholder")
    p.add_argument("--variant", default=None, help="dataset variant (StrategyQA: question | rationale)")
    p.add_argument("--limit", type=int, default=None, help="at most limit/2 samples per class, in file order")
    p.add_argument("--noise", default="none", help=f"{h}noise kind: {' | '.join(NOISE_KINDS)}")
    p.add_argument("--noise-strength", type=float, default=0.0, help="edit rate for graded noise (typos)")
    p.add_argument("--noise-seed", type=int, default=0, help="seed of the noise")


def add_extraction_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--hook", default="residual", choices=HOOKS, help="where to read each layer")
    p.add_argument("--pooling", default="last", choices=POOLINGS, help="last token or mean over tokens")
    p.add_argument("--max-tokens", type=int, default=512, help="truncate longer prompts inside the text")
    p.add_argument("--batch-size", type=int, default=16, help="prompts per forward pass (does not change results)")
    p.add_argument("--device", default=None, help="cpu, cuda, ... (default: cuda if available)")
    p.add_argument("--cache-dir", default=None, help="cache directory (default $CONCEPT_DEPTH_CACHE or ./cache)")


def dataset_spec(args: argparse.Namespace, name: str | None = None, noise: str | None = None) -> DatasetSpec:
    from ..errors import BadInputError

    noise_spec = NoiseSpec(kind=noise or args.noise, strength=args.noise_strength, seed=args.noise_seed)
    if args.dataset_file:
        if not (args.text_col and args.label_col):
            raise BadInputError("--dataset-file needs --text-col and --label-col")
        return DatasetSpec(name="custom", path=args.dataset_file, text_col=args.text_col,
                           label_col=args.label_col, prompt=args.prompt, limit=args.limit, noise=noise_spec)
    name = name or args.dataset
    if not name:
        raise BadInputError("give --dataset NAME or --dataset-file PATH")
    return DatasetSpec(name=name, prompt=args.prompt, variant=args.variant, limit=args.limit, noise=noise_spec)


def model_spec(args: argparse.Namespace, source: str | None = None, quant: str | int | None = None) -> ModelSpec:
    from ..errors import BadInputError

    q = quant if quant is not None else args.quant
    try:
        q = int(q)
    except (TypeError, ValueError):
        raise BadInputError(f"--quant must be 32, 16, 8 or 4, got {q!r}") from None
    return ModelSpec(source=source or args.model, quant=q, revision=args.revision,
                     trust_remote_code=args.trust_remote_code)


def extraction_spec(args: argparse.Namespace, **overrides) -> ExtractionSpec:
    return ExtractionSpec(
        model=model_spec(args, overrides.get("model"), overrides.get("quant")),
        dataset=dataset_spec(args, overrides.get("dataset"), overrides.get("noise")),
        hook=args.hook, pooling=args.pooling, max_tokens=args.max_tokens,
    )


def split_list(value: str) -> list[str]:
    return [v.strip() for v in str(value).split(",") if v.strip()]
