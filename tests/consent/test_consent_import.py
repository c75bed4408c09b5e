"""CSV import of people: every row or none, form-export quirks, crash safety, nothing in plaintext."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from safepost.consent import events, people, registry
from safepost.consent.importer import COLUMNS, import_people
from safepost.core import CsvImportError
from safepost.decide.consent import check
from safepost.workspace.db import Workspace
from safepost.workspace.keys import KdfParams

PASS = "correct horse battery staple"


@pytest.fixture
def ws(tmp_path):
    ws = Workspace.create(tmp_path / "ws", PASS, kdf=KdfParams.insecure_fast(), actor="tester")
    events.add_event(ws, "E-forum", "Forum")
    events.add_event(ws, "E-np", "Shelter visit", default_documentation="no_photo")
    yield ws
    ws.close()


def write(tmp_path, text: str, name="people.csv", encoding="utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def count(ws, table="people") -> int:
    with ws.read() as conn:
        return conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


def test_semicolon_csv_with_bom_and_messy_headers(ws, tmp_path):
    csv_text = (
        "\ufeff Name ;ALIASES;Nick-names;Handles;Languages;Minor;Guardian;Notes\r\n"
        'Ana Ruiz;"Anita; A. Ruiz";Ani;"x:@ana_r; instagram:@ana.r";es;no;;met in Quito\r\n'
        "Ben Okafor;;;;en;yes;Grace Okafor +44 20 0000;\r\n"
        ";;;;;;;\r\n"
    )
    result = import_people(ws, write(tmp_path, csv_text))
    assert [line for line, _ in result.people] == [2, 3]
    ana, ben = (p for _, p in result.people)
    stored = people.get_person(ws, ana.id)
    assert stored.display_name == "Ana Ruiz" and stored.aliases == ["Anita", "A. Ruiz"]
    assert stored.nicknames == ["Ani"] and stored.handles == ["x:@ana_r", "instagram:@ana.r"]
    assert stored.notes == "met in Quito" and not stored.is_minor
    assert people.get_person(ws, ben.id).guardian == "Grace Okafor +44 20 0000"
    assert people.get_person(ws, ben.id).is_minor
    assert result.to_dict()["imported"] == 2 and "Ana" not in str(result.to_dict())


def test_comma_csv_with_quoted_commas(ws, tmp_path):
    path = write(tmp_path, 'name,languages,notes\n"Ruiz, Ana",es;en,"likes, commas"\nCara,,\n')
    result = import_people(ws, path)
    names = sorted(p.display_name for _, p in result.people)
    assert names == ["Cara", "Ruiz, Ana"]
    assert next(p for _, p in result.people if p.display_name == "Ruiz, Ana").languages == ["es", "en"]


def test_tab_separated_and_unquoted_multi_values(ws, tmp_path):
    result = import_people(ws, write(tmp_path, "Name\tLanguages\tHandles\nAna\tes;en\tx:@a; ig:@b\n"))
    person = result.people[0][1]
    assert person.languages == ["es", "en"] and person.handles == ["x:@a", "ig:@b"]


def test_one_bad_row_imports_nothing_and_every_bad_row_is_listed(ws, tmp_path):
    rows = ["name,minor,guardian,event,photo,guardian_consent"] + [f"Person {i},no,,,," for i in range(2, 12)]
    rows[5] = ",no,,,,"  # line 6
    rows[6] = "Kid,yes,,,,"  # line 7
    rows[7] = "Ola,maybe,,,,"  # line 8
    rows[8] = "Pat,no,,E-nowhere,,"  # line 9
    rows[9] = "Quin,no,,,yes,"  # line 10
    rows[10] = "Rae,yes,Mum,E-forum,yes,"  # line 11
    with pytest.raises(CsvImportError) as caught:
        import_people(ws, write(tmp_path, "\n".join(rows) + "\n"))
    assert caught.value.problems == [
        "line 6: name is empty",
        "line 7: minor=yes needs a guardian",
        "line 8: minor must be yes or no, not 'maybe'",
        "line 9: no event with id 'E-nowhere' (add it first: safepost events add)",
        "line 10: photo needs an event (the consent or refusal is for one event)",
        "line 11: photo=yes for a minor needs guardian_consent=yes",
    ]
    assert "6 row(s)" in str(caught.value)
    assert count(ws) == 0 and count(ws, "consents") == 0 and count(ws, "event_people") == 0


@pytest.mark.parametrize(
    "content, words",
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)), "binary"),
        ("name\nJosé\n".encode("latin-1"), "UTF-8"),
        (b"", "empty"),
        (b"name,email\nAna,ana@example.org\n", "Unknown column(s) email. Known columns: " + ", ".join(COLUMNS)),
        (b"aliases,notes\nA,b\n", "no 'name' column"),
        (b"name,Name\nA,B\n", "more than once"),
        (b"name,notes\n", "no rows"),
    ],
)
def test_malformed_files_get_a_clear_error(ws, tmp_path, content, words):
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    with pytest.raises(CsvImportError, match=words.replace("(", r"\(").replace(")", r"\)")):
        import_people(ws, path)
    assert count(ws) == 0


def test_ragged_rows_are_listed(ws, tmp_path):
    path = write(tmp_path, "name,notes\nAna,x\nBen,x,extra\nCara\nDan,y,\n")
    with pytest.raises(CsvImportError) as caught:
        import_people(ws, path)
    assert caught.value.problems == [
        "line 3: has 3 fields but the header has 2",
        "line 4: has 1 fields but the header has 2",
    ]


def test_multiline_field_line_numbers(ws, tmp_path):
    path = write(tmp_path, 'name,notes\nAna,"two\nlines"\n,empty name\n')
    with pytest.raises(CsvImportError) as caught:
        import_people(ws, path)
    assert caught.value.problems == ["line 4: name is empty"]


def test_event_and_photo_columns_record_consent_and_refusal(ws, tmp_path):
    csv_text = textwrap.dedent(
        """\
        name,event,photo,minor,guardian,guardian_consent
        Ana,E-forum,yes,,,
        Ben,E-forum,no,,,
        Cara,E-forum,,,,
        Dina,E-np,Yes,yes,Mum,yes
        Eli,,,,,
        """
    )
    result = import_people(ws, write(tmp_path, csv_text))
    assert (result.participants, result.consents, result.refusals) == (4, 2, 2)
    ids = {p.display_name: p.id for _, p in result.people}
    assert events.participants(ws, "E-forum") == [ids["Ana"], ids["Ben"], ids["Cara"]]
    assert events.participants(ws, "E-np") == [ids["Dina"]]

    def allowed(name, event, use="face"):
        return check(ws, ids[name], use, "instagram", "public", "advocacy", event_id=event).allowed

    assert allowed("Ana", "E-forum") and not allowed("Ana", None) and not allowed("Ana", "E-forum", "video")
    assert allowed("Dina", "E-np")
    # Ben said no for the forum: even a standing consent given later does not cover it.
    registry.grant(ws, ids["Ben"], "face", recorded_by="Staff", method="verbal", explained="photos")
    assert allowed("Ben", None) and not allowed("Ben", "E-forum")
    assert "refused" in check(ws, ids["Ben"], "video", "x", "public", "y", event_id="E-forum").reason
    assert not allowed("Cara", "E-forum")
    _, records = registry.show(ws, ids["Ana"])
    assert records[0].method == "electronic" and "photo=yes" in records[0].explained


def test_reimport_warns_about_names_already_there(ws, tmp_path):
    path = write(tmp_path, "name\nAna Ruiz\n")
    assert import_people(ws, path).warnings == []
    assert import_people(ws, path).warnings == ["line 2: someone with this name is already in the registry"]


KILL_SCRIPT = """
import os, sys
from safepost.consent.importer import import_people
from safepost.workspace.db import Workspace
ws = Workspace.open(sys.argv[1], sys.argv[2])
def progress(done):
    print("progress", done, flush=True)
    if done >= 3000:
        import time
        time.sleep(60)
import_people(ws, sys.argv[3], progress=progress)
print("finished", flush=True)
"""


def test_a_killed_import_leaves_the_registry_as_it_was(ws, tmp_path):
    people.add_person(ws, "Before Import")
    with ws.read() as conn:
        before = {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in ("people", "audit", "consents")}
        head = conn.execute("SELECT hash FROM audit ORDER BY seq DESC LIMIT 1").fetchone()[0]
    rows = "\n".join(f"Person {i},E-forum,yes" for i in range(20_000))
    path = write(tmp_path, "name,event,photo\n" + rows + "\n", "big.csv")
    script = tmp_path / "kill_me.py"
    script.write_text(KILL_SCRIPT)
    env = {**os.environ, "SAFEPOST_INSECURE_FAST_KDF": "1"}
    proc = subprocess.Popen(
        [sys.executable, str(script), str(ws.path), PASS, str(path)], stdout=subprocess.PIPE, text=True, env=env
    )
    seen = []
    for line in proc.stdout:
        seen.append(line.strip())
        if line.startswith("progress 2000"):
            os.kill(proc.pid, signal.SIGKILL)
            break
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL and "progress 1000" in seen
    ws.close()
    again = Workspace.open(ws.path, PASS)
    try:
        with again.read() as conn:
            after = {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in before}
            assert conn.execute("SELECT hash FROM audit ORDER BY seq DESC LIMIT 1").fetchone()[0] == head
        assert after == before
        assert again.verify_audit().ok
    finally:
        again.close()


def test_no_plaintext_names_on_disk_after_import(tmp_path):
    ws = Workspace.create(tmp_path / "ws", PASS, kdf=KdfParams.insecure_fast())
    marks = [f"Qzxname{i:03d} Wvbsurname" for i in range(300)]
    path = write(tmp_path, "name,aliases,handles,notes\n" + "\n".join(f"{m},Al{m},x:@{m[:10]},n{m}" for m in marks))
    import_people(ws, path)
    needles = [b"Qzxname", b"Wvbsurname", "Qzxname".encode("utf-16-le")]

    def leaks() -> list[str]:
        found = []
        for file in ws.path.rglob("*"):
            if file.is_file():
                data = file.read_bytes()
                found += [f"{file.name}: {n!r}" for n in needles if n in data]
        return found

    assert any(f.name.endswith("-wal") for f in ws.path.iterdir())  # the WAL is there while open
    assert leaks() == []
    ws.close()
    assert leaks() == []
