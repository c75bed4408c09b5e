"""The risk self-assessment (G1): answers in, a prioritised security plan out.

Level: likelihood x impact (1 to 9), where the likelihood is raised to what the most dangerous
adversary's capability x intent suggests; 6 or more is High, 3 or more Medium. A repressed or
closed civic space raises the level one step. The review date is 3, 6 or 12 months away (High,
Medium, Low); an answer may only bring it closer. Steps come from ``kb/steps.yaml``, ordered by
impact then effort, and are spread over "this week / this month / later" by the person's capacity.
"""

from __future__ import annotations

import calendar
from datetime import date
from typing import Any

from pydantic import BaseModel, ConfigDict

from safepost.decide.policy import Policy, Restrictiveness, ThreatActor, Thresholds
from safepost.guidance.answers import Answers, parse_answers
from safepost.guidance.doc import Doc, Heading, Items, Para, Table, escape
from safepost.guidance.i18n import check_lang, translator
from safepost.guidance.kb import load_kb
from safepost.guidance.questions import ACTOR_OPTIONS, PLATFORM_OPTIONS, PROTECT_OPTIONS
from safepost.guidance.schema import LEVEL_ORDER, Condition, LevelName

REVIEW_MONTHS = {"high": 3, "medium": 6, "low": 12}
#: Steps per bucket ("this week", "this month") by capacity.
BUCKET_SIZE = {"low": 3, "medium": 4, "high": 6}
#: A High plan tightens the post check: both thresholds this many points below the policy defaults.
HIGH_RISK_TIGHTER_BY = 2
CLOSED_CONTEXTS = (Restrictiveness.REPRESSED, Restrictiveness.CLOSED)


class PlanStep(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str
    title: str
    detail: str
    effort: LevelName
    impact: int
    when: str  # "now", "month" or "later"


class PlanActor(BaseModel):
    who: str
    capability: LevelName
    intent: LevelName
    watches: list[str]


class PlanService(BaseModel):
    id: str
    name: str
    settings: list[tuple[str, str]]  # (where, what to do)


class Helpline(BaseModel):
    name: str
    text: str
    url: str


class Plan(BaseModel):
    """A security plan in one language; render it with :func:`render_plan`."""

    lang: str
    scope: str
    organisation: str
    created: date
    review_by: date
    level: LevelName
    score: int
    likelihood: LevelName
    impact: LevelName
    context: Restrictiveness
    capacity: LevelName
    reasons: list[str]
    protect: list[str]
    actors: list[PlanActor]
    steps: list[PlanStep]
    services: list[PlanService]
    limits: list[str]
    review_triggers: list[str]
    helplines: list[Helpline]
    policy: Policy | None = None

    def to_dict(self) -> dict[str, Any]:
        return self.model_dump(mode="json")


def _rank(level: str) -> int:
    return LEVEL_ORDER.index(level)


def _level(rank: int) -> LevelName:
    return LEVEL_ORDER[max(0, min(rank, 2))]  # type: ignore[return-value]


def add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _actor_label(who: str, lang: str) -> str:
    _ = translator(lang)
    labels = {o.value: o.label for o in ACTOR_OPTIONS}
    return _(labels[who]) if who in labels else who


def context_label(context: str, lang: str) -> str:
    """The CIVICUS category in ``lang``."""
    _ = translator(lang)
    return {
        "open": _("open"),
        "narrowed": _("narrowed"),
        "obstructed": _("obstructed"),
        "repressed": _("repressed"),
        "closed": _("closed"),
    }[context]


def flags_of(answers: Answers, capacity: str) -> set[str]:
    """Yes answers and derived facts that plan steps and guidelines may depend on."""
    flags = {
        name
        for name in ("posts_people", "events", "minors", "live_posting", "anonymous_accounts", "third_party_content")
        if getattr(answers, name)
    }
    if capacity == "low":
        flags.add("low_capacity")
    if answers.support == "none":
        flags.add("no_support")
    if answers.context in CLOSED_CONTEXTS:
        flags.add("closed_context")
    if any(a.capability == "high" for a in answers.adversaries):
        flags.add("capable_adversary")
    return flags


def applies(when: Condition, answers: Answers, level: str, flags: set[str]) -> bool:
    """Whether a step or guideline's condition holds for these answers at this level."""
    return (
        _rank(level) >= _rank(when.min_level)
        and when.scope in ("any", answers.scope)
        and all(flag in flags for flag in when.flags)
        and (not when.uses_any or any(u in answers.uses for u in when.uses_any))
        and (not when.protect_any or any(p in answers.protect for p in when.protect_any))
    )


def risk_level(answers: Answers) -> tuple[LevelName, int, LevelName, list[tuple[str, dict[str, str]]]]:
    """(level, score 1-9, likelihood used, reasons as message ids with their values)."""
    reasons: list[tuple[str, dict[str, str]]] = []
    worst = max(answers.adversaries, key=lambda a: (_rank(a.capability) + 1) * (_rank(a.intent) + 1))
    threat = (_rank(worst.capability) + 1) * (_rank(worst.intent) + 1)
    suggested = _level(2 if threat >= 6 else 1 if threat >= 3 else 0)
    likelihood = answers.likelihood
    if _rank(suggested) > _rank(likelihood):
        reasons.append(("likelihood_raised", {"who": worst.who, "suggested": suggested}))
        likelihood = suggested
    score = (_rank(likelihood) + 1) * (_rank(answers.impact) + 1)
    level = _level(2 if score >= 6 else 1 if score >= 3 else 0)
    reasons.append(("score", {"likelihood": likelihood, "impact": answers.impact, "score": str(score)}))
    if answers.context in CLOSED_CONTEXTS and level != "high":
        level = _level(_rank(level) + 1)
        reasons.append(("context_raised", {"context": answers.context.value}))
    return level, score, likelihood, reasons


def capacity_of(answers: Answers) -> LevelName:
    rank = (_rank(answers.skills) + _rank(answers.time)) // 2  # rounded down: less capacity, fewer steps at once
    if answers.support != "none":
        rank += 1
    return _level(rank)


def assess(answers: dict | Answers, lang: str, today: date | None = None) -> Plan:
    """Build the security plan for ``answers`` in ``lang``; invalid answers raise InputError."""
    check_lang(lang)
    answers = parse_answers(answers)
    _ = translator(lang)
    kb = load_kb(lang)
    today = today or date.today()
    level, score, likelihood, raw_reasons = risk_level(answers)
    capacity = capacity_of(answers)
    flags = flags_of(answers, capacity)
    reasons = []
    for key, values in raw_reasons:
        if key == "score":
            reasons.append(
                _("Likelihood {likelihood} of 3 and impact {impact} of 3 give {score} of 9.").format(
                    likelihood=_rank(values["likelihood"]) + 1,
                    impact=_rank(values["impact"]) + 1,
                    score=values["score"],
                )
            )
        elif key == "likelihood_raised":
            reasons.append(
                _(
                    "The likelihood is raised to {suggested} of 3: {who} has both the capability and the intent to act."
                ).format(suggested=_rank(values["suggested"]) + 1, who=escape(_actor_label(values["who"], lang)))
            )
        else:
            reasons.append(
                _(
                    "Civic space is {context} where the people you work with are, so the level is raised one step."
                ).format(context=context_label(values["context"], lang))
            )

    chosen = [(s, n) for n, s in enumerate(kb.steps) if applies(s.when, answers, level, flags)]
    chosen.sort(key=lambda pair: (-pair[0].impact, _rank(pair[0].effort), pair[1]))
    size = BUCKET_SIZE[capacity]
    steps = [
        PlanStep(
            id=s.id,
            title=s.title,
            detail=s.detail,
            effort=s.effort,
            impact=s.impact,
            when="now" if i < size else "month" if i < 2 * size else "later",
        )
        for i, (s, _n) in enumerate(chosen)
    ]
    services = []
    for sid in answers.uses:
        service = kb.services[sid]
        settings = sorted((s for s in service.settings if _rank(s.level) <= _rank(level)), key=lambda s: -s.impact)[:3]
        services.append(PlanService(id=sid, name=service.name, settings=[(s.where, s.do) for s in settings]))

    months = REVIEW_MONTHS[level]
    if answers.review_months:
        months = min(months, answers.review_months)
    protect_labels = {o.value: o.label for o in PROTECT_OPTIONS}
    platforms = {o.value: o.label for o in PLATFORM_OPTIONS}
    actors = [
        PlanActor(
            who=_actor_label(a.who, lang),
            capability=a.capability,
            intent=a.intent,
            watches=[_(platforms[w]) if w in platforms else w for w in a.watches],
        )
        for a in answers.adversaries
    ]
    return Plan(
        lang=lang,
        scope=answers.scope,
        organisation=answers.organisation,
        created=today,
        review_by=add_months(today, months),
        level=level,
        score=score,
        likelihood=likelihood,
        impact=answers.impact,
        context=answers.context,
        capacity=capacity,
        reasons=reasons,
        protect=[_(protect_labels[p]) for p in answers.protect],
        actors=actors,
        steps=steps,
        services=services,
        limits=list(kb.extras.limits),
        review_triggers=list(kb.extras.review_triggers),
        helplines=[Helpline(name=h.name, text=h.text, url=h.url) for h in kb.extras.helplines],
        policy=organisation_policy(answers, level, lang) if answers.scope == "organisation" else None,
    )


def stricter_thresholds() -> Thresholds:
    """The default thresholds lowered by HIGH_RISK_TIGHTER_BY: more posts become Medium and High."""
    default = Thresholds()
    medium = max(1, default.medium - HIGH_RISK_TIGHTER_BY)
    return Thresholds(medium=medium, high=max(medium, default.high - HIGH_RISK_TIGHTER_BY))


def organisation_policy(answers: Answers, level: str, lang: str) -> Policy:
    """The post check's ``policy.yaml`` from an organisation's answers."""
    return Policy(
        organisation=answers.organisation,
        context=answers.context,
        threat_actors=[
            ThreatActor(name=_actor_label(a.who, lang), capability=a.capability, intent=a.intent, watches=a.watches)
            for a in answers.adversaries
        ],
        thresholds=stricter_thresholds() if level == "high" else Thresholds(),
        high_approvers=answers.high_approvers,
        on_site_hours=answers.on_site_hours,
        purposes=answers.purposes,
    )


def plan_doc(plan: Plan) -> Doc:
    """The plan as a document: what to render in Markdown, HTML or PDF."""
    _ = translator(plan.lang)
    levels = {"low": _("Low"), "medium": _("Medium"), "high": _("High")}
    strengths = {"low": _("weak"), "medium": _("moderate"), "high": _("strong")}
    efforts = {"low": _("little effort"), "medium": _("some effort"), "high": _("much effort")}
    who = (
        escape(plan.organisation)
        if plan.organisation
        else (_("our organisation") if plan.scope == "organisation" else _("personal"))
    )
    doc = Doc(title=_("Security plan: {who}").format(who=who), lang=plan.lang)
    doc.add(
        Para(
            _("Made on {created}. Review by {review}.").format(
                created=plan.created.isoformat(), review=plan.review_by.isoformat()
            ),
            "meta",
        ),
        Para(
            _("**Review this plan by {review}**, or sooner if one of the changes listed at the end happens.").format(
                review=plan.review_by.isoformat()
            ),
            "note",
        ),
        Heading(_("Your risk level: {level}").format(level=levels[plan.level])),
        Items(plan.reasons),
        Heading(_("What you protect")),
        Items([escape(p) for p in plan.protect]),
        Heading(_("From whom")),
        Table(
            [_("Adversary"), _("Capability"), _("Intent"), _("Watches")],
            [
                [escape(a.who), strengths[a.capability], strengths[a.intent], escape(", ".join(a.watches))]
                for a in plan.actors
            ],
        ),
        Heading(_("Your steps, most important first")),
        Para(
            _(
                "Steps are ordered by how much they protect, then by how little effort they take. "
                "The number per period follows the time, skills and help you said you have."
            )
        ),
    )
    for when, label in (("now", _("This week")), ("month", _("This month")), ("later", _("Later, when you can"))):
        chosen = [s for s in plan.steps if s.when == when]
        if chosen:
            doc.add(
                Heading(label, 3),
                Items([f"**{s.title}** ({efforts[s.effort]}). {s.detail}" for s in chosen], "numbers"),
            )
    if plan.services:
        doc.add(
            Heading(_("Settings for the services and devices you use")),
            Para(_("The most important settings at your risk level; `safepost exposure` shows all of them.")),
        )
        for service in plan.services:
            doc.add(Heading(service.name, 3), Items([f"{where}: {do}" for where, do in service.settings]))
    if plan.policy is not None:
        t = plan.policy.thresholds
        doc.add(
            Heading(_("Organisation policy for the post check")),
            Para(
                _(
                    "`safepost assess --policy-out policy.yaml` writes these answers for `safepost check`: "
                    "civic space {context}, {actors} adversaries, a post is Medium from a score of {medium} and High "
                    "from {high}, people are taken to be near an event for {hours} hours after it ends."
                ).format(
                    context=context_label(plan.context.value, plan.lang),
                    actors=len(plan.policy.threat_actors),
                    medium=t.medium,
                    high=t.high,
                    hours=plan.policy.on_site_hours,
                )
            ),
        )
    doc.add(
        Heading(_("What this plan cannot do")),
        Items(plan.limits),
        Heading(_("Review this plan sooner if")),
        Items(plan.review_triggers),
        Heading(_("Where to get help")),
        Items([f"**{h.name}**: {h.text} {h.url}" for h in plan.helplines]),
        Para(
            _(
                "This plan names who you are afraid of and what you protect: keep it somewhere encrypted, "
                "and share it only with people who need it."
            ),
            "note",
        ),
    )
    return doc


def render_plan(plan: Plan, fmt: str) -> str | bytes:
    """The plan as ``md`` or ``html`` (str) or ``pdf`` (bytes); ``text`` also works."""
    from safepost.guidance.render import render

    return render(plan_doc(plan), fmt)
