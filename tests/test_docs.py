"""Every finding kind and every CLI command has its section in docs/ (as Datasette checks its docs).

The kinds are read from the code: every ``Finding(...)`` (the one finding type) with a literal kind,
the post check's ``metadata_KIND`` and ``pii_KIND`` families, and every kind of the one severity
table. A new kind or command without a section fails here.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "src" / "safepost"
DOCS = ROOT / "docs"


def _headings(page: str) -> set[str]:
    """The backquoted names in the headings of ``docs/page``."""
    text = (DOCS / page).read_text(encoding="utf-8")
    return {name for line in text.splitlines() if line.startswith("#") for name in re.findall(r"`([^`]+)`", line)}


def finding_kinds() -> set[str]:
    from safepost.core import SEVERITY
    from safepost.text.pii import PII_KINDS

    kinds = set(SEVERITY) | {f"pii_{k.lower()}" for k in PII_KINDS}
    for path in SRC.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "Finding" and node.args:
                first = node.args[0]
                if isinstance(first, ast.Constant):
                    kinds.add(first.value)
                else:  # a computed kind must be one of the families listed above
                    assert ast.unparse(first) in ("f'metadata_{kind}'", "f'pii_{pii.kind.lower()}'"), (
                        f"{path.name}:{node.lineno}: a finding kind computed as {ast.unparse(first)}: "
                        "document its family in docs/findings.md and list it in this test"
                    )
    return kinds


def commands() -> list[str]:
    from safepost.cli import main

    def walk(group, prefix):
        for name, command in sorted(getattr(group, "commands", {}).items()):
            yield prefix + name
            yield from walk(command, prefix + name + " ")

    return list(walk(main, "safepost "))


def test_the_scans_find_what_they_should():
    kinds = finding_kinds()
    assert {"face_without_consent", "gps_media", "telemetry", "pii_phone"} <= kinds and len(kinds) > 50
    assert {"safepost check", "safepost people add", "safepost serve"} <= set(commands())


@pytest.mark.parametrize("kind", sorted(finding_kinds()))
def test_every_finding_kind_has_a_section(kind):
    documented = set()
    for name in _headings("findings.md"):
        documented |= {part.strip() for part in name.split(",")}
    assert kind in documented, f"docs/findings.md has no section for the finding kind `{kind}`"


@pytest.mark.parametrize("command", commands())
def test_every_command_has_a_section(command):
    assert command in _headings("cli.md"), f"docs/cli.md has no section `{command}`"
