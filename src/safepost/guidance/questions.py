"""The self-assessment questionnaire (G1) as data, so the CLI and the web app render the same form.

Texts are English message ids, translated with the gettext catalogues: use :func:`questions`
for one language. Option values are the stable keys that answers files use.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from safepost.guidance.i18n import N_, translator


class Option(BaseModel):
    model_config = ConfigDict(frozen=True)

    value: str
    label: str


class Question(BaseModel):
    """One question. ``kind``: choice (one option), multi (several), text, list (several texts),
    bool, int, or actors (a repeated group of the questions in ``fields``)."""

    model_config = ConfigDict(frozen=True)

    id: str
    kind: Literal["choice", "multi", "text", "list", "bool", "int", "actors"]
    text: str
    help: str = ""
    options: list[Option] = Field(default_factory=list)
    default: Any = None
    required: bool = False
    scope: Literal["any", "organisation"] = "any"
    minimum: int | None = None
    maximum: int | None = None
    fields: list[Question] = Field(default_factory=list)

    def asked_for(self, scope: str | None) -> bool:
        """Is this question asked for a plan of ``scope``? Organisation-only questions are not asked
        (and their answers not kept) for a personal plan."""
        return self.scope != "organisation" or scope == "organisation"

    def translated(self, lang: str) -> Question:
        _ = translator(lang)
        return self.model_copy(
            update={
                "text": _(self.text),
                "help": _(self.help) if self.help else "",
                "options": [Option(value=o.value, label=_(o.label)) for o in self.options],
                "fields": [f.translated(lang) for f in self.fields],
            }
        )


def _opts(*pairs: tuple[str, str]) -> list[Option]:
    return [Option(value=v, label=label) for v, label in pairs]


LEVEL_OPTIONS = {
    "capability": _opts(
        ("low", N_("Low: few resources; they can search what is public")),
        ("medium", N_("Medium: they can organise, pay for help, or get some records through contacts")),
        ("high", N_("High: they can demand data from platforms or phone companies, use spyware, follow or detain")),
    ),
    "intent": _opts(
        ("low", N_("Low: no sign that they care about you now")),
        ("medium", N_("Medium: they have shown hostility to people or groups like yours")),
        ("high", N_("High: they have recently targeted you or people like you")),
    ),
}

PROTECT_OPTIONS = _opts(
    ("people_shown", N_("The identity of the people in our photos, videos and quotes")),
    ("own_identity", N_("My own identity, or that of our staff")),
    ("contacts", N_("Who we talk to: contacts, sources, networks")),
    ("locations", N_("Where people live, work or meet, and where they are right now")),
    ("communications", N_("What we say in messages, calls and email")),
    ("devices_accounts", N_("Our devices and accounts: phones, laptops, social media logins")),
    ("records", N_("Our records: registration lists, case files, consent forms")),
    ("supporters", N_("The people who follow, like or share our posts")),
)

ACTOR_OPTIONS = _opts(
    ("state_security", N_("State security or intelligence services")),
    ("police", N_("Police")),
    ("military", N_("Military")),
    ("armed_group", N_("Armed or paramilitary groups")),
    ("organised_crime", N_("Organised crime")),
    ("employer", N_("Employers of participants or staff")),
    ("community", N_("Family or community members")),
    ("online_harassers", N_("Online harassers, trolls or extremist groups")),
    ("political_opponents", N_("Political opponents or hostile media")),
    ("companies", N_("Companies or their private security")),
)

SERVICE_OPTIONS = _opts(
    ("facebook-pages", N_("Facebook Pages")),
    ("facebook-groups", N_("Facebook Groups")),
    ("x", N_("X (Twitter)")),
    ("instagram", N_("Instagram")),
    ("tiktok", N_("TikTok")),
    ("youtube", N_("YouTube")),
    ("whatsapp", N_("WhatsApp")),
    ("telegram", N_("Telegram")),
    ("signal", N_("Signal")),
    ("email", N_("Email")),
    ("android", N_("Android phone")),
    ("iphone", N_("iPhone")),
    ("laptop", N_("Laptop or desktop computer")),
    ("browser", N_("Web browser")),
)

PLATFORM_OPTIONS = _opts(
    ("*", N_("All platforms")),
    ("facebook", N_("Facebook")),
    ("instagram", N_("Instagram")),
    ("x", N_("X (Twitter)")),
    ("tiktok", N_("TikTok")),
    ("youtube", N_("YouTube")),
    ("whatsapp", N_("WhatsApp")),
    ("telegram", N_("Telegram")),
    ("website", N_("Our website")),
)

ACTOR_FIELDS = [
    Question(
        id="who",
        kind="choice",
        text=N_("Who are they?"),
        options=ACTOR_OPTIONS,
        required=True,
        help=N_("Pick the closest; an answers file may also name them in its own words."),
    ),
    Question(
        id="capability",
        kind="choice",
        text=N_("How able are they to identify and reach people?"),
        options=LEVEL_OPTIONS["capability"],
        default="medium",
        required=True,
    ),
    Question(
        id="intent",
        kind="choice",
        text=N_("How much do they want to?"),
        options=LEVEL_OPTIONS["intent"],
        default="medium",
        required=True,
    ),
    Question(
        id="watches", kind="multi", text=N_("Which platforms do they watch?"), options=PLATFORM_OPTIONS, default=["*"]
    ),
]

#: The questionnaire, in the order it is asked.
QUESTIONS: tuple[Question, ...] = (
    Question(
        id="scope",
        kind="choice",
        text=N_("Who is this plan for?"),
        default="person",
        required=True,
        options=_opts(("person", N_("Me (a person)")), ("organisation", N_("Our organisation"))),
        help=N_("An organisation's plan also produces the post check's policy file."),
    ),
    Question(id="organisation", kind="text", text=N_("The organisation's name"), default="", scope="organisation"),
    Question(
        id="protect",
        kind="multi",
        text=N_("What do you want to protect?"),
        options=PROTECT_OPTIONS,
        required=True,
        help=N_("Think of what would hurt someone if the wrong people saw it."),
    ),
    Question(
        id="adversaries",
        kind="actors",
        text=N_("From whom? Name each adversary, one at a time."),
        fields=ACTOR_FIELDS,
        required=True,
        help=N_("People or groups who may use what you publish or say against you or the people you work with."),
    ),
    Question(
        id="likelihood",
        kind="choice",
        text=N_("How likely is it that they try in the next 12 months?"),
        required=True,
        options=_opts(
            ("low", N_("Low: it has not happened to people like us")),
            ("medium", N_("Medium: it has happened to people like us")),
            ("high", N_("High: it has happened to us, or is happening now")),
        ),
    ),
    Question(
        id="impact",
        kind="choice",
        text=N_("How bad would it be if they succeeded?"),
        required=True,
        options=_opts(
            ("low", N_("Low: embarrassment, spam, some stress")),
            ("medium", N_("Medium: harassment, losing a job, having to move")),
            ("high", N_("High: arrest, violence, or a threat to life or family")),
        ),
    ),
    Question(
        id="context",
        kind="choice",
        text=N_("How open is civic space where the people you work with are?"),
        required=True,
        default="obstructed",
        help=N_("The scale of the CIVICUS Monitor; if unsure, choose the more closed one."),
        options=_opts(
            ("open", N_("Open: people can organise and speak freely")),
            ("narrowed", N_("Narrowed: occasional restrictions and harassment")),
            ("obstructed", N_("Obstructed: frequent restrictions, surveillance, smear campaigns")),
            ("repressed", N_("Repressed: activists are often jailed, attacked or watched")),
            ("closed", N_("Closed: criticism is punished; fear is everywhere")),
        ),
    ),
    Question(
        id="skills",
        kind="choice",
        text=N_("How comfortable are you with technology?"),
        default="low",
        options=_opts(
            ("low", N_("I need step-by-step help")),
            ("medium", N_("I can change settings and install apps")),
            ("high", N_("I can set up devices and accounts for others")),
        ),
    ),
    Question(
        id="time",
        kind="choice",
        text=N_("How much time can you give to security each month?"),
        default="low",
        options=_opts(("low", N_("An hour or two")), ("medium", N_("A few hours")), ("high", N_("A day or more"))),
    ),
    Question(
        id="support",
        kind="choice",
        text=N_("Who can help you?"),
        default="none",
        options=_opts(
            ("none", N_("No one")),
            ("peers", N_("Colleagues or friends who know some of this")),
            ("experts", N_("A security person or a helpline we work with")),
        ),
    ),
    Question(
        id="uses",
        kind="multi",
        text=N_("Which services and devices do you use for this work?"),
        options=SERVICE_OPTIONS,
        default=[],
    ),
    Question(id="posts_people", kind="bool", text=N_("Do you post photos, videos or quotes of people?"), default=True),
    Question(id="events", kind="bool", text=N_("Do you hold events, meetings or trainings?"), default=False),
    Question(
        id="minors", kind="bool", text=N_("Do children or teenagers (under 18) appear in your work?"), default=False
    ),
    Question(id="live_posting", kind="bool", text=N_("Do you post while an event is still going on?"), default=False),
    Question(
        id="anonymous_accounts",
        kind="bool",
        text=N_("Do you or your staff run accounts under another name?"),
        default=False,
    ),
    Question(
        id="third_party_content",
        kind="bool",
        text=N_("Do you reuse photos or videos that others filmed (for example citizen video)?"),
        default=False,
    ),
    Question(
        id="high_approvers",
        kind="list",
        text=N_("Who may approve a High-risk post? (names or roles)"),
        default=[],
        scope="organisation",
    ),
    Question(
        id="purposes",
        kind="list",
        text=N_("What do you post for?"),
        scope="organisation",
        default=["advocacy", "fundraising", "reporting", "documentation"],
    ),
    Question(
        id="on_site_hours",
        kind="int",
        scope="organisation",
        default=6,
        minimum=0,
        maximum=168,
        text=N_("For how many hours after an event should people be taken to be still nearby?"),
        help=N_("Posts about an event wait at least this long unless everyone shown agreed."),
    ),
    Question(
        id="review_months",
        kind="int",
        default=None,
        minimum=1,
        maximum=12,
        text=N_("Review the plan after how many months? (empty: 3, 6 or 12 by risk level)"),
    ),
)


def questions(lang: str) -> list[Question]:
    """The questionnaire with every text in ``lang``."""
    return [q.translated(lang) for q in QUESTIONS]
