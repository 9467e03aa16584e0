"""The code's layout rules, read from the source with ``ast`` (docs/architecture.md says why).

* no import cycle between modules of ``nst/`` (imports inside functions count too);
* no module imports another module's ``_private`` name, or reaches one through the module (``m._x``);
* no module re-exports a name it does not define (a package's ``__init__.py`` may present its own
  submodules' public names);
* no file over 400 lines and no function over 60 lines in ``nst/``, ``studio/``, ``views/``,
  except the ones listed below with the reason.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("nst", "studio", "views")
MAX_FILE_LINES = 400
MAX_FUNCTION_LINES = 60

TO_SPLIT = "carried from before #19; to split"
LONG_FILES: dict[str, str] = {
}
LONG_FUNCTIONS: dict[str, str] = {
}
KNOWN_CYCLES: dict[tuple[str, ...], str] = {
}


def modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            found[".".join(parts)] = path
    return found


def imports(tree: ast.AST, module: str) -> list[tuple[str, list[str]]]:
    """(imported module, names) for every import anywhere in the module, relative ones resolved."""
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(alias.name, []) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(module.split(".")[: -node.level] + ([base] if base else []))
            out.append((base, [alias.name for alias in node.names]))
    return out


def defined_names(tree: ast.Module) -> set[str]:
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names.update(n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name))
    return names


def used_names(tree: ast.Module) -> set[str]:
    names = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
    strings = {n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)}
    return names | {word for s in strings for word in s.replace("[", " ").replace("]", " ").replace(",", " ").split()}


def exported(tree: ast.Module) -> set[str]:
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets):
            return {e.value for e in ast.walk(node.value) if isinstance(e, ast.Constant)}
    return set()


def parsed() -> dict[str, tuple[Path, ast.Module]]:
    return {name: (path, ast.parse(path.read_text(), str(path))) for name, path in modules().items()}


def import_graph(trees) -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for name, (_, tree) in trees.items():
        if not name.startswith("nst"):
            continue
        edges = set()
        for target, names in imports(tree, name):
            for candidate in [target, *(f"{target}.{n}" for n in names)]:
                if candidate in trees and candidate != name and candidate != "nst":
                    edges.add(candidate)
        graph[name] = edges
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in graph.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def module_aliases(tree: ast.AST, module: str) -> dict[str, str]:
    """Local name -> project module, for ``import nst.x as y`` and ``from nst import x``."""
    aliases = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            aliases.update({alias.asname: alias.name for alias in node.names
                            if alias.asname and alias.name.split(".")[0] in PACKAGES})
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] in PACKAGES:
            aliases.update({alias.asname or alias.name: f"{node.module}.{alias.name}" for alias in node.names})
    return aliases


def private_imports(trees) -> list[str]:
    """Another project module's ``_private`` names, imported (``from m import _x``) or reached (``m._x``)."""
    bad = []
    for name, (path, tree) in trees.items():
        for target, names in imports(tree, name):
            if target.split(".")[0] in PACKAGES and target != name:
                bad += [f"{path.relative_to(ROOT)}: {target}.{n}" for n in names
                        if n.startswith("_") and not n.startswith("__")]
        aliases = module_aliases(tree, name)
        bad += [f"{path.relative_to(ROOT)}: {aliases[node.value.id]}.{node.attr}" for node in ast.walk(tree)
                if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
                and node.value.id in aliases and aliases[node.value.id] != name
                and node.attr.startswith("_") and not node.attr.startswith("__")]
    return bad


def reexports(trees) -> list[str]:
    """Imported names a module hands on (in ``__all__``, or imported and never used) without defining them."""
    bad = []
    for name, (path, tree) in trees.items():
        is_package = path.name == "__init__.py"
        own, used, public = defined_names(tree), used_names(tree), exported(tree)
        for node in tree.body:
            if not isinstance(node, ast.ImportFrom) or node.module == "__future__":
                continue
            source = node.module or ""
            for alias in node.names:
                local = alias.asname or alias.name
                if local in own:
                    continue
                if is_package and source.startswith(name + "."):
                    continue  # a package presents its own submodules' names
                if local in public or local not in used:
                    bad.append(f"{path.relative_to(ROOT)}: {local} (from {source})")
    return bad


def long_files(trees) -> list[str]:
    return [str(path.relative_to(ROOT)) for path, _ in trees.values()
            if len(path.read_text().splitlines()) > MAX_FILE_LINES]


def long_functions(trees) -> list[str]:
    found = []
    for path, tree in trees.values():
        def walk(node: ast.AST, prefix: str) -> None:
            for child in ast.iter_child_nodes(node):
                if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    qualified = prefix + child.name
                    if child.end_lineno - child.lineno + 1 > MAX_FUNCTION_LINES:
                        found.append(f"{path.relative_to(ROOT)}:{qualified}")
                    walk(child, qualified + ".")
                elif isinstance(child, ast.ClassDef):
                    walk(child, prefix + child.name + ".")
        walk(tree, "")
    return found


def test_no_import_cycle_inside_nst() -> None:
    found = {tuple(c) for c in cycles(import_graph(parsed()))}
    assert found - set(KNOWN_CYCLES) == set(), "break these cycles, or list them in KNOWN_CYCLES with a reason"
    assert set(KNOWN_CYCLES) - found == set(), "these cycles are gone: take them off KNOWN_CYCLES"


def test_no_module_imports_another_modules_private_names() -> None:
    assert private_imports(parsed()) == []


def test_no_module_re_exports_names_it_does_not_define() -> None:
    assert reexports(parsed()) == []


def test_no_file_over_400_lines_except_the_listed_ones() -> None:
    found = set(long_files(parsed()))
    assert found - set(LONG_FILES) == set(), "split these files, or list them in LONG_FILES with a reason"
    assert set(LONG_FILES) - found == set(), "these are short now: take them off LONG_FILES"


def test_no_function_over_60_lines_except_the_listed_ones() -> None:
    found = set(long_functions(parsed()))
    assert found - set(LONG_FUNCTIONS) == set(), "split these functions, or list them in LONG_FUNCTIONS"
    assert set(LONG_FUNCTIONS) - found == set(), "these are short now: take them off LONG_FUNCTIONS"


def test_the_checks_catch_what_they_are_for(tmp_path) -> None:
    cyclic = {"nst.a": {"nst.b"}, "nst.b": {"nst.c"}, "nst.c": {"nst.a"}, "nst.d": {"nst.a"}}
    assert cycles(cyclic) == [["nst.a", "nst.b", "nst.c"]]
    shim = ast.parse("from nst.encode import png_bytes\n__all__ = ['png_bytes']\n")
    fake = {"nst.shim": (ROOT / "nst" / "shim.py", shim)}
    assert reexports(fake) == ["nst/shim.py: png_bytes (from nst.encode)"]
    private = ast.parse("def f():\n    from nst.cli import _load\n")
    assert private_imports({"nst.x": (ROOT / "nst" / "x.py", private)}) == ["nst/x.py: nst.cli._load"]
    reached = ast.parse("def f():\n    from nst import remote\n    return remote._net_builds\n")
    assert private_imports({"nst.x": (ROOT / "nst" / "x.py", reached)}) == ["nst/x.py: nst.remote._net_builds"]
    inner = ast.parse("def f():\n    import nst.engine\n")
    assert "nst.engine" in import_graph({"nst.x": (ROOT / "nst" / "x.py", inner), "nst.engine": (ROOT, ast.parse(""))})["nst.x"]
