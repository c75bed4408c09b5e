"""People, events, consents and THE consent question, on a real encrypted workspace."""

from __future__ import annotations

import pytest

from safepost.consent import events, people, registry
from safepost.core import RegistryError
from safepost.flows.consent import check_consent as check
from safepost.workspace.db import Workspace
from safepost.workspace.keys import KdfParams

PASS = "correct horse battery staple"
AT = "2026-06-01"


def open_ws(tmp_path) -> Workspace:
    return Workspace.create(tmp_path / "ws", PASS, kdf=KdfParams.insecure_fast(), actor="tester")


def consent(ws, person, use, **kw):
    kw.setdefault("recorded_by", "Staff A")
    kw.setdefault("method", "written")
    kw.setdefault("explained", "Photos on our channels for the campaign; can be withdrawn at any time.")
    kw.setdefault("given_at", "2026-01-01")
    return registry.grant(ws, person, use, **kw)


@pytest.fixture
def reg(tmp_path):
    """A registry with four people, three events and a spread of consents."""
    ws = open_ws(tmp_path)
    ana = people.add_person(ws, "Ana Ruiz", aliases=["Anita"], handles="x:@ana_r")
    ben = people.add_person(ws, "Ben Okafor", is_minor=True, guardian="Grace Okafor, +44 20 0000 0000")
    cara = people.add_person(ws, "Cara Lind")
    dan = people.add_person(ws, "Dan Mbeki")
    events.add_event(ws, "E-open", "Open day", starts_on="2026-03-01")
    events.add_event(ws, "E-ch", "Closed forum", chatham_house=True)
    events.add_event(ws, "E-np", "Shelter visit", default_documentation="no_photo")
    ids = {
        "ana_face": consent(
            ws,
            ana.id,
            "face",
            platforms=["instagram", "website"],
            audiences=["public"],
            purposes=["advocacy"],
            expires_at="2027-01-01",
        ).id,
        "ana_qa": consent(ws, ana.id, "quote_attributed").id,
        "ana_qu": consent(ws, ana.id, "quote_unattributed").id,
        "ana_aff": consent(ws, ana.id, "affiliation", event_id="E-ch").id,
        "ana_video": consent(ws, ana.id, "video").id,
        "ben_face": consent(ws, ben.id, "face", guardian_consent=True).id,
        "cara_face_np": consent(ws, cara.id, "face", event_id="E-np").id,
        "cara_face_any": consent(ws, cara.id, "face", platforms="*").id,
        "dan_voice": consent(ws, dan.id, "voice").id,
        "dan_name": consent(ws, dan.id, "name").id,
    }
    registry.refuse(ws, ana.id, "video", "E-open", recorded_by="Staff A", method="verbal")
    registry.withdraw(ws, dan.id, "name", recorded_by="Staff A")
    people.update_person(ws, dan.id, is_minor=True, guardian="Dan's mother")  # became known as a minor later
    yield ws, {"ana": ana.id, "ben": ben.id, "cara": cara.id, "dan": dan.id}, ids
    ws.close()


# person, use, platform, audience, purpose, event, at -> allowed, words in the reason
CASES = [
    ("ana", "face", "instagram", "public", "advocacy", None, AT, True, "standing"),
    ("ana", "face", "Instagram", "public", "advocacy", None, AT, True, "consent"),
    ("ana", "face", "x", "public", "advocacy", None, AT, False, "platform 'x'"),
    ("ana", "face", "instagram", "internal", "advocacy", None, AT, False, "audience 'internal'"),
    ("ana", "face", "instagram", "public", "fundraising", None, AT, False, "purpose 'fundraising'"),
    ("ana", "face", "x", "closed", "fundraising", None, AT, False, "platform 'x' (it covers instagram, website) or"),
    ("ana", "face", "*", "public", "advocacy", None, AT, False, "platform '*'"),
    ("ana", "face", "instagram", "public", "advocacy", None, "2027-02-01", False, "expired on 2027-01-01"),
    # a publication planned before now happens now: a consent given since then covers it
    ("ana", "face", "instagram", "public", "advocacy", None, "2025-12-01", True, "given 2026-01-01 00:00 UTC"),
    ("ana", "voice", "instagram", "public", "advocacy", None, AT, False, "no consent recorded"),
    ("ana", "location", "instagram", "public", "advocacy", "E-open", AT, False, "no consent recorded"),
    # standing consent covers an ordinary event, not a NO PHOTO one
    ("ana", "face", "website", "public", "advocacy", "E-open", AT, True, "standing"),
    ("ana", "face", "website", "public", "advocacy", "E-np", AT, False, "NO PHOTO"),
    ("cara", "face", "tiktok", "internal", "report", "E-np", AT, True, "for event E-np"),
    ("cara", "face", "tiktok", "internal", "report", None, AT, True, "standing"),
    # an event refusal beats a standing consent there, and only there
    ("ana", "video", "website", "public", "advocacy", "E-open", AT, False, "refused on"),
    ("ana", "video", "website", "public", "advocacy", None, AT, True, "standing"),
    ("ana", "video", "website", "public", "advocacy", "E-ch", AT, True, "standing"),
    # Chatham House: no attributed quote, no affiliation, even with consent; unattributed is fine
    ("ana", "quote_attributed", "website", "public", "advocacy", "E-ch", AT, False, "Chatham House"),
    ("ana", "affiliation", "website", "public", "advocacy", "E-ch", AT, False, "Chatham House"),
    ("ana", "quote_unattributed", "website", "public", "advocacy", "E-ch", AT, True, "standing"),
    ("ana", "quote_attributed", "website", "public", "advocacy", None, AT, True, "standing"),
    ("ana", "quote_attributed", "website", "public", "advocacy", "E-open", AT, True, "standing"),
    # minors: a consent counts only with the guardian's
    ("ben", "face", "website", "public", "advocacy", None, AT, True, "standing"),
    ("dan", "voice", "website", "public", "advocacy", None, AT, False, "minor"),
    # withdrawal
    ("dan", "name", "website", "public", "advocacy", None, AT, False, "withdrawn on"),
    # unknowns are refusals, never errors
    ("P-NOBODY", "face", "website", "public", "advocacy", None, AT, False, "no person"),
    ("ana", "face", "website", "public", "advocacy", "E-none", AT, False, "no event"),
    ("ana", "smell", "website", "public", "advocacy", None, AT, False, "unknown use"),
    ("ana", "face", "website", "everyone", "advocacy", None, AT, False, "unknown audience"),
    ("ana", "face", "website", "public", "advocacy", None, "soon", False, "not a date"),
]


@pytest.mark.parametrize("who, use, platform, audience, purpose, event, at, allowed, words", CASES)
def test_check(reg, who, use, platform, audience, purpose, event, at, allowed, words):
    ws, who_ids, _ = reg
    person = who_ids.get(who, who)
    decision = check(ws, person, use, platform, audience, purpose, event_id=event, at=at)
    assert decision.allowed is allowed, decision.reason
    assert words in decision.reason
    assert (decision.consent_id is not None) is allowed


def test_check_names_the_consent_it_used(reg):
    ws, who, ids = reg
    assert check(ws, who["cara"], "face", "x", "public", "p", event_id="E-np", at=AT).consent_id == ids["cara_face_np"]
    assert check(ws, who["cara"], "face", "x", "public", "p", at=AT).consent_id == ids["cara_face_any"]


def test_event_records_replace_standing_ones_for_that_event(reg):
    ws, who, _ = reg
    # Cara's event consent for E-np is withdrawn: her standing consent does not take over there.
    registry.withdraw(ws, who["cara"], "face", "E-np")
    assert "withdrawn on" in check(ws, who["cara"], "face", "x", "public", "p", event_id="E-np", at=AT).reason
    assert check(ws, who["cara"], "face", "x", "public", "p", at=AT).allowed


def test_withdraw_for_an_event_without_records_adds_a_refusal(reg):
    ws, who, ids = reg
    result = registry.withdraw(ws, who["ana"], "quote_unattributed", "E-open")
    assert result.withdrawn == [] and len(result.refusals) == 1
    assert not check(ws, who["ana"], "quote_unattributed", "web", "public", "advocacy", event_id="E-open").allowed
    assert check(ws, who["ana"], "quote_unattributed", "web", "public", "advocacy").allowed
    everything = registry.withdraw(ws, who["ana"], "all", "E-ch")
    assert everything.withdrawn == [ids["ana_aff"]] and len(everything.refusals) == len(registry.USES) - 1


def test_a_new_consent_after_withdrawal_counts(reg):
    ws, who, _ = reg
    registry.withdraw(ws, who["ana"], "face")
    assert "withdrawn" in check(ws, who["ana"], "face", "instagram", "public", "advocacy").reason
    consent(ws, who["ana"], "face", platforms=["website"], given_at=None)
    decision = check(ws, who["ana"], "face", "instagram", "public", "advocacy")
    assert not decision.allowed and "platform 'instagram'" in decision.reason  # the closest record speaks
    assert check(ws, who["ana"], "face", "website", "public", "advocacy").allowed


def _publish(ws, person, uses, event=None, consent_id=None, down=False, ref="post"):
    with ws.transaction() as conn:
        cur = conn.execute(
            "INSERT INTO publications (post_ref, platform, audience, url, event_id, published_at, taken_down_at)"
            " VALUES (?, 'instagram', 'public', ?, ?, '2026-05-01T10:00:00Z', ?)",
            (ref, f"https://example.org/{ref}", event, "2026-05-02T00:00:00Z" if down else None),
        )
        conn.execute(
            "INSERT INTO publication_people (publication_id, person_id, consent_id, uses) VALUES (?, ?, ?, ?)",
            (cur.lastrowid, person, consent_id, '["' + '","'.join(uses) + '"]' if uses else "[]"),
        )
        ws.audit(conn, "test.publication", {"id": cur.lastrowid})
        return cur.lastrowid


def test_withdrawal_returns_the_takedown_list(reg):
    ws, who, ids = reg
    by_consent = _publish(ws, who["ana"], ["face"], "E-open", ids["ana_face"], ref="a")
    unknown_uses = _publish(ws, who["ana"], [], ref="b")
    _publish(ws, who["ana"], ["quote_unattributed"], ref="c")
    _publish(ws, who["ana"], ["face"], down=True, ref="d")
    _publish(ws, who["cara"], ["face"], ref="e")
    other_event = _publish(ws, who["ana"], ["face", "name"], "E-ch", ref="f")

    result = registry.withdraw(ws, who["ana"], "face", recorded_by="Staff A")
    assert result.withdrawn == [ids["ana_face"]]
    assert [p.id for p in result.takedown] == [by_consent, unknown_uses, other_event]
    assert result.takedown[0].url == "https://example.org/a" and result.takedown[0].uses == ["face"]
    assert not check(ws, who["ana"], "face", "instagram", "public", "advocacy", at=AT).allowed
    assert result.to_dict()["takedown"][0]["post_ref"] == "a"

    event_only = registry.withdraw(ws, who["ana"], "name", "E-open")
    assert [p.id for p in event_only.takedown] == [unknown_uses]  # publication f is from another event


def test_show_lists_every_record_with_its_state(reg):
    ws, who, _ = reg
    granted = consent(ws, who["ana"], "location", event_id="E-open", platforms=["Web"], expires_at="2030-01-01")
    assert registry.show(ws, who["ana"])[1][0] == granted and granted.platforms == ["web"]
    person, records = registry.show(ws, who["ana"])
    assert person.display_name == "Ana Ruiz"
    states = {(c.use, c.event_id): c.state(at="2026-06-01T00:00:00Z") for c in records}
    assert states[("face", None)] == "active" and states[("video", "E-open")] == "refused"
    assert records[0].id > records[-1].id
    with pytest.raises(RegistryError):
        registry.show(ws, "P-NOBODY")


@pytest.mark.parametrize(
    "who, use, changes, words",
    [
        ("ben", "face", {}, "minor"),
        ("ana", "face", {"explained": "  "}, "explained"),
        ("ana", "face", {"recorded_by": ""}, "recorded"),
        ("ana", "face", {"method": "telepathy"}, "method"),
        ("ana", "gait", {}, "use"),
        ("ana", "face", {"event_id": "E-none"}, "No event"),
        ("P-NOBODY", "face", {}, "No person"),
        ("ana", "face", {"given_at": "2026-05-01", "expires_at": "2026-04-01"}, "expire"),
        ("ana", "face", {"audiences": ["everyone"]}, "audience"),
        ("ana", "face", {"platforms": []}, "platform"),
        ("ana", "face", {"attachment": "/nonexistent/form.pdf"}, "attachment"),
    ],
)
def test_grant_refuses_incomplete_consents(reg, who, use, changes, words):
    ws, who_ids, _ = reg
    with ws.read() as conn:
        before = conn.execute("SELECT count(*) FROM consents").fetchone()[0]
    with pytest.raises(RegistryError, match=words):
        consent(ws, who_ids.get(who, who), use, **changes)
    with ws.read() as conn:
        assert conn.execute("SELECT count(*) FROM consents").fetchone()[0] == before


def test_attachment_goes_to_the_vault(reg, tmp_path):
    ws, who, _ = reg
    form = tmp_path / "form.pdf"
    form.write_bytes(b"%PDF-1.4 signed consent form of Ana Ruiz")
    record = consent(ws, who["ana"], "location", attachment=form)
    assert record.attachment_vault_id and ws.vault.get(record.attachment_vault_id) == form.read_bytes()
    assert not any(b"Ana Ruiz" in p.read_bytes() for p in (ws.path / "vault").iterdir())


def test_every_change_is_audited(tmp_path):
    ws = open_ws(tmp_path)
    try:

        def actions():
            return [e["action"] for e in ws.audit_log()]

        start = len(actions())
        person = people.add_person(ws, "Eva Solis")
        people.update_person(ws, person.id, nicknames=["Evi"])
        events.add_event(ws, "E-1", "One")
        events.update_event(ws, "E-1", place="Hall")
        events.add_participants(ws, "E-1", [person.id])
        record = consent(ws, person.id, "face")
        registry.withdraw(ws, person.id, "face")
        assert actions()[start:] == [
            "person.add",
            "person.update",
            "event.add",
            "event.update",
            "event.participants",
            "consent.grant",
            "consent.withdraw",
        ]
        assert ws.verify_audit().ok
        details = ws.audit_log()[-2]["details"]
        assert details["consent"] == record.id and "Eva" not in str(ws.audit_log())
    finally:
        ws.close()


def test_people_and_events(tmp_path):
    ws = open_ws(tmp_path)
    try:
        person = people.add_person(
            ws, "  Zoë   Ndiaye ", aliases="Zoe Ndiaye; Z. N.;", languages=["fr", "wo", "fr"], notes=" x "
        )
        assert person.id.startswith("P-") and len(person.id) == 8
        assert set(person.id[2:]) <= set(people.ID_ALPHABET) and not set("01OIL") & set(person.id[2:])
        assert person.display_name == "Zoë Ndiaye" and person.aliases == ["Zoe Ndiaye", "Z. N."]
        assert person.languages == ["fr", "wo"] and person.notes == "x"
        assert people.get_person(ws, person.id) == person
        with pytest.raises(RegistryError, match="guardian"):
            people.add_person(ws, "Kid", is_minor=True)
        with pytest.raises(RegistryError, match="empty"):
            people.add_person(ws, "   ")
        with pytest.raises(RegistryError, match="guardian"):
            people.update_person(ws, person.id, is_minor=True)
        assert people.update_person(ws, person.id, handles=["ig:@zoe"]).handles == ["ig:@zoe"]
        assert [p.id for p in people.list_people(ws)] == [person.id]
        with pytest.raises(RegistryError):
            people.get_person(ws, "P-XXXXXX")

        event = events.add_event(ws, "E-2026-forum", "Forum", starts_on="2026-05-01", place="Hall")
        assert event.ends_on == "2026-05-01" and not event.chatham_house
        with pytest.raises(RegistryError, match="already"):
            events.add_event(ws, "E-2026-forum", "Again")
        with pytest.raises(RegistryError, match="not valid"):
            events.add_event(ws, "bad id!", "x")
        with pytest.raises(RegistryError, match="Documentation"):
            events.add_event(ws, "E-x", "x", default_documentation="maybe")
        with pytest.raises(RegistryError, match="before it starts"):
            events.add_event(ws, "E-y", "y", starts_on="2026-05-02", ends_on="2026-05-01")
        assert events.update_event(ws, "E-2026-forum", chatham_house=True).chatham_house
        assert [e.id for e in events.list_events(ws)] == ["E-2026-forum"]
        assert events.add_participants(ws, "E-2026-forum", [person.id, person.id]) == 1
        assert events.add_participants(ws, "E-2026-forum", [person.id]) == 0
        assert events.participants(ws, "E-2026-forum") == [person.id]
    finally:
        ws.close()


def test_check_is_fast_enough_on_a_small_registry(tmp_path):
    """A smoke test of the index use; benchmarks/registry.py measures 100k people / 300k consents."""
    ws = open_ws(tmp_path)
    try:
        with ws.read() as conn:
            plan = conn.execute(
                "EXPLAIN QUERY PLAN SELECT id FROM consents WHERE person_id = ? AND use = ?"
                " AND (event_id IS NULL OR event_id = ?)",
                ("P-X", "face", None),
            ).fetchall()
        assert any("consents_person" in str(tuple(row)) for row in plan)
    finally:
        ws.close()


def test_a_consent_given_today_covers_a_post_planned_earlier_today_in_both_checks(tmp_path):
    """One rule (registry.publication_moment): `consent check` and the post check agree, to the second."""
    from datetime import UTC, datetime, timedelta

    from safepost.flows.post import check_post
    from tests.flows.test_post_check import _text_post

    ws = open_ws(tmp_path)
    person = people.add_person(ws, "Rocío Mendes")
    now = datetime.now(UTC).replace(microsecond=0)
    given, planned, later = now - timedelta(minutes=1), now - timedelta(hours=3), now + timedelta(days=2)
    kw = {"platforms": ["x"], "audiences": ["public"], "purposes": ["advocacy"]}
    consent(ws, person.id, "name", given_at=given.isoformat(), **kw)
    assert check(ws, person.id, "name", "x", "public", "advocacy", at=planned.isoformat()).allowed
    post = _text_post("Thank you, Rocío Mendes, for speaking.", publish_at=planned.isoformat())
    report = check_post(post, ws)
    assert "name_without_consent" not in [f.kind for f in report.findings], [f.title for f in report.findings]
    future = consent(ws, person.id, "quote_attributed", given_at=later.isoformat(), **kw)
    decision = check(ws, person.id, "quote_attributed", "x", "public", "advocacy")
    assert not decision.allowed and f"consent {future.id} only starts at {later:%Y-%m-%d %H:%M} UTC" in decision.reason


# the same rule's reasons in Spanish, as a finding shows them in a Spanish report (issue 23)
SPANISH_CASES = [
    ("ana", "face", "instagram", "public", "advocacy", None, AT, "(permanente, written, dado el 2026-01-01 00:00 UTC"),
    ("ana", "face", "x", "closed", "fundraising", None, AT, "no cubre la plataforma 'x' (cubre instagram, website) o "),
    ("ana", "face", "instagram", "public", "advocacy", None, "2027-02-01", "caducó el 2027-01-01"),
    ("ana", "voice", "instagram", "public", "advocacy", None, AT, "no hay ningún consentimiento registrado"),
    ("ana", "face", "website", "public", "advocacy", "E-np", AT, "el evento E-np es NO PHOTO y no hay consentimiento"),
    ("ana", "video", "website", "public", "advocacy", "E-open", AT, "rechazado el "),
    ("ana", "affiliation", "website", "public", "advocacy", "E-ch", AT, "regla de Chatham House: nada de afiliaciones"),
    ("dan", "voice", "website", "public", "advocacy", None, AT, "es menor de edad y el consentimiento"),
    ("dan", "name", "website", "public", "advocacy", None, AT, "retirado el "),
    ("P-NOBODY", "face", "website", "public", "advocacy", None, AT, "no hay ninguna persona con el identificador"),
]


@pytest.mark.parametrize("who, use, platform, audience, purpose, event, at, words", SPANISH_CASES)
def test_check_reasons_in_spanish(reg, who, use, platform, audience, purpose, event, at, words):
    ws, who_ids, _ = reg
    decision = check(ws, who_ids.get(who, who), use, platform, audience, purpose, event_id=event, at=at)
    spanish = decision.reason.say("es")
    assert words in spanish, spanish
    for english in ("consent ", "covers", "expired", "no person", "withdrawn", "refused", "standing", " or "):
        assert english not in spanish, spanish
