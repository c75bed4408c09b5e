"""The import table of DESIGN.md, enforced: data moves forward only.

Every import between safepost's packages (top-level modules count as packages), lazy imports
inside functions included, must be listed in ``ALLOWED``; no two packages may import each other,
directly or round a loop; no private name (``_x``) or private module is imported across packages.
A new edge fails here: add it to the table only when it goes the way of DESIGN.md.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parent.parent / "src" / "safepost"

#: package -> the packages it may import. Read it bottom-up: core, then files and the store, then the
#: stages (analyse: detect, text; the registry's records: consent; decide; render: anonymize; report),
#: then the flows and the entry points (cli, web, batch, demo).
ALLOWED: dict[str, set[str]] = {
    "core": set(),
    "i18n": {"core"},
    # the plain-words catalogue (English and Spanish messages): a base layer like i18n
    "words": {"i18n"},
    "termtext": set(),
    # the metadata findings' words (media/*_meta.py) come from the catalogue
    "media": {"core", "words"},
    "workspace": {"core", "media"},
    # the model files and rapidocr's reader, copied in by the build (hatch_build.py): they import nothing of ours
    "vendor": set(),
    "detect": {"core", "vendor"},
    "text": {"core"},
    "post": {"core", "media", "words"},
    "report": {"core", "i18n", "words"},
    "guidance": {"core", "decide", "i18n"},
    "install_check": {"core", "detect"},
    # the encrypted registry's records (storage); the badge drawing prints the marker the detector
    # looks for (detect.markers)
    "consent": {"core", "detect", "workspace"},
    # every rule that turns findings into mask / keep / block: consent (asked of the registry's
    # records), review keep / drop / add, NO PHOTO and text masking (with detect's geometry), risk and
    # policy, timing, the archive audit's points
    "decide": {"consent", "core", "detect", "post", "text", "words"},
    # rendering only: the video analysis pass is the redact flow's (flows.video)
    "anonymize": {"core", "media"},
    # the only modules that call more than one stage: redact a file, check and prepare a post,
    # audit an archive
    "flows": {
        "anonymize",
        "archive",
        "consent",
        "core",
        "decide",
        "detect",
        "media",
        "post",
        "report",
        "text",
        "words",
        "workspace",
    },
    # the archive audit's stages: read an export, analyse its items (scored by decide.scoring), render
    "archive": {"core", "decide", "media", "text", "workspace"},
    "batch": {"anonymize", "core", "detect", "flows", "media"},
    "demo": {"consent", "core", "flows", "media", "post", "report", "words", "workspace"},
    "web": {"consent", "core", "decide", "flows", "guidance", "i18n", "media", "post", "words", "workspace"},
    "cli": {
        "anonymize",
        "archive",
        "batch",
        "consent",
        "core",
        "decide",
        "demo",
        "detect",
        "flows",
        "guidance",
        "install_check",
        "media",
        "post",
        "report",
        "termtext",
        "web",
        "words",
        "workspace",
    },
}


#: The entry points reach the detectors, the renderers and the decide rules through a flow: of those
#: stages they may import only the option lists and loaders of their arguments (modes, mask styles,
#: ``policy.yaml``, a regions file).
ENTRY_POINTS = {"cli", "web", "batch", "demo"}
OPTIONS_ONLY = {
    "detect": {"safepost.detect.recipes"},
    "anonymize": {"safepost.anonymize.spec"},
    "decide": {"safepost.decide.policy", "safepost.decide.regions"},
    "text": set(),
}


def _package(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if parts[0] == "safepost" and len(parts) > 1 else None


def _module_name(path: Path, src: Path) -> str:
    parts = list(path.relative_to(src.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(src: Path = SRC) -> list[tuple[str, str, str, str]]:
    """(file, from package, to package, imported name or module) of every cross-package import."""
    found = []
    for path in sorted(src.rglob("*.py")):
        here = _package(_module_name(path, src))
        if here is None:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                there = _package(node.module)
                if there and there != here:
                    found.append((str(path.relative_to(src)), here, there, node.module))
                    found += [(str(path.relative_to(src)), here, there, f"{node.module}:{a.name}") for a in node.names]
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    there = _package(alias.name)
                    if there and there != here:
                        found.append((str(path.relative_to(src)), here, there, alias.name))
    return found


def wrong_way(edges, allowed=ALLOWED) -> list[str]:
    return sorted({f"{where}: {a} -> {b} ({what})" for where, a, b, what in edges if b not in allowed.get(a, set())})


def past_the_flows(edges) -> list[str]:
    """Imports by an entry point of a stage that a flow runs (beyond its option lists)."""
    return sorted(
        {
            f"{where}: {what}"
            for where, a, b, what in edges
            if a in ENTRY_POINTS and b in OPTIONS_ONLY and what.partition(":")[0] not in OPTIONS_ONLY[b]
        }
    )


def private(edges) -> list[str]:
    out = set()
    for where, _, _, what in edges:
        module, _, name = what.partition(":")
        if name.startswith("_") or any(part.startswith("_") and part != "__init__" for part in module.split(".")):
            out.add(f"{where}: {what}")
    return sorted(out)


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every strongly connected group of two or more packages (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    groups: list[list[str]] = []

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
            group = []
            while True:
                member = stack.pop()
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return groups


def graph_of(edges) -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for _, a, b, _ in edges:
        graph.setdefault(a, set()).add(b)
    return graph


@pytest.fixture(scope="module")
def edges():
    found = imports()
    assert len(found) > 100, "the import scan found almost nothing: is SRC right?"
    return found


def test_every_import_between_packages_is_in_the_table(edges):
    assert wrong_way(edges) == []


def test_every_package_is_in_the_table(edges):
    packages = {a for _, a, _, _ in edges} | {b for _, _, b, _ in edges}
    assert packages - set(ALLOWED) == set()


def test_no_cycle_between_packages(edges):
    assert cycles(graph_of(edges)) == []
    assert cycles({a: set(b) for a, b in ALLOWED.items()}) == []  # the table itself is one direction


def test_no_private_name_is_imported_across_packages(edges):
    assert private(edges) == []


def test_entry_points_reach_detectors_renderers_and_rules_through_flows(edges):
    assert past_the_flows(edges) == []
    planted = [("cli/media.py", "cli", "detect", "safepost.detect.faces:face_detector")]
    assert past_the_flows(planted) == ["cli/media.py: safepost.detect.faces:face_detector"]
    assert past_the_flows([("cli/media.py", "cli", "detect", "safepost.detect.recipes:MODES")]) == []


def test_core_imports_nothing_of_ours(edges):
    assert [e for e in edges if e[1] == "core"] == []


def test_the_checks_catch_a_new_wrong_edge(tmp_path):
    """The three checks fail on a planted wrong-way import, cycle and private import."""
    pkg = tmp_path / "safepost"
    (pkg / "media").mkdir(parents=True)
    (pkg / "post").mkdir()
    (pkg / "media" / "video.py").write_text("def f():\n    from safepost.post.review import _rule\n")
    (pkg / "post" / "review.py").write_text("from safepost.media.video import f\n_rule = 1\n")
    planted = imports(pkg)
    assert wrong_way(planted) == ["media/video.py: media -> post (safepost.post.review)",
                                  "media/video.py: media -> post (safepost.post.review:_rule)"]  # fmt: skip
    assert cycles(graph_of(planted)) == [["media", "post"]]
    assert private(planted) == ["media/video.py: safepost.post.review:_rule"]


def test_the_table_lists_only_edges_in_use(edges):
    """An edge that is gone (a temporary allowance removed by a move) leaves the table too."""
    graph = graph_of(edges)
    unused = {a: sorted(b - graph.get(a, set())) for a, b in ALLOWED.items() if b - graph.get(a, set())}
    assert unused == {}
