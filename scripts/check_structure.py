#!/usr/bin/env python3
"""The structure `make lint` holds the workspace to: imports run one way, and no source
file outside tests is longer than a person reads at one sitting.

1. No module imports another that imports it back, directly or round a longer circle,
   in any crate of the workspace.
2. No source file outside tests (`tests/`, `tests.rs`, `*_tests.rs`) has more than
   MAX_LINES lines: a longer one holds more than one concept.

Imports are read from the source as text: every `crate::...`, `super::...` and
`self::...` path (in `use` items, grouped or not, and in expressions) names the module
it reaches, the longest prefix that is a module of the crate. A `mod` declaration is not
an import: a parent may declare its children, and a child may use its parent, but not
both ways round. Test modules (`tests.rs`, `tests/`) and `#[cfg(test)]` items count too,
except a child's `use super::*`, which is how Rust's unit tests reach what they test.
The crate root (`lib.rs`, `main.rs`) is the crate's front door: it may re-export and
call every module, and a path through it (`crate::Policy`) is not counted as an import
of the root.

    python3 scripts/check_structure.py [CRATE_DIR ...]   (default: crates/* and tests)
"""
import re
import sys
from pathlib import Path

MAX_LINES = 600

PATH = re.compile(r"\b(crate|super|self)((?:::[A-Za-z_][A-Za-z0-9_]*)+|::\{)")
USE = re.compile(r"\buse\s+(crate|super|self)::([^;]*);", re.S)


def module_of(src: Path, file: Path) -> tuple[str, ...]:
    parts = list(file.relative_to(src).with_suffix("").parts)
    if parts[-1] == "mod":
        parts.pop()
    if parts in (["lib"], ["main"]):
        return ()
    return tuple(parts)


def strip_comments(text: str) -> str:
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    text = re.sub(r"//[^\n]*", "", text)
    return re.sub(r'"(?:\\.|[^"\\])*"', '""', text)


def expand(tree: str) -> list[list[str]]:
    """`a::{b, c::{d, e}}` -> [[a, b], [a, c, d], [a, c, e]]."""
    tree = re.sub(r"\s+", "", tree)
    paths, depth, start = [], 0, 0
    brace = tree.find("{")
    if brace < 0:
        return [[p for p in tree.split("::") if p and p != "*" and not p.startswith("self")]] if tree else []
    prefix = [p for p in tree[:brace].split("::") if p]
    inner = tree[brace + 1 : tree.rfind("}")]
    for i, ch in enumerate(inner + ","):
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
        elif ch == "," and depth == 0:
            item = inner[start:i]
            start = i + 1
            if item in ("", "self", "*"):
                if item == "self":
                    paths.append(prefix)
                continue
            for rest in expand(item):
                paths.append(prefix + rest)
    return paths or [prefix]


def resolve(here: tuple[str, ...], root: str, rest: list[str]) -> tuple[str, ...]:
    base = {"crate": (), "self": here, "super": here[:-1]}[root]
    # `super::super::x`
    while rest and rest[0] == "super":
        base, rest = base[:-1], rest[1:]
    return base + tuple(p.split(" as ")[0] for p in rest)


def crate_modules(src: Path) -> dict[tuple[str, ...], Path]:
    return {module_of(src, f): f for f in sorted(src.rglob("*.rs"))}


def edges_of(src: Path) -> dict[tuple[str, ...], set[tuple[str, ...]]]:
    modules = crate_modules(src)
    edges = {m: set() for m in modules}
    for module, file in modules.items():
        text = strip_comments(file.read_text())
        targets = []
        for m in USE.finditer(text):
            root, tree = m.group(1), m.group(2)
            if root == "super" and re.sub(r"\s+", "", tree) == "*":
                continue
            for rest in expand(tree):
                targets.append(resolve(module, root, rest))
        text_no_use = USE.sub("", text)
        for m in PATH.finditer(text_no_use):
            rest = [p for p in m.group(2).split("::") if p and p != "{"]
            targets.append(resolve(module, m.group(1), rest))
        for target in targets:
            # The longest prefix that is a module of the crate.
            for n in range(len(target), 0, -1):
                if target[:n] in modules:
                    found = target[:n]
                    break
            else:
                continue
            if found != module:
                edges[module].add(found)
    return edges


def cycles(edges):
    """Strongly connected components with more than one module (Tarjan)."""
    index, low, stack, on, out, counter = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in edges[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                out.append(sorted(component))

    sys.setrecursionlimit(10000)
    for v in edges:
        if v not in index:
            visit(v)
    return out


def name(module):
    return "::".join(("crate",) + module)


def main(argv):
    root = Path(__file__).resolve().parent.parent
    dirs = [Path(a) for a in argv] or sorted(p for p in (root / "crates").iterdir() if (p / "src").is_dir()) + [root / "tests"]
    failed = False
    for crate in dirs:
        src = crate / "src"
        edges = edges_of(src)
        for component in cycles(edges):
            failed = True
            members = set(component)
            shown = crate.relative_to(root) if crate.resolve().is_relative_to(root) else crate
            print(f"{shown}: modules importing each other round a circle:")
            for module in component:
                back = sorted(name(t) for t in edges[module] if t in members)
                print(f"  {name(module)} ({modules_file(src, module)}) imports {', '.join(back)}")
    if failed:
        print("Give the shared items a module of their own that both import, so imports run one way.")
    long_files = [
        (file, lines)
        for crate in dirs
        for file in sorted((crate / "src").rglob("*.rs"))
        if not is_test_file(crate, file) and (lines := len(file.read_text().splitlines())) > MAX_LINES
    ]
    for file, lines in long_files:
        shown = file.relative_to(root) if file.resolve().is_relative_to(root) else file
        print(f"{shown}: {lines} lines, over the {MAX_LINES} a source file may have; split it by concept")
    if failed or long_files:
        return 1
    print(f"module imports run one way and no source file is over {MAX_LINES} lines, in {len(dirs)} crates")
    return 0


def is_test_file(crate: Path, file: Path) -> bool:
    """The workspace's test crate, and unit-test files (`tests.rs`, `*_tests.rs`)."""
    return crate.name == "tests" or file.stem == "tests" or file.stem.endswith("_tests")


def modules_file(src, module):
    return crate_modules(src)[module].relative_to(src.parent)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
