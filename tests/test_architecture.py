"""The package's import graph, read from its source: imports flow one way.

A cycle between two modules, or between two of the package's folders, means that a piece sits in the
wrong place.  The job server's client runs first in every job and stays on the standard library.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import networkx as nx

PACKAGE = Path(__file__).resolve().parent.parent / "mbpipe"


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(path: Path) -> set[str]:
    """Every module *path* imports, at its top or inside a function, as absolute names."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found |= {f"{node.module}.{alias.name}" for alias in node.names}
    return found


def import_graph() -> nx.DiGraph:
    modules = {module_name(path): path for path in PACKAGE.rglob("*.py")}
    graph = nx.DiGraph()
    graph.add_nodes_from(modules)
    for name, path in modules.items():
        for imported in imported_modules(path):
            if imported in modules and imported != name and not name.startswith(imported + "."):
                graph.add_edge(name, imported)
    return graph


def folder(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 2 or (len(parts) == 2 and (PACKAGE / parts[1]).is_dir()) else "mbpipe"


def test_the_graph_sees_the_packages_imports():
    """The check below can fail: the graph holds the imports we know are there."""
    graph = import_graph()
    assert graph.has_edge("mbpipe.pipeline.plan", "mbpipe.base.layout")
    assert graph.has_edge("mbpipe.config.checks", "mbpipe.programs.capabilities")
    assert len(graph.edges) > 50


def test_no_module_imports_itself_back():
    cycles = list(nx.simple_cycles(import_graph()))
    assert cycles == [], f"import cycles: {cycles}"


def test_folders_import_one_way():
    graph = import_graph()
    folders = nx.DiGraph()
    for importer, imported in graph.edges:
        if folder(importer) != folder(imported):
            folders.add_edge(folder(importer), folder(imported), example=(importer, imported))
    cycles = list(nx.simple_cycles(folders))
    examples = [[folders.edges[a, b]["example"] for a, b in zip(c, c[1:] + c[:1], strict=True)] for c in cycles]
    assert cycles == [], f"folders importing each other: {examples}"


def test_the_job_client_uses_the_standard_library_only():
    imported = imported_modules(PACKAGE / "jobserver" / "client.py") | imported_modules(PACKAGE / "__main__.py")
    top_level = {name.split(".")[0] for name in imported}
    outside = {name for name in top_level - {"mbpipe", "__future__"} if name not in sys.stdlib_module_names}
    assert outside == set()
    assert {name for name in imported if name.startswith("mbpipe.")} <= {
        "mbpipe.jobserver.client",
        "mbpipe.jobserver.client.hand_over",
        "mbpipe.cli",
        "mbpipe.cli.main",
    }
    # The rules run the client as a script without `site`: it cannot import the package
    assert not any(name.startswith("mbpipe") for name in imported_modules(PACKAGE / "jobserver" / "client.py"))
