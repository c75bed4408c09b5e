"""The web app applies the organisation's rules exactly as the command line does (issue 19):
the same ``policy.yaml`` (thresholds, approvers, on-site hours) and the same keep rule (minors)."""

from __future__ import annotations

import warnings

import pytest

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from safepost.consent import people, registry
from safepost.core import InputError
from safepost.workspace import Workspace
from tests.web.test_web_support import PASS, FakeChecker, crowd_jpeg, csrf_of, make_app, make_workspace, unlock

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")
HX = {"HX-Request": "true"}

STRICT = """\
organisation: Test org
thresholds: {medium: 1, high: 2}
high_approvers: [Zoe Admin]
on_site_hours: 48
"""


@pytest.fixture
def policy_file(tmp_path):
    path = tmp_path / "policy.yaml"
    path.write_text(STRICT, encoding="utf-8")
    return path


def test_serve_reads_policy_yaml_with_the_clis_loader(tmp_path, policy_file):
    from safepost.decide.policy import load_policy
    from safepost.web import create_app
    from safepost.web.server import make_config

    config = make_config(tmp_path / "ws", "127.0.0.1", False, 15, 256, policy_file)
    assert config.policy == load_policy(policy_file)
    assert config.policy.thresholds.high == 2 and config.policy.high_approvers == ["Zoe Admin"]
    assert create_app(config).state.web.checker.policy == config.policy
    assert make_config(tmp_path / "ws", "127.0.0.1", False, 15, 256).policy == load_policy(None)
    bad = tmp_path / "bad.yaml"
    bad.write_text("thresholds: {medium: 9, high: 3}\n", encoding="utf-8")
    with pytest.raises(InputError, match="line 1: thresholds: .*must not be above"):
        make_config(tmp_path / "ws", "127.0.0.1", False, 15, 256, bad)


def test_serve_has_the_policy_option():
    from click.testing import CliRunner

    from safepost.cli import main

    result = CliRunner().invoke(main, ["serve", "--help"])
    assert result.exit_code == 0 and "--policy" in result.output


def test_web_check_and_prepare_apply_the_policy_like_the_cli(tmp_path, policy_file):
    """Same post, same policy: the web app's check rates it as `safepost check --policy` does."""
    from safepost.core import PostBlockedError
    from safepost.decide.policy import load_policy
    from safepost.flows.post import analyse_post
    from safepost.flows.prepare import prepare_post
    from safepost.web.checking import PostChecker, build_post
    from safepost.web.drafts import Draft

    folder = tmp_path / "ws"
    make_workspace(folder)
    policy = load_policy(policy_file)
    context = {"platforms": ["instagram"], "audience": "public", "event": "E-forum", "people": []}
    draft = Draft(text="Ben Okafor spoke at the forum today.", context=context)
    ws = Workspace.open(folder, PASS)
    try:
        post, review = build_post(ws, draft)
        cli = analyse_post(post, ws, policy=policy, review=review).report
        default = PostChecker().check(ws, draft)
        web = PostChecker(policy).check(ws, draft)
        assert web.thresholds == cli.thresholds == {"medium": 1, "high": 2}
        assert default.thresholds == {"medium": 6, "high": 12}
        assert (web.level, web.score, web.safe_after) == (cli.level, cli.score, cli.safe_after)
        assert web.level in ("high", "blocked")
        with pytest.raises(PostBlockedError) as web_refusal:
            PostChecker(policy).prepare(ws, draft, approve_by="Somebody Else")
        with pytest.raises(PostBlockedError) as cli_refusal:
            prepare_post(post, ws, policy=policy, review=review, approve_by="Somebody Else")
        assert str(web_refusal.value) == str(cli_refusal.value)
    finally:
        ws.close()


@pytest.fixture
def minor_site(tmp_path, crowd):
    """A workspace where Cleo, a minor, has a (guardian's) face consent for any platform."""
    folder = tmp_path / "ws"
    ids = make_workspace(folder)
    ws = Workspace.open(folder, PASS)
    try:
        cleo = people.add_person(ws, "Cleo Diaz", event_id="E-forum", is_minor=True, guardian="Her mother")
        registry.grant(
            ws,
            cleo.id,
            "face",
            recorded_by="Staff A",
            method="written",
            explained="Photos.",
            given_at="2026-01-01",
            guardian_consent=True,
        )
    finally:
        ws.close()
    ids["cleo"] = cleo.id
    return folder, ids, [list(b) for b in crowd[1]]


def _keep(client, csrf, crowd, person_id):
    form = {"csrf": csrf, "platforms": "instagram", "audience": "public", "text": "At the forum"}
    made = client.post(
        "/posts", data=form, files={"media": ("crowd.jpg", crowd_jpeg(crowd), "image/jpeg")}, follow_redirects=False
    )
    assert made.status_code == 303, made.text
    draft = made.headers["location"].split("/")[2]
    data = {"csrf": csrf, "media": "crowd.jpg", "region": "f1", "person_id": person_id}
    return client.post(f"/posts/{draft}/keep", data=data, headers=HX).text


def test_web_keep_refuses_a_minor_as_the_check_does(minor_site, crowd):
    folder, ids, boxes = minor_site
    with TestClient(make_app(folder, checker=FakeChecker(boxes))) as client:
        unlock(client)
        page = _keep(client, csrf_of(client.get("/posts/new").text), crowd, ids["cleo"])
    assert "will stay visible" not in page
    assert "Not kept" in page and "is a minor; the policy never shows minors" in page


def test_web_keep_of_a_minor_follows_the_policy(minor_site, crowd, tmp_path):
    """With ``block_identifiable_minors: false`` the guardian's consent counts, in the web app as in the check."""
    from safepost.decide.policy import Policy

    folder, ids, boxes = minor_site
    policy = Policy(block_identifiable_minors=False)
    with TestClient(make_app(folder, checker=FakeChecker(boxes, block_minors=False), policy=policy)) as client:
        unlock(client)
        page = _keep(client, csrf_of(client.get("/posts/new").text), crowd, ids["cleo"])
    assert "f1 will stay visible" in page
