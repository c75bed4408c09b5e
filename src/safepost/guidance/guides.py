"""Audience guides (G3) and the organisation kit (G4): event checklist and social-media guidelines."""

from __future__ import annotations

from datetime import date

from safepost.core import InputError
from safepost.guidance.answers import Answers, parse_answers
from safepost.guidance.doc import Doc, Heading, Items, Para, escape
from safepost.guidance.i18n import check_lang, translator
from safepost.guidance.kb import AUDIENCES, load_kb
from safepost.guidance.plan import applies, capacity_of, flags_of, risk_level
from safepost.guidance.schema import Guide, Source


def _sources(doc: Doc, sources: list[Source], reviewed: date, lang: str) -> None:
    _ = translator(lang)
    if sources:
        doc.add(Heading(_("Sources")), Items([f"{s.title}: {s.url}" for s in sources]))
    doc.add(
        Para(
            _(
                "Written for safepost; checked {date}. Menus change: if a setting is not where we say, "
                "search the app's settings for its name."
            ).format(date=reviewed.isoformat()),
            "meta",
        )
    )


def _guide_doc(guide: Guide[str], lang: str, checklist: bool) -> Doc:
    doc = Doc(title=guide.title, lang=lang).add(Para(guide.intro))
    for section in guide.sections:
        doc.add(Heading(section.heading))
        if section.intro:
            doc.add(Para(section.intro))
        doc.add(Items(list(section.points), "checklist" if checklist else "bullets"))
    _sources(doc, guide.sources, guide.reviewed, lang)
    return doc


def guide_doc(audience: str, lang: str) -> Doc:
    check_lang(lang)
    if audience not in AUDIENCES:
        raise InputError(f"unknown audience {audience!r}; choose one of: {', '.join(AUDIENCES)}")
    return _guide_doc(load_kb(lang).audiences[audience], lang, checklist=False)


def _render(doc: Doc, fmt: str) -> str | bytes:
    from safepost.guidance.render import render

    return render(doc, fmt)


def guide(audience: str, lang: str, fmt: str = "md") -> str | bytes:
    """The guide for ``audience`` (supporters, participants, staff, anonymous-accounts, encryption); Markdown."""
    return _render(guide_doc(audience, lang), fmt)


def kit_event_doc(lang: str) -> Doc:
    check_lang(lang)
    return _guide_doc(load_kb(lang).event, lang, checklist=True)


def kit_event(lang: str, fmt: str = "md") -> str | bytes:
    """The safe-event checklist (Chatham House rule, consent at registration, badges, no-photo zone...)."""
    return _render(kit_event_doc(lang), fmt)


def kit_guidelines_doc(answers: dict | Answers, lang: str) -> Doc:
    check_lang(lang)
    answers = parse_answers(answers)
    _ = translator(lang)
    kb = load_kb(lang)
    level, _score, _likelihood, _reasons = risk_level(answers)
    flags = flags_of(answers, capacity_of(answers))
    values = {
        "organisation": escape(answers.organisation) or _("our organisation"),
        "hours": str(answers.on_site_hours),
        "approvers": escape(", ".join(answers.high_approvers)) or _("any other member of the team"),
    }
    g = kb.guidelines
    doc = Doc(title=g.title.format_map(values), lang=lang).add(Para(g.intro.format_map(values)))
    levels = {"low": _("Low"), "medium": _("Medium"), "high": _("High")}
    doc.add(
        Para(
            _("Risk level from your answers: {level}. Rules for higher levels are included when they apply.").format(
                level=levels[level]
            ),
            "meta",
        )
    )
    for section in g.sections:
        rules = [r.text.format_map(values) for r in section.rules if applies(r.when, answers, level, flags)]
        if rules:
            doc.add(Heading(section.heading.format_map(values)), Items(rules, "numbers"))
    _sources(doc, g.sources, g.reviewed, lang)
    return doc


def kit_guidelines(answers: dict | Answers, lang: str, fmt: str = "md") -> str | bytes:
    """Social-media guidelines for an organisation, built from its assessment answers; Markdown."""
    return _render(kit_guidelines_doc(answers, lang), fmt)
