"""The web app's defences (R6), through a real app on a real encrypted workspace (httpx TestClient)."""

from __future__ import annotations

import io
import os
import tempfile
import warnings

import pytest
from click.testing import CliRunner
from PIL import Image

from safepost.web.forms import safe_filename
from safepost.web.security import is_loopback

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from tests.web.test_web_support import PASS, Clock, crowd_jpeg, csrf_of, make_app, make_workspace, unlock

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


@pytest.fixture
def ws_folder(tmp_path):
    folder = tmp_path / "ws"
    make_workspace(folder)
    return folder


@pytest.fixture
def client(ws_folder):
    with TestClient(make_app(ws_folder, max_upload_bytes=400_000)) as c:
        yield c


def vault_files(folder) -> list:
    return sorted(p.name for p in (folder / "vault").iterdir())


def upload(client, csrf, name, data, content_type="image/jpeg", headers=None):
    form = {"platforms": "instagram", "audience": "public", "text": "hello"}
    if csrf is not None:
        form = {"csrf": csrf, **form}
    return client.post(
        "/posts", data=form, files={"media": (name, data, content_type)}, headers=headers or {}, follow_redirects=False
    )


def test_security_headers_and_no_external_assets(client):
    page = client.get("/")
    csp = page.headers["content-security-policy"]
    assert "default-src 'none'" in csp and "frame-ancestors 'none'" in csp
    assert "http" not in csp  # no external source of any kind
    assert page.headers["x-frame-options"] == "DENY"
    assert page.headers["referrer-policy"] == "no-referrer"
    assert page.headers["x-content-type-options"] == "nosniff"
    assert page.headers["cache-control"] == "no-store"
    assert 'src="http' not in page.text and 'href="http' not in page.text
    unlock(client)
    for path in ("/posts/new", "/people", "/audit"):
        html = client.get(path).text
        assert 'src="http' not in html and 'href="http' not in html, path
    static = client.get("/static/app.css")
    assert static.status_code == 200 and static.headers["x-frame-options"] == "DENY"
    for path in ("/docs", "/redoc", "/openapi.json"):  # FastAPI's doc pages load scripts from a CDN
        assert client.get(path).status_code == 404


def test_unlock_sets_a_strict_httponly_session_cookie(client):
    response = unlock(client)
    assert response.status_code == 200 and "New post" in response.text
    cookie = next(h for h in response.history[0].headers.get_list("set-cookie") if h.startswith("safepost_session="))
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/" in cookie
    session_id = cookie.split(";")[0].split("=", 1)[1]
    assert len(session_id) >= 43 and PASS not in cookie


def test_wrong_passphrase_is_refused_clearly(client):
    response = unlock(client, "not the passphrase")
    assert response.status_code == 401
    assert "Wrong passphrase" in response.text
    assert "safepost_session" not in client.cookies
    assert client.get("/people", follow_redirects=False).status_code == 303


def test_unlock_needs_its_own_csrf_token(client):
    client.get("/")
    response = client.post("/unlock", data={"passphrase": PASS})
    assert response.status_code == 403
    assert "safepost_session" not in client.cookies


def test_locked_app_sends_everyone_to_the_unlock_page(client):
    response = client.get("/people", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/?locked=1"
    hx = client.get("/people", headers={"HX-Request": "true"})
    assert hx.status_code == 401 and hx.headers["HX-Redirect"] == "/?locked=1"
    assert client.post("/events", data={"event_id": "E-x", "name": "x"}, follow_redirects=False).status_code == 303


def test_requests_without_the_csrf_token_are_refused(client, ws_folder, crowd):
    unlock(client)
    csrf = csrf_of(client.get("/posts/new").text)
    before = vault_files(ws_folder)
    assert upload(client, None, "crowd.jpg", crowd_jpeg(crowd)).status_code == 403
    assert upload(client, "wrong-token", "crowd.jpg", crowd_jpeg(crowd)).status_code == 403
    assert vault_files(ws_folder) == before  # nothing was stored
    assert client.post("/events", data={"event_id": "E-x", "name": "X"}).status_code == 403
    assert client.post("/lock").status_code == 403
    # The page's script sends the token in a header instead; that works.
    made = client.post("/events", data={"event_id": "E-x", "name": "X"}, headers={"X-CSRF-Token": csrf})
    assert made.status_code in (200, 204)


def test_the_csrf_token_must_come_before_any_file(client, ws_folder, crowd):
    unlock(client)
    csrf = csrf_of(client.get("/posts/new").text)
    boundary = "b0undary"
    body = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="media"; filename="a.jpg"\r\n'
        "Content-Type: image/jpeg\r\n\r\n"
    ).encode() + crowd_jpeg(crowd)
    body += (
        f'\r\n--{boundary}\r\nContent-Disposition: form-data; name="csrf"\r\n\r\n{csrf}\r\n--{boundary}--\r\n'.encode()
    )
    before = vault_files(ws_folder)
    response = client.post(
        "/posts", content=body, headers={"Content-Type": f"multipart/form-data; boundary={boundary}"}
    )
    assert response.status_code == 403
    assert vault_files(ws_folder) == before


@pytest.mark.parametrize(
    "content_type, body, status",
    [
        ("multipart/form-data; boundary=xyz", b"--xyz\r\nthis is not a part header\r\n\r\n", 400),
        ("multipart/form-data", b"--\r\n", 400),
        ("text/plain", b"csrf=whatever", 415),
        ("application/x-www-form-urlencoded", b"csrf=%ff%fe&name=x", 400),
    ],
)
def test_malformed_bodies_get_a_clear_error(client, content_type, body, status):
    unlock(client)
    csrf = csrf_of(client.get("/posts/new").text)
    response = client.post("/posts", content=body, headers={"Content-Type": content_type, "X-CSRF-Token": csrf})
    assert response.status_code == status


def test_cross_site_and_foreign_host_requests_are_refused(client):
    unlock(client)
    csrf = csrf_of(client.get("/people").text)
    data = {"csrf": csrf, "event_id": "E-y", "name": "Y"}
    assert client.post("/events", data=data, headers={"Sec-Fetch-Site": "cross-site"}).status_code == 403
    assert client.post("/events", data=data, headers={"Origin": "http://evil.example"}).status_code == 403
    assert client.get("/", headers={"Host": "evil.example"}).status_code == 400  # DNS rebinding


def test_idle_session_locks_itself(ws_folder):
    clock = Clock()
    app = make_app(ws_folder, clock=clock, idle_lock_s=60)
    with TestClient(app) as client:
        unlock(client)
        assert client.get("/people").status_code == 200
        clock.now += 59
        assert client.get("/people").status_code == 200  # activity restarts the idle clock
        clock.now += 61
        response = client.get("/people", follow_redirects=False)
        assert response.status_code == 303 and response.headers["location"] == "/?locked=1"
        assert len(app.state.web.sessions) == 0
        clock.now += 1
        assert app.state.web.sessions.sweep() == 0
        unlock(client)
        clock.now += 120
        assert app.state.web.sessions.sweep() == 1  # the background sweep locks without any request


def test_lock_button_forgets_the_session(client):
    unlock(client)
    csrf = csrf_of(client.get("/people").text)
    response = client.post("/lock", data={"csrf": csrf}, follow_redirects=False)
    assert response.status_code == 303
    assert client.get("/people", follow_redirects=False).status_code == 303


def test_upload_size_limit(client, ws_folder):
    unlock(client)
    csrf = csrf_of(client.get("/posts/new").text)
    big = io.BytesIO()
    Image.effect_noise((700, 700), 80).convert("RGB").save(big, "PNG")
    assert len(big.getvalue()) > 400_000
    before = vault_files(ws_folder)
    response = upload(client, csrf, "big.png", big.getvalue(), "image/png")
    assert response.status_code == 413 and "too large" in response.text
    assert vault_files(ws_folder) == before


@pytest.mark.parametrize(
    "name, data",
    [
        ("notes.jpg", b"Meeting notes: Ana Ruiz, Calle Mayor 5, tomorrow 10:00\n" * 5),
        ("report.jpg", b"%PDF-1.7\n" + b"0" * 200),
        ("photo.jpg", b"PK\x03\x04" + b"0" * 200),
    ],
)
def test_non_media_uploads_are_refused_by_content(client, ws_folder, name, data):
    unlock(client)
    csrf = csrf_of(client.get("/posts/new").text)
    before = vault_files(ws_folder)
    response = upload(client, csrf, name, data)
    assert response.status_code == 415
    assert "not a photo or a video" in response.text
    assert vault_files(ws_folder) == before


def test_file_names_never_become_paths(client, ws_folder, crowd, tmp_path):
    unlock(client)
    csrf = csrf_of(client.get("/posts/new").text)
    response = upload(client, csrf, "../../../etc/evil.jpg", crowd_jpeg(crowd))
    assert response.status_code == 303
    review = client.get(response.headers["location"])
    assert "evil.jpg" in review.text and "../" not in review.text
    assert not (tmp_path / "etc").exists() and not (ws_folder.parent / "evil.jpg").exists()
    draft = response.headers["location"].split("/")[2]
    for path in (
        f"/posts/{draft}/media/..%2F..%2Fetc%2Fevil.jpg/before",
        f"/posts/{draft}/media/%2e%2e%2fworkspace.json/before",
        "/static/../app.py",
        "/static/%2e%2e/app.py",
        "/static/..%2Fapp.py",
        "/posts/..%2F..%2Fetc/review",
    ):
        assert client.get(path).status_code == 404, path


@pytest.mark.parametrize(
    "raw, clean",
    [
        ("../../etc/passwd.jpg", "passwd.jpg"),
        ("C:\\Users\\ana\\photo.JPG", "photo.JPG"),
        ("..", "upload"),
        (".hidden.jpg", "hidden.jpg"),
        ("a\x00b\x1fc.jpg", "abc.jpg"),
        ('what?<script>".png', "whatscript.png"),
        ("x" * 300 + ".jpeg", "x" * 115 + ".jpeg"),
    ],
)
def test_safe_filename(raw, clean):
    assert safe_filename(raw) == clean


def test_uploads_leave_no_plaintext_on_disk(client, ws_folder, crowd, tmp_path, monkeypatch):
    # A temp folder of its own: another safepost (or anything) running beside the test can write to
    # the machine-wide one without failing it, and whatever this upload leaves behind is seen.
    own_temp = tmp_path / "tmp"
    own_temp.mkdir()
    monkeypatch.setenv("TMPDIR", str(own_temp))
    monkeypatch.setattr(tempfile, "tempdir", str(own_temp))
    assert tempfile.gettempdir() == str(own_temp)
    unlock(client)
    csrf = csrf_of(client.get("/posts/new").text)
    data = crowd_jpeg(crowd)
    response = upload(client, csrf, "crowd.jpg", data)
    assert response.status_code == 303
    client.get(response.headers["location"])
    probe = data[2000:2064]  # a piece of the picture's compressed data
    for path in ws_folder.rglob("*"):
        if path.is_file():
            content = path.read_bytes()
            assert probe not in content and b"SecretCam" not in content, path
    assert os.listdir(own_temp) == []


@pytest.mark.parametrize(
    "host, loopback",
    [
        ("127.0.0.1", True),
        ("127.0.0.2", True),
        ("::1", True),
        ("[::1]", True),
        ("localhost", True),
        ("0.0.0.0", False),
        ("192.168.1.20", False),
        ("::", False),
        ("example.org", False),
    ],
)
def test_is_loopback(host, loopback):
    assert is_loopback(host) is loopback


def test_serve_refuses_a_remote_address_without_allow_remote(tmp_path, monkeypatch):
    from safepost.cli import main
    from safepost.web import server

    folder = tmp_path / "ws"
    make_workspace(folder)
    started = []
    monkeypatch.setattr(server, "run", lambda config, host, port, open_browser: started.append((config, host)))
    monkeypatch.setattr(server, "check_port_free", lambda host, port: None)
    runner = CliRunner()
    refused = runner.invoke(main, ["--workspace", str(folder), "serve", "--host", "0.0.0.0", "--no-browser"])
    assert refused.exit_code == 2 and "refusing to listen on 0.0.0.0" in refused.output
    assert not started
    allowed = runner.invoke(
        main, ["--workspace", str(folder), "serve", "--host", "0.0.0.0", "--allow-remote", "--no-browser"]
    )
    assert allowed.exit_code == 0, allowed.output
    assert "OTHER COMPUTERS CAN REACH IT" in allowed.output
    assert started[0][0].allowed_hosts is None and started[0][1] == "0.0.0.0"
    local = runner.invoke(main, ["--workspace", str(folder), "serve", "--no-browser", "--idle-lock", "5"])
    assert local.exit_code == 0 and "http://127.0.0.1:8765/" in local.output
    assert started[1][0].idle_lock_s == 300 and "127.0.0.1" in started[1][0].allowed_hosts
    missing = runner.invoke(main, ["--workspace", str(tmp_path / "none"), "serve", "--no-browser"])
    assert missing.exit_code == 9 and "safepost init" in missing.output


def test_language_switch_and_safe_redirect(client):
    response = client.get("/lang/es?next=/", follow_redirects=True)
    assert "Desbloquee su espacio de trabajo" in response.text and 'lang="es"' in response.text
    assert client.get("/lang/en?next=//evil.example/x", follow_redirects=False).headers["location"] == "/"
    assert client.get("/lang/xx?next=/", follow_redirects=True).status_code == 200


def test_spanish_catalogue_covers_every_message():
    from pathlib import Path

    from babel.messages.extract import extract_from_dir

    import safepost.web
    from safepost.web.i18n import catalogue

    folder = Path(safepost.web.__file__).parent
    found = {
        (message[0] if isinstance(message, tuple) else message)
        for _file, _line, message, _comments, _context in extract_from_dir(
            str(folder),
            method_map=[("templates/**.html", "jinja2.ext:babel_extract"), ("**.py", "python")],
            options_map={"templates/**.html": {"trim_blocks": "true", "lstrip_blocks": "true"}},
            keywords={"_": None},
        )
    }
    assert len(found) > 200
    spanish = catalogue("es")
    missing = sorted(m for m in found if m not in spanish)
    assert not missing, f"untranslated: {missing[:10]}"
    for message in found:  # the same {placeholders} on both sides
        assert sorted(re_fields(message)) == sorted(re_fields(spanish[message])), message


def re_fields(text: str) -> list[str]:
    import re

    return re.findall(r"\{(\w+)\}", text)


def test_the_app_checks_posts_with_the_real_check_by_default(ws_folder):
    """Not the tests' fake: the default checker finds what the product's check finds."""
    from safepost.flows.post import check_post
    from safepost.web import WebConfig, create_app
    from safepost.web.checking import PostChecker, build_post
    from safepost.web.drafts import Draft
    from safepost.workspace import Workspace

    checker = create_app(WebConfig(workspace=ws_folder)).state.web.checker
    assert type(checker) is PostChecker
    draft = Draft(text="Call Ben Okafor on +44 20 7946 0958.", context={"platforms": ["x"], "audience": "public"})
    ws = Workspace.open(ws_folder, PASS)
    try:
        web = checker.check(ws, draft)
        post, review = build_post(ws, draft)
        direct = check_post(post, ws, review=review)
    finally:
        ws.close()
    kinds = sorted(f.kind for f in web.findings)
    assert kinds == sorted(f.kind for f in direct.findings) and web.level == direct.level
    assert any("phone" in k for k in kinds), kinds


def test_a_fake_video_gets_a_clear_error_not_a_500(ws_folder):
    from safepost.web.checking import PostChecker

    app = make_app(ws_folder, checker=PostChecker(), max_upload_bytes=400_000)
    with TestClient(app, raise_server_exceptions=False) as client:
        unlock(client)
        csrf = csrf_of(client.get("/posts/new").text)
        response = upload(client, csrf, "clip.mp4", b"\x00\x00\x00\x08ftyp", "video/mp4")
        review = client.get(response.headers["location"]) if response.status_code == 303 else response
    assert review.status_code in (400, 415)
    assert "clip.mp4 is not a video safepost can read" in review.text
    assert "/proc/self" not in review.text and "Internal error" not in review.text


def test_unlock_back_off_grows_and_the_failures_reach_the_audit_log(ws_folder, monkeypatch):
    from safepost.web import backoff
    from safepost.workspace import Workspace

    waits = []

    async def fake_sleep(seconds):
        waits.append(seconds)

    monkeypatch.setattr(backoff, "wait", fake_sleep)
    with TestClient(make_app(ws_folder, unlock_delay_s=1.0)) as client:
        for _ in range(4):
            assert unlock(client, "not the passphrase").status_code == 401
        assert waits == [1.0, 2.0, 4.0, 8.0]
        assert unlock(client).status_code == 200
        assert client.app.state.web.unlock_failures.count == 0
    ws = Workspace.open(ws_folder, PASS)
    try:
        notes = [e for e in ws.audit_log() if e["action"] == "web.unlock_failures"]
    finally:
        ws.close()
    assert len(notes) == 1 and notes[0]["details"]["failures"] == 4
