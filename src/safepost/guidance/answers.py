"""Answers to the questionnaire: validated from a dict or a YAML file (``--answers``)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, field_validator

from safepost.core import InputError
from safepost.decide.policy import Restrictiveness
from safepost.guidance.questions import PROTECT_OPTIONS, QUESTIONS, SERVICE_OPTIONS
from safepost.guidance.schema import LevelName

MAX_ANSWERS_BYTES = 256 * 1024
PROTECT_KEYS = tuple(o.value for o in PROTECT_OPTIONS)
SERVICE_KEYS = tuple(o.value for o in SERVICE_OPTIONS)


def _listify(value: Any) -> Any:
    """Accept "a, b" as well as [a, b] for lists of words."""
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return value


Words = Annotated[list[Annotated[str, Field(min_length=1, max_length=200)]], BeforeValidator(_listify)]


class Adversary(BaseModel):
    model_config = ConfigDict(extra="forbid")

    who: str = Field(min_length=1, max_length=200)
    capability: LevelName = "medium"
    intent: LevelName = "medium"
    watches: Words = Field(default_factory=lambda: ["*"], min_length=1)


class Answers(BaseModel):
    """What ``safepost assess`` asks (see ``QUESTIONS``). Unknown keys are refused, so typos are caught."""

    model_config = ConfigDict(extra="forbid")

    scope: Literal["person", "organisation"] = "person"
    organisation: str = Field("", max_length=200)
    protect: Words = Field(min_length=1)
    adversaries: list[Adversary] = Field(min_length=1, max_length=20)
    likelihood: LevelName
    impact: LevelName
    context: Restrictiveness = Restrictiveness.OBSTRUCTED
    skills: LevelName = "low"
    time: LevelName = "low"
    support: Literal["none", "peers", "experts"] = "none"
    uses: Words = Field(default_factory=list)
    posts_people: bool = True
    events: bool = False
    minors: bool = False
    live_posting: bool = False
    anonymous_accounts: bool = False
    third_party_content: bool = False
    high_approvers: Words = Field(default_factory=list)
    purposes: Words = Field(default_factory=lambda: ["advocacy", "fundraising", "reporting", "documentation"])
    on_site_hours: int = Field(6, ge=0, le=168)
    review_months: int | None = Field(None, ge=1, le=12)

    @field_validator("protect")
    @classmethod
    def _known_protect(cls, value: list[str]) -> list[str]:
        unknown = [v for v in value if v not in PROTECT_KEYS]
        if unknown:
            raise ValueError(f"unknown value(s) {', '.join(unknown)}; choose from: {', '.join(PROTECT_KEYS)}")
        return list(dict.fromkeys(value))

    @field_validator("uses")
    @classmethod
    def _known_uses(cls, value: list[str]) -> list[str]:
        unknown = [v for v in value if v not in SERVICE_KEYS]
        if unknown:
            raise ValueError(f"unknown service(s) {', '.join(unknown)}; choose from: {', '.join(SERVICE_KEYS)}")
        return list(dict.fromkeys(value))


def parse_answers(data: Any, where: str = "answers") -> Answers:
    """Validate answers given as a mapping; problems raise InputError naming each field."""
    if isinstance(data, Answers):
        return data
    if not isinstance(data, dict):
        raise InputError(f"{where} must be a mapping of question ids to answers (see docs/guidance.md)")
    try:
        return Answers.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or 'answers'}: {err['msg']}" for err in exc.errors()[:5]
        )
        more = f" (and {len(exc.errors()) - 5} more)" if len(exc.errors()) > 5 else ""
        raise InputError(f"{where} is not valid: {problems}{more}") from exc


def load_answers(path: str | os.PathLike[str]) -> Answers:
    """Read and validate an answers YAML file; any problem raises InputError (exit code 3)."""
    path = Path(path)
    try:
        if path.stat().st_size > MAX_ANSWERS_BYTES:
            raise InputError(f"{path} is too large for an answers file (over {MAX_ANSWERS_BYTES // 1024} KiB)")
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot read the answers file {path}: {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        raise InputError(f"{path} is not UTF-8 text") from exc
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise InputError(f"{path} is not valid YAML: {exc}") from exc
    except RecursionError as exc:  # hostile nesting: [[[[...]]]]
        raise InputError(f"{path} is nested too deeply to be an answers file") from exc
    return parse_answers(data, where=str(path))


def dump_answers(answers: Answers) -> str:
    """The answers as YAML, to save an interactive session and run it again with ``--answers``.

    A personal plan leaves out the organisation-only questions."""
    skip = {q.id for q in QUESTIONS if not q.asked_for(answers.scope)}
    data = answers.model_dump(mode="json", exclude_none=True, exclude=skip)
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
