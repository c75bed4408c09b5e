"""The knowledge base's schema: pydantic models for the YAML files under ``kb/``.

Every model is generic over ``T``, the type of its human texts. The files are validated as
``Model[Text]`` (each text holds every language of :data:`~safepost.guidance.i18n.LANGS`); a
language's view is the same model as ``Model[str]`` (see :func:`localize`).
"""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any, Generic, Literal, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from safepost.guidance.constants import LEVELS
from safepost.guidance.i18n import LANGS

LevelName = Literal["low", "medium", "high"]
LEVEL_ORDER: tuple[str, ...] = LEVELS
_PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")


def _every_language(value: dict[str, str]) -> dict[str, str]:
    missing = [lang for lang in LANGS if not (value.get(lang) or "").strip()]
    if missing:
        raise ValueError(f"text lacks {', '.join(missing)}: {next(iter(value.values()), '')[:60]!r}")
    extra = sorted(set(value) - set(LANGS))
    if extra:
        raise ValueError(f"unknown language(s) {', '.join(extra)}")
    marks = {lang: sorted(set(_PLACEHOLDER.findall(value[lang]))) for lang in LANGS}
    if len({tuple(m) for m in marks.values()}) > 1:
        raise ValueError(f"placeholders differ between languages: {marks}")
    return {lang: value[lang].strip() for lang in LANGS}


#: A human text in every supported language, e.g. ``{en: "Settings", es: "Ajustes"}``.
Text = Annotated[dict[str, str], AfterValidator(_every_language)]
T = TypeVar("T")
_Id = Annotated[str, Field(pattern=r"^[a-z][a-z0-9-]{0,40}$")]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Source(_Model):
    """A reference we read; cited by title and address only (we write our own text)."""

    title: str = Field(min_length=3)
    url: str = Field(pattern=r"^https://[^\s]+$")


class Exposure(_Model, Generic[T]):
    """One thing a service or device reveals; ``impact`` 1 (annoying) to 3 (can get someone found)."""

    kind: Literal["traces", "metadata", "contacts", "visibility"]
    impact: int = Field(ge=1, le=3)
    text: T


class Setting(_Model, Generic[T]):
    """A setting to change: where it is (menu path) and what to set; recommended from ``level`` up."""

    where: T
    do: T
    level: LevelName = "low"
    impact: int = Field(ge=1, le=3)


class Tips(_Model, Generic[T]):
    """Advice by risk level; a higher level adds to the lower ones."""

    low: list[T] = Field(min_length=1)
    medium: list[T] = Field(min_length=1)
    high: list[T] = Field(min_length=1)


class Tool(_Model, Generic[T]):
    name: str = Field(min_length=2)
    text: T
    url: str = Field(pattern=r"^https://[^\s]+$")


class Service(_Model, Generic[T]):
    """A device or service of G2: what it exposes, what to change, tips, tools, sources."""

    id: _Id
    kind: Literal["service", "device"]
    name: T
    aliases: list[str] = Field(default_factory=list)
    reviewed: date
    summary: T
    exposes: list[Exposure[T]] = Field(min_length=3)
    settings: list[Setting[T]] = Field(min_length=2)
    tips: Tips[T]
    tools: list[Tool[T]] = Field(min_length=1)
    sources: list[Source] = Field(min_length=1)
    limits: T

    @property
    def impact(self) -> tuple[int, int]:
        """Sort key: the worst exposure, then the sum of all of them."""
        return max(e.impact for e in self.exposes), sum(e.impact for e in self.exposes)


class Section(_Model, Generic[T]):
    heading: T
    intro: T | None = None
    points: list[T] = Field(min_length=1)


class Guide(_Model, Generic[T]):
    """An audience guide (G3) or the event checklist (G4)."""

    id: _Id
    title: T
    intro: T
    sections: list[Section[T]] = Field(min_length=2)
    sources: list[Source] = Field(default_factory=list)
    reviewed: date


class Condition(_Model):
    """When a plan step or guideline applies; every given part must hold."""

    min_level: LevelName = "low"
    scope: Literal["any", "person", "organisation"] = "any"
    flags: list[str] = Field(default_factory=list, description="Yes/no answers that must be yes.")
    uses_any: list[str] = Field(default_factory=list, description="Applies if any of these services is used.")
    protect_any: list[str] = Field(default_factory=list, description="Applies if any of these is to be protected.")


class Step(_Model, Generic[T]):
    """A step a security plan may recommend."""

    id: _Id
    title: T
    detail: T
    effort: LevelName
    impact: int = Field(ge=1, le=3)
    when: Condition = Field(default_factory=Condition)


class Rule(_Model, Generic[T]):
    text: T
    when: Condition = Field(default_factory=Condition)


class RuleSection(_Model, Generic[T]):
    heading: T
    rules: list[Rule[T]] = Field(min_length=1)


class Guidelines(_Model, Generic[T]):
    """Building blocks of an organisation's social-media guidelines (G4)."""

    title: T
    intro: T
    sections: list[RuleSection[T]] = Field(min_length=3)
    sources: list[Source] = Field(default_factory=list)
    reviewed: date


class Helpline(_Model, Generic[T]):
    name: str
    text: T
    url: str = Field(pattern=r"^https://[^\s]+$")


class Extras(_Model, Generic[T]):
    """Plan texts that are data: limits, review triggers, where to get help."""

    limits: list[T] = Field(min_length=1)
    review_triggers: list[T] = Field(min_length=1)
    helplines: list[Helpline[T]] = Field(min_length=1)


class KnowledgeBase(_Model, Generic[T]):
    lang: str
    services: dict[str, Service[T]]
    audiences: dict[str, Guide[T]]
    event: Guide[T]
    guidelines: Guidelines[T]
    steps: list[Step[T]]
    extras: Extras[T]


def localize(data: Any, lang: str) -> Any:
    """``data`` (plain dicts and lists) with every multilingual text replaced by its ``lang`` text."""
    if isinstance(data, dict):
        if data and set(data) == set(LANGS):
            return data[lang]
        return {key: localize(value, lang) for key, value in data.items()}
    if isinstance(data, list):
        return [localize(item, lang) for item in data]
    return data
