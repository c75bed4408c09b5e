"""Takedown (issue 23, item 7): the address of each published post, kept encrypted; withdrawals
confirmed first; takedown lists that say which post (first words, date) and where it is online."""

from __future__ import annotations

import json
import re
import warnings
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from safepost.cli import main
from safepost.consent import people, publications, registry
from safepost.core import RegistryError
from safepost.post import new_post
from safepost.workspace.db import Workspace
from safepost.workspace.keys import KdfParams

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from tests.web.test_web_support import FakeChecker, crowd_jpeg, csrf_of, make_app, make_workspace, unlock

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")
PASS = "correct horse battery staple"
SECRET_URL = "https://www.instagram.com/p/SecretPost4711/"
X_URL = "https://x.com/ourorg/status/99887766"


def _workspace_bytes(folder: Path) -> bytes:
    """Every byte the workspace keeps on disk (database, its journal, keys, vault)."""
    return b"".join(p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file())


@pytest.fixture
def prepared(tmp_path, monkeypatch):
    """A text-only post naming Ana (who consented to her name), prepared for Instagram and X."""
    ws_dir = tmp_path / "ws"
    ws = Workspace.create(ws_dir, PASS, kdf=KdfParams.insecure_fast(), actor="tester")
    ana = people.add_person(ws, "Ana Ruiz")
    registry.grant(ws, ana.id, "name", recorded_by="Staff", method="written", explained="Posts.", given_at="2026-01-01")
    ws.close()
    bundle = tmp_path / "forum-post"
    new_post(bundle)
    (bundle / "post.txt").write_text("Ana Ruiz spoke at the forum about housing rights.\nMore soon.\n")
    meta = yaml.safe_load((bundle / "post.yaml").read_text())
    meta.update(platforms=["instagram", "x"], publish_at="2030-01-02T10:00:00Z", people=[ana.id])
    (bundle / "post.yaml").write_text(yaml.safe_dump(meta))
    env = {"SAFEPOST_WORKSPACE": str(ws_dir), "SAFEPOST_PASSPHRASE": PASS, "SAFEPOST_ACTOR": "tester"}
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    result = CliRunner().invoke(main, ["prepare", str(bundle), "-o", str(tmp_path / "safe")])
    assert result.exit_code == 0, result.output
    assert f"safepost published {bundle} URL" in result.output
    return {"bundle": bundle, "ws": ws_dir, "ana": ana.id}


def _cli(*args, input=None):
    return CliRunner().invoke(main, [str(a) for a in args], input=input)


def test_published_url_is_recorded_per_platform_and_only_encrypted(prepared):
    bundle, ws_dir = prepared["bundle"], prepared["ws"]
    done = _cli("published", bundle, SECRET_URL)
    assert done.exit_code == 0, done.output
    assert "(instagram) is online at " + SECRET_URL in done.output
    unclear = _cli("published", bundle, "https://example.org/our-post")
    assert unclear.exit_code == 12 and "instagram (number" in unclear.output and "--platform" in unclear.output
    assert _cli("published", bundle, "https://example.org/x", "--platform", "x").exit_code == 0
    assert _cli("published", bundle, X_URL).exit_code == 0  # the host says which copy: the X one, replaced
    wrong = _cli("published", bundle, "not an address")
    assert wrong.exit_code == 12 and "starts with https://" in wrong.output

    listed = json.loads(_cli("publications", bundle, "--json").output)
    assert {p["platform"]: p["url"] for p in listed} == {"instagram": SECRET_URL, "x": X_URL}
    assert {p["title"] for p in listed} == {"Ana Ruiz spoke at the forum about housing rights."}
    on_disk = _workspace_bytes(ws_dir)
    for secret in (b"SecretPost4711", b"99887766", b"instagram.com", b"housing rights"):
        assert secret not in on_disk
    with Workspace.open(ws_dir, PASS) as ws:  # audit entries hold the publication number, never the address
        assert not any("SecretPost4711" in json.dumps(e) for e in ws.audit_log())


def test_withdrawal_asks_first_and_lists_the_post_by_its_words_date_and_address(prepared):
    bundle, ana = prepared["bundle"], prepared["ana"]
    _cli("published", bundle, SECRET_URL)
    refused = _cli("consent", "withdraw", ana, "name", input="n\n")
    assert refused.exit_code == 2 and "nothing was withdrawn" in refused.output
    assert "2 published post(s) would then need editing or taking down" in refused.output
    no_answer = _cli("consent", "withdraw", ana, "name")
    assert no_answer.exit_code == 2 and "add --yes" in no_answer.output
    assert (
        _cli(
            "consent", "check", ana, "name", "--platform", "x", "--audience", "public", "--purpose", "advocacy"
        ).exit_code
        == 0
    )

    withdrawn = _cli("consent", "withdraw", ana, "name", input="y\n")
    assert withdrawn.exit_code == 0, withdrawn.output
    lines = withdrawn.output
    assert "Ana Ruiz spoke at the forum about housing rights." in lines
    assert "2030-01-02 10:00 UTC" in lines and SECRET_URL in lines
    assert "not recorded (safepost published NUMBER URL)" in lines  # the X copy has no address yet
    assert str(bundle) not in lines and "web:" not in lines


def test_taken_down_posts_leave_the_takedown_list(prepared):
    bundle, ana, ws_dir = prepared["bundle"], prepared["ana"], prepared["ws"]
    with Workspace.open(ws_dir, PASS) as ws:
        ids = sorted(p.id for p in publications.list_publications(ws, str(bundle)))
        assert len(registry.takedown_list(ws, ana)) == 2
    unclear = _cli("taken-down", bundle)
    assert unclear.exit_code == 12 and "more than once" in unclear.output
    assert _cli("taken-down", bundle, "--platform", "instagram").exit_code == 0
    assert _cli("taken-down", ids[1]).exit_code == 0
    status = _cli("publications").output
    assert status.count("taken down 20") == 2
    with Workspace.open(ws_dir, PASS) as ws:
        assert registry.takedown_list(ws, ana) == []
        assert [e["action"] for e in ws.audit_log()][-2:] == ["publication.taken_down", "publication.taken_down"]
        with pytest.raises(RegistryError, match="No publication number 999"):
            publications.record_url(ws, 999, SECRET_URL)
        with pytest.raises(RegistryError, match="on x, but publication"):
            publications.record_url(ws, ids[0], X_URL)
    withdrawn = _cli("consent", "withdraw", ana, "--yes")
    assert "no publication showing this person is still up" in withdrawn.output


@pytest.mark.parametrize(
    "url",
    ["ftp://x.org/a", "https://", "javascript:alert(1)", "https://a.org/with space", "https://a.org/\x1b[2J"],
)
def test_only_web_addresses_are_accepted(url):
    with pytest.raises(RegistryError):
        publications.check_url(url)


def test_web_app_confirms_a_withdrawal_and_records_addresses(tmp_path, crowd):
    folder = tmp_path / "ws"
    ids = make_workspace(folder)
    with TestClient(make_app(folder, checker=FakeChecker([list(b) for b in crowd[1]]))) as client:
        unlock(client)
        csrf = csrf_of(client.get("/posts/new").text)
        form = {"csrf": csrf, "platforms": "instagram", "audience": "public", "text": "At the forum today"}
        made = client.post(
            "/posts",
            data={**form, "people": ids["ana"]},
            files={"media": ("crowd.jpg", crowd_jpeg(crowd), "image/jpeg")},
            follow_redirects=False,
        )
        draft = made.headers["location"].split("/")[2]
        client.post(
            f"/posts/{draft}/keep",
            data={"csrf": csrf, "media": "crowd.jpg", "region": "f1", "person_id": ids["ana"]},
            headers={"HX-Request": "true"},
        )
        report = client.post(f"/posts/{draft}/prepare", data={"csrf": csrf})
        assert report.status_code == 200 and "Once it is online" in report.text
        pub = re.search(r'action="/publications/(\d+)/url"', report.text).group(1)
        saved = client.post(
            f"/publications/{pub}/url",
            data={"csrf": csrf, "url": SECRET_URL, "back": f"/posts/{draft}/report"},
            follow_redirects=False,
        )
        assert saved.status_code == 303 and saved.headers["location"] == f"/posts/{draft}/report"
        assert SECRET_URL in client.get(f"/posts/{draft}/report").text
        bad = client.post(
            f"/publications/{pub}/url", data={"csrf": csrf, "url": "nope", "back": "https://evil.example"}
        )
        assert bad.status_code == 400 and "starts with https://" in bad.text
        elsewhere = client.post(
            f"/publications/{pub}/url",
            data={"csrf": csrf, "url": SECRET_URL, "back": "https://evil.example"},
            follow_redirects=False,
        )
        assert elsewhere.headers["location"] == "/people"  # never sent off the app
        no_token = client.post(f"/publications/{pub}/url", data={"url": SECRET_URL})
        assert no_token.status_code == 403

        person = f"/people/{ids['ana']}"
        asked = client.post(f"{person}/withdraw", data={"csrf": csrf, "use": "face"})
        assert (
            "Withdraw this consent?" in asked.text
            and "Published posts to edit or take down afterwards: 1" in asked.text
        )
        assert "Consent withdrawn." not in asked.text
        with Workspace.open(folder, "correct horse battery staple") as ws:
            assert all(c.status == "active" for c in registry.show(ws, ids["ana"])[1])
        done = client.post(f"{person}/withdraw", data={"csrf": csrf, "use": "face", "confirm": "yes"})
        takedown = done.text.split('id="takedown-result"')[1].split("</section>")[0]
        assert "At the forum today" in takedown and SECRET_URL in takedown and "instagram" in takedown
        assert "web:" not in takedown
        assert "Published posts showing this person" in client.get(person).text
        gone = client.post(f"/publications/{pub}/taken-down", data={"csrf": csrf, "back": person})
        assert gone.status_code == 200 and "Published posts showing this person" not in gone.text
        assert "taken down on" in client.get(f"/posts/{draft}/report").text
        assert b"SecretPost4711" not in _workspace_bytes(folder)
