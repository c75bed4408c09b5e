"""The post check for one post: analyse -> decide -> rate (docs/post-check.md)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from safepost.consent.events import Event, find_event
from safepost.consent.people import find_person, list_people
from safepost.core import Finding, InputError
from safepost.core.report import LEVELS, AnalysedMedia, PostReport
from safepost.decide.consent import ConsentUse
from safepost.decide.live_words import live_word_findings
from safepost.decide.media import FACE_KINDS, decide_media, media_findings
from safepost.decide.policy import Policy
from safepost.decide.risk import Exposure, assess, level_for
from safepost.decide.text import TextCheck, TextFound, check_text, text_lang
from safepost.decide.timing import event_window, is_live
from safepost.flows.post_media import MediaAnalyser
from safepost.post.bundle import Post
from safepost.post.review import Review
from safepost.post.schema import Account, PostMeta, Sensitivity, SourceConsent, SourceKind
from safepost.words import Lines, Phrase

ISO = "%Y-%m-%dT%H:%M:%SZ"


@dataclass
class Analysis:
    """Everything the check learnt, kept for `prepare`: the report plus pixels and consents used."""

    report: PostReport
    media: list[AnalysedMedia]
    text: TextCheck
    event: Event | None
    used: list[ConsentUse] = field(default_factory=list)
    third_party: bool = False


def _names_index(ws):
    from safepost.text import NameIndex
    from safepost.text.names import entries_of

    # cached: prepare checks a post twice, and the web app re-checks after every review step
    return NameIndex.cached(entries_of(list_people(ws)))


def _find_in_text(text: str, index, lang: str) -> TextFound:
    """The analysis of the post text: registry names (``index``), personal data and quotes."""
    from safepost.text import find_pii, find_quotes

    return TextFound(index.find(text) if index is not None else [], find_pii(text, lang), find_quotes(text))


def analyse_post(
    post: Post,
    ws,
    *,
    policy: Policy | None = None,
    review: Review | None = None,
    at=None,
    detector=None,
    analyser: MediaAnalyser | None = None,
) -> Analysis:
    """Run every detector on the post, apply the review and the registry, and rate the result.

    ``analyser`` reuses the detections of files it has seen (a re-check after a review step).
    """
    policy = policy or Policy()
    review = review if review is not None else post.review
    meta = post.meta
    when = meta.publish_at or _as_datetime(at) or datetime.now(UTC)
    when_iso = when.strftime(ISO)
    analyser = analyser or MediaAnalyser(detector)
    index = _names_index(ws)
    folder = Path(post.ref) if post.ref and Path(post.ref).is_dir() else None
    media = [analyser.analyse(name, post.media[name], folder, index) for name in meta.media]
    with ws.read() as conn:
        event = _event(conn, meta)
        media_problems, used = decide_media(conn, media, review, meta, when_iso, policy.block_identifiable_minors)
        found = _find_in_text(post.text, index, text_lang(meta))
        text = check_text(conn, post.text, meta, event, found, review, when_iso, policy.public_contacts)
        minors = {p for p in _people_shown(media, text, meta) if (person := find_person(conn, p)) and person.is_minor}
    third_party = meta.source.kind == SourceKind.THIRD_PARTY
    findings = media_problems + media_findings(media, third_party) + text.findings
    live = bool(event) and is_live(when, event, policy.on_site_hours)
    safe_after = event_window(event, policy.on_site_hours)[1] if event else None
    if live:
        findings.append(_timing_finding(event, safe_after))
    findings += _source_findings(meta)
    findings += live_word_findings(post.text, event, when)
    findings += _minor_findings(minors, media, text, policy)
    location = text.location_revealed or any(f.kind == "metadata_location" for f in findings)
    people = _risks(media, text, meta, policy, live, location, minors)
    score = max((p.score for p in people), default=1)
    blocked = any(f.blocks for f in findings)
    level = _not_below_findings(level_for(score, blocked, policy), findings)
    report = PostReport(
        level=level,
        score=score,
        factors=_factors(findings, people, live, policy),
        details=_details(people, policy),
        findings=sorted(findings, key=_finding_order),
        media=[m.report for m in media],
        people=people,
        post_ref=post.ref,
        checked_at=datetime.now(UTC).strftime(ISO),
        publish_at=when_iso,
        safe_after=safe_after.strftime(ISO) if safe_after else None,
        thresholds={"medium": policy.thresholds.medium, "high": policy.thresholds.high},
    )
    return Analysis(report, media, text, event, used + text.used, third_party)


def _not_below_findings(level: str, findings: list[Finding]) -> str:
    """The headline is never milder than the worst finding: a medium finding is never "Low: safe as it is"."""
    worst = max((LEVELS.index(f.severity) for f in findings if f.severity in LEVELS), default=0)
    return LEVELS[max(LEVELS.index(level), worst)]


def check_post(
    post: Post,
    ws,
    *,
    policy: Policy | None = None,
    review: Review | None = None,
    at=None,
    detector=None,
    analyser: MediaAnalyser | None = None,
):
    """Rate ``post``: Low, Medium, High or Blocked, with every finding, its reason and its fix."""
    return analyse_post(post, ws, policy=policy, review=review, at=at, detector=detector, analyser=analyser).report


def _as_datetime(value) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError as exc:
        raise InputError(f"'{value}' is not a date and time (use ISO 8601, e.g. 2026-12-01T18:00Z)") from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _event(conn, meta: PostMeta) -> Event | None:
    if meta.event is None:
        return None
    event = find_event(conn, meta.event)
    if event is None:
        raise InputError(f"post.yaml names the event {meta.event}, which is not in the registry")
    return event


def _people_shown(media, text: TextCheck, meta: PostMeta) -> set[str]:
    shown = {r.person for m in media for r in m.report.regions if r.decision == "keep" and r.person}
    return shown | set(text.named) | set(meta.people)


def _risks(media, text: TextCheck, meta, policy, live: bool, location: bool, minors: set[str]):
    exposures: dict[str, Exposure] = {}
    for pid in meta.people:
        exposures[pid] = Exposure(pid, consented=True)
    for m in media:
        for region in m.report.regions:
            if region.kind in FACE_KINDS and region.decision == "keep" and region.person:
                e = exposures.setdefault(region.person, Exposure(region.person, consented=True))
                e.identifiers.add("face")
            if m.report.audio and region.kind == "track" and region.decision == "keep" and region.person:
                exposures[region.person].identifiers.add("voice")
    for pid, consented in text.named.items():
        e = exposures.setdefault(pid, Exposure(pid, consented=True))
        e.identifiers.add("name")
        e.consented = e.consented and consented
    unlinked = sum(1 for m in media for r in m.report.regions if r.kind in FACE_KINDS and r.decision == "mask")
    if unlinked:
        exposures["people not linked to a consent"] = Exposure(
            "people not linked to a consent", {"face"}, consented=False
        )
    group = "people at the event" if meta.event else "people in the post"
    if meta.event or not exposures:
        exposures.setdefault(group, Exposure(group))
    holder = _account_holder(meta, media)
    if holder is not None:
        exposures[holder.who] = holder
    if meta.source.kind == SourceKind.THIRD_PARTY:
        exposures["the person who filmed it"] = Exposure("the person who filmed it", consented=False)
    for pid in minors:
        exposures[pid].minor = True
    risks = [assess(e, meta, policy, live, location) for e in exposures.values()]
    if meta.source.kind == SourceKind.THIRD_PARTY:
        risks = [_filmer_adjusted(r, meta) for r in risks]
    return sorted(risks, key=lambda r: -r.score)


def _account_holder(meta: PostMeta, media) -> Exposure | None:
    """Whoever runs the account: a personal account names them; an anonymous one must stay unlinkable."""
    if meta.account == Account.PERSONAL:
        return Exposure("the person posting (personal account)", {"name"}, consented=True)
    if meta.account == Account.ANONYMOUS:
        leaks = {f["kind"] for m in media for f in m.report.metadata if f.get("kind") in ("device", "serial", "owner")}
        return Exposure("the person behind the anonymous account", {"device"} if leaks else set(), consented=False)
    return None


def _filmer_adjusted(risk, meta: PostMeta):
    if risk.who != "the person who filmed it":
        return risk
    stated = {Sensitivity.LOW: 1, Sensitivity.MEDIUM: 3, Sensitivity.HIGH: 4}.get(meta.source.risk_to_filmer, 4)
    if meta.source.consent == SourceConsent.OBTAINED:
        stated -= 1
        risk.reasons.append(Phrase("the person who filmed it agreed to its reuse"))
    risk.likelihood = max(risk.likelihood, max(1, stated))
    risk.reasons.append(
        Phrase(
            "the risk to the person who filmed it was judged {level}", level=Phrase(meta.source.risk_to_filmer.value)
        )
        if meta.source.risk_to_filmer
        else Phrase("nobody has judged the risk to the person who filmed it")
    )
    return risk


def _timing_finding(event: Event, safe_after: datetime) -> Finding:
    return Finding(
        "live_posting",
        "high",
        Phrase("Planned while '{event}' is running or people are still on site", event=event.name),
        Phrase("A post during an event tells anyone watching where people are right now, and where to find them."),
        Phrase("Delay until {time} or later; prepare moves publish_at there.", time=safe_after.strftime(ISO)),
        fixed_by_prepare=True,
    )


def _source_findings(meta: PostMeta) -> list[Finding]:
    source = meta.source
    if source.kind != SourceKind.THIRD_PARTY:
        return []
    out = []
    missing = [
        name
        for name, value in (
            ("benefit", source.benefit.strip()),
            ("risk_to_filmer", source.risk_to_filmer),
            ("risk_to_people_shown", source.risk_to_people_shown),
        )
        if not value
    ]
    if missing:
        out.append(
            Finding(
                "third_party_unassessed",
                "high",
                Phrase("Third-party material without a benefit and risk assessment"),
                Phrase("Reusing citizen media can expose the person who filmed it and the people it shows."),
                Phrase("Fill in {fields} in post.yaml.", fields=", ".join(f"source.{m}" for m in missing)),
                blocks=True,
            )
        )
    if source.consent == SourceConsent.REFUSED:
        out.append(
            Finding(
                "third_party_refused",
                "high",
                Phrase("The uploader refused reuse of this material"),
                Phrase("Publishing against their wish can put them at risk and breaks trust with sources."),
                Phrase("Do not publish it; describe what it shows in words instead."),
                blocks=True,
            )
        )
    elif source.consent == SourceConsent.UNKNOWN:
        out.append(
            Finding(
                "third_party_consent_unknown",
                "medium",
                Phrase("The uploader has not agreed to reuse")
                if source.uploader_contactable is not False
                else Phrase("The uploader has not agreed to reuse and cannot be reached"),
                Phrase("They may not know their video is being amplified, or may be at risk because of it."),
                Phrase(
                    "Ask them if they can be reached; otherwise weigh the benefit against the risk and anonymise fully."
                ),
            )
        )
    return out


def _minor_findings(minors: set[str], media, text: TextCheck, policy: Policy) -> list[Finding]:
    out = []
    for pid in sorted(minors):
        visible = any(r.person == pid and r.decision == "keep" for m in media for r in m.report.regions)
        if (visible or text.named.get(pid)) and policy.block_identifiable_minors:
            out.append(
                Finding(
                    "identifiable_minor",
                    "high",
                    Phrase("{person} is a minor and would be identifiable", person=pid),
                    Phrase("Children cannot weigh the risk themselves; the policy never shows them."),
                    Phrase("Mask the face and remove the name."),
                    person_id=pid,
                    blocks=True,
                )
            )
    return out


_SEVERITY_ORDER = {"high": 0, "medium": 1, "low": 2, "info": 3}


def _finding_order(f: Finding):
    return (not f.blocks, _SEVERITY_ORDER.get(f.severity, 4), f.where, f.kind)


#: each kind of finding that can block a post, in words (a kind not listed is said as its key)
BLOCK_WORDS = {
    "chatham_house_name": "a name under the Chatham House rule",
    "chatham_house_quote": "a quote attributed under the Chatham House rule",
    "face_without_consent": "a face without consent",
    "identifiable_minor": "an identifiable child",
    "name_without_consent": "a name without consent",
    "nophoto_tag": "a NO PHOTO tag",
    "nophoto_visible": "a NO PHOTO wearer shown",
    "third_party_refused": "third-party material whose uploader refused",
    "third_party_source_link": "a link to the original of third-party material",
    "third_party_unassessed": "third-party material not assessed",
}

#: how the risk level of the most exposed person is said
_BAND_WORDS = {"low": "low", "medium": "medium", "high": "high"}


def _factors(findings: list[Finding], people, live: bool, policy: Policy) -> list[str]:
    """Why the post got its level, in words; the figures are in :func:`_details`."""
    factors: list[str] = []
    blocks = sorted({f.kind for f in findings if f.blocks})
    if blocks:
        factors.append(
            Phrase(
                "It must not go out as it is because of: {what}.",
                what=Lines([Phrase(BLOCK_WORDS.get(k, k.replace("_", " "))) for k in blocks], ", "),
            )
        )
    if people:
        top = people[0]
        band = level_for(top.score, False, policy)
        factors.append(
            Phrase(
                "Most at risk: {who}. The risk to them is {band}: {why}.",
                who=Phrase(top.who),  # a registry id says itself; a group ("people at the event") is worded
                band=Phrase(_BAND_WORDS[band]),
                why=Lines(list(top.reasons), "; "),
            )
        )
    if live:
        factors.append(Phrase("It goes out while the event runs or people are still there."))
    return factors


def _details(people, policy: Policy) -> list[str]:
    """The figures behind the words, for whoever wants them (a details part of each report)."""
    out: list[str] = []
    for p in people[:3]:
        out.append(
            Phrase(
                "{who}: likelihood {likelihood} of 5 x impact {impact} of 5 = {score} of 25.",
                who=Phrase(p.who),
                likelihood=p.likelihood,
                impact=p.impact,
                score=p.score,
            )
        )
    out.append(
        Phrase(
            "Your policy makes a score of {medium} or more Medium and {high} or more High.",
            medium=policy.thresholds.medium,
            high=policy.thresholds.high,
        )
    )
    return out
