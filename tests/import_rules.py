"""The layout's import rules, checked by walking the library's syntax trees (no import runs).

Rules (README, Layout):
* the contract (``verticalize.{errors, files, options, plan, manifest}``) imports only
  the contract, each module only those below it: errors < files < options < plan < manifest;
* ``reframe``, ``edit`` and ``subtitles`` (decisions) import the contract and their own
  package: never each other, never ``verticalize.media``, never the application;
* ``verticalize.media`` imports the contract and itself, and is the only place that
  imports ``subprocess``;
* no import cycle between modules (imports inside functions count);
* no ``_private`` name imported from another module.
"""
from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

PACKAGES = ("verticalize", "edit", "reframe", "subtitles")
CONTRACT = ("verticalize.errors", "verticalize.files", "verticalize.options", "verticalize.plan",
            "verticalize.manifest")  # in layer order: each may import those before it
DECISIONS = ("edit", "reframe", "subtitles")


@dataclass(frozen=True)
class Import:
    importer: str   # dotted module name
    target: str     # dotted module imported (or the module a name is taken from)
    names: tuple    # names taken with "from target import ..."
    line: int


def module_name(root: Path, path: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def collect(root: Path) -> tuple[dict[str, Path], list[Import]]:
    """Every module of the library under ``root`` and every import it makes."""
    modules: dict[str, Path] = {}
    for pkg in PACKAGES:
        for path in sorted((root / pkg).rglob("*.py")):
            modules[module_name(root, path)] = path
    imports = []
    for name, path in modules.items():
        is_pkg = path.name == "__init__.py"
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    imports.append(Import(name, alias.name, (), node.lineno))
            elif isinstance(node, ast.ImportFrom):
                if node.level:  # relative: resolve against this module's package
                    base = name.split(".") if is_pkg else name.split(".")[:-1]
                    base = base[:len(base) - (node.level - 1)]
                    target = ".".join(base + ([node.module] if node.module else []))
                else:
                    target = node.module or ""
                names = tuple(a.name for a in node.names)
                # "from pkg import module" imports the submodule
                subs = [f"{target}.{n}" for n in names if f"{target}.{n}" in modules]
                rest = tuple(n for n in names if f"{target}.{n}" not in modules)
                if rest or not subs:
                    imports.append(Import(name, target, rest, node.lineno))
                imports += [Import(name, s, (), node.lineno) for s in subs]
    return modules, imports


def _owner(module: str, modules: dict[str, Path]) -> str | None:
    """The project module ``module`` names (itself, or the package a name lives in), or None."""
    while module:
        if module in modules:
            return module
        module = module.rpartition(".")[0]
    return None


def _top(module: str) -> str:
    return module.split(".")[0]


def _in(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def check(root: str | Path) -> list[str]:
    """The broken rules of the library under ``root``, one line each (empty: all hold)."""
    root = Path(root)
    modules, imports = collect(root)
    problems = []
    graph: dict[str, set[str]] = {m: set() for m in modules}
    for imp in imports:
        where = f"{modules[imp.importer].relative_to(root)}:{imp.line}"
        src = imp.importer
        if imp.target == "subprocess" and not _in(src, "verticalize.media"):
            problems.append(f"{where}: {src} imports subprocess (only verticalize.media starts processes)")
        dst = _owner(imp.target, modules)
        if dst is None:
            continue
        if dst != src:
            graph[src].add(dst)
        for n in imp.names:
            if n.startswith("_") and not n.startswith("__") and dst != src:
                problems.append(f"{where}: {src} imports the private name {n} from {dst}")
        if dst == src:
            continue
        if src in CONTRACT:
            if dst not in CONTRACT or CONTRACT.index(dst) >= CONTRACT.index(src):
                problems.append(f"{where}: contract module {src} imports {dst} "
                                f"(the contract imports only the contract modules below it)")
        elif _top(src) in DECISIONS:
            if not (_in(dst, _top(src)) or dst in CONTRACT):
                problems.append(f"{where}: {src} imports {dst} (decisions import the contract and their own "
                                f"package only)")
        elif _in(src, "verticalize.media"):
            if not (_in(dst, "verticalize.media") or dst in CONTRACT):
                problems.append(f"{where}: {src} imports {dst} (verticalize.media imports the contract only)")
    problems += [f"import cycle: {' -> '.join(c)}" for c in _cycles(graph)]
    return problems


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan), each as a closed path."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []
    counter = [0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(graph.get(v, ())):
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
                out.append(sorted(comp) + [sorted(comp)[0]])

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def line_counts(root: str | Path) -> dict[str, int]:
    """Lines of code per top-level package of the library."""
    root = Path(root)
    return {pkg: sum(len(p.read_text(encoding="utf-8").splitlines()) for p in (root / pkg).rglob("*.py"))
            for pkg in PACKAGES}
