"""Trace my exposure (G2): what the chosen services and devices reveal, and what to do, by impact."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, fields
from datetime import date
from typing import TYPE_CHECKING, Any

from safepost.core import InputError
from safepost.guidance.constants import LEVELS
from safepost.guidance.doc import Doc, Heading, Items, Para
from safepost.guidance.i18n import check_lang, translator

if TYPE_CHECKING:  # pydantic and the knowledge base load on first use, not when the package is imported
    from safepost.guidance.schema import Exposure, Setting, Source, Tool

#: How many of the most urgent settings (over all services) lead the report.
URGENT = 8


def _plain(value: Any) -> Any:
    """JSON-ready data from dataclasses, pydantic models, dates, lists and dicts."""
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json")
    if hasattr(value, "__dataclass_fields__"):
        return {f.name: _plain(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, date):
        return value.isoformat()
    return value


@dataclass
class ServiceAdvice:
    """One service or device in one language: what it reveals and what to do, at one risk level."""

    id: str
    kind: str
    name: str
    summary: str
    impact: int
    exposes: list[Exposure[str]]
    settings: list[Setting[str]]
    tips: dict[str, list[str]]
    tools: list[Tool[str]]
    limits: str
    sources: list[Source]
    reviewed: date


@dataclass
class UrgentAction:
    service: str
    where: str
    do: str
    impact: int


@dataclass
class ExposureReport:
    lang: str
    level: str
    urgent: list[UrgentAction]
    services: list[ServiceAdvice]

    def to_dict(self) -> dict[str, Any]:
        return _plain(self)


def resolve_uses(uses: Iterable[str] | str) -> list[str]:
    """Service ids from ids or aliases ("twitter", "gmail", "ios"...); unknown names raise InputError."""
    from safepost.guidance.kb import load_all

    if isinstance(uses, str):
        uses = uses.split(",")
    kb = load_all()
    lookup = {sid: sid for sid in kb.services}
    for sid, service in kb.services.items():
        lookup.update({alias.lower(): sid for alias in service.aliases})
    wanted, unknown = [], []
    for name in (u.strip().lower() for u in uses):
        if not name:
            continue
        if name in lookup:
            wanted.append(lookup[name])
        else:
            unknown.append(name)
    if unknown:
        raise InputError(
            f"unknown service or device: {', '.join(unknown)}. Choose from: {', '.join(sorted(kb.services))}"
        )
    if not wanted:
        raise InputError(f"name at least one service or device: {', '.join(sorted(kb.services))}")
    return list(dict.fromkeys(wanted))


def exposure(uses: Iterable[str] | str, level: str = "medium", lang: str = "en") -> ExposureReport:
    """What ``uses`` reveal and what to do at risk ``level``, the highest impact first."""
    from safepost.guidance.kb import load_kb

    check_lang(lang)
    if level not in LEVELS:
        raise InputError(f"unknown risk level {level!r}; choose one of: {', '.join(LEVELS)}")
    ids = resolve_uses(uses)
    kb = load_kb(lang)
    rank = LEVELS.index(level)
    advice = []
    for sid in ids:
        s = kb.services[sid]
        settings = sorted((x for x in s.settings if LEVELS.index(x.level) <= rank), key=lambda x: -x.impact)
        advice.append(
            ServiceAdvice(
                id=sid,
                kind=s.kind,
                name=s.name,
                summary=s.summary,
                impact=s.impact[0],
                exposes=sorted(s.exposes, key=lambda e: -e.impact),
                settings=settings,
                tips={lv: list(getattr(s.tips, lv)) for lv in LEVELS[: rank + 1]},
                tools=list(s.tools),
                limits=s.limits,
                sources=list(s.sources),
                reviewed=s.reviewed,
            )
        )
    advice.sort(key=lambda a: (-a.impact, -sum(e.impact**2 for e in a.exposes), ids.index(a.id)))
    # The most urgent settings: highest impact first, taking each service's first before anyone's second.
    ranked = sorted(
        ((-x.impact, n, k, a.name, x) for k, a in enumerate(advice) for n, x in enumerate(a.settings)),
        key=lambda t: t[:3],
    )
    urgent = [UrgentAction(service=name, where=x.where, do=x.do, impact=x.impact) for *_k, name, x in ranked[:URGENT]]
    return ExposureReport(lang=lang, level=level, urgent=urgent, services=advice)


def exposure_doc(report: ExposureReport) -> Doc:
    _ = translator(report.lang)
    levels = {"low": _("low"), "medium": _("medium"), "high": _("high")}
    kinds = {
        "traces": _("Traces"),
        "metadata": _("Metadata"),
        "contacts": _("Contacts"),
        "visibility": _("Visible to others"),
    }
    impacts = {1: _("some impact"), 2: _("serious"), 3: _("can get someone found")}
    doc = Doc(title=_("What your services and devices reveal"), lang=report.lang)
    doc.add(
        Para(
            _("Risk level: {level}. Ordered by impact: the most revealing first.").format(level=levels[report.level]),
            "meta",
        ),
        Heading(_("Do these first")),
        Items([f"**{u.service}**, {u.where}: {u.do}" for u in report.urgent], "numbers"),
    )
    for a in report.services:
        doc.add(
            Heading(a.name),
            Para(a.summary),
            Heading(_("What it reveals"), 3),
            Items([f"**{kinds[e.kind]}** ({impacts[e.impact]}): {e.text}" for e in a.exposes]),
        )
        doc.add(Heading(_("Settings to change"), 3), Items([f"{x.where}: {x.do}" for x in a.settings]))
        for lv, tips in a.tips.items():
            doc.add(Heading(_("Tips at {level} risk").format(level=levels[lv]), 3), Items(tips))
        doc.add(
            Heading(_("Tools that help"), 3),
            Items([f"**{t.name}**: {t.text} {t.url}" for t in a.tools]),
            Para(a.limits, "note"),
            Para(
                _("Sources: {sources}. Checked {date}.").format(
                    sources="; ".join(f"{s.title} ({s.url})" for s in a.sources), date=a.reviewed.isoformat()
                ),
                "meta",
            ),
        )
    return doc


def render_exposure(report: ExposureReport, fmt: str) -> str | bytes:
    """``json``, or any document format (``text``, ``md``, ``html``, ``pdf``)."""
    if fmt == "json":
        return json.dumps(report.to_dict(), indent=2, ensure_ascii=False) + "\n"
    from safepost.guidance.render import render

    return render(exposure_doc(report), fmt)
