"""The organisation policy, ``policy.yaml``: context, threat actors, thresholds and approvers.

The risk model reads it; ``safepost assess`` (organisation level) writes it. Every field has a
cautious default, so a post can be checked before an organisation has written its own policy.
"""

from __future__ import annotations

import os
from enum import StrEnum
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from safepost.core import InputError
from safepost.words import Phrase, field_problems, yaml_problem

LEVELS = ("low", "medium", "high")


class Level(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"

    @property
    def score(self) -> int:
        """1, 2 or 3: used as a multiplier by the risk model."""
        return LEVELS.index(self.value) + 1


class Restrictiveness(StrEnum):
    """How closed the civic space is where the people shown live or work (CIVICUS-style scale)."""

    OPEN = "open"
    NARROWED = "narrowed"
    OBSTRUCTED = "obstructed"
    REPRESSED = "repressed"
    CLOSED = "closed"

    @property
    def score(self) -> int:
        """1 (open) to 5 (closed)."""
        return list(Restrictiveness).index(self) + 1


class ThreatActor(BaseModel):
    """Someone who may use a post against the people in it."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, description="Who, e.g. 'state security services', 'armed group'.")
    capability: Level = Field(Level.MEDIUM, description="How able they are to identify and reach people.")
    intent: Level = Field(Level.MEDIUM, description="How much they want to.")
    watches: list[str] = Field(
        default_factory=lambda: ["*"], description="Platforms they watch ('*' for all), e.g. ['facebook', 'x']."
    )


class Thresholds(BaseModel):
    """Risk scores (likelihood x impact, 1 to 25) at which a post becomes Medium and High."""

    model_config = ConfigDict(extra="forbid")

    medium: int = Field(6, ge=1, le=25)
    high: int = Field(12, ge=1, le=25)

    @model_validator(mode="after")
    def _ordered(self) -> Thresholds:
        if self.medium > self.high:
            raise ValueError("thresholds.medium must not be above thresholds.high")
        return self


class Policy(BaseModel):
    """What ``policy.yaml`` holds. Unknown keys are refused, so typos do not silently weaken it."""

    model_config = ConfigDict(extra="forbid")

    version: int = Field(1, description="Schema version of this file.")
    organisation: str = Field("", description="The organisation's name, for reports.")
    context: Restrictiveness = Field(
        Restrictiveness.OBSTRUCTED, description="Civic-space restrictiveness where the people shown are."
    )
    threat_actors: list[ThreatActor] = Field(
        default_factory=lambda: [ThreatActor(name="unknown adversary")],
        description="Who may use posts against people, with their capability and intent.",
    )
    thresholds: Thresholds = Field(default_factory=Thresholds)
    high_approvers: list[str] = Field(
        default_factory=list, description="Who may approve a High post (empty: any second reviewer named)."
    )
    on_site_hours: int = Field(
        6, ge=0, le=168, description="Hours after an event ends during which people are taken to be still nearby."
    )
    block_identifiable_minors: bool = Field(
        True, description="Block any post in which a minor is identifiable, even with a guardian's consent."
    )
    public_contacts: list[str] = Field(
        default_factory=list,
        description="The organisation's own public e-mail addresses and phone numbers (press line, hotline): "
        "in a post they are not personal data and are kept.",
    )
    purposes: list[str] = Field(
        default_factory=lambda: ["advocacy", "fundraising", "reporting", "documentation"],
        description="Purposes the organisation posts for (consents are checked against the post's purpose).",
    )

    @property
    def threat_score(self) -> int:
        """1 to 9: capability x intent of the most dangerous actor."""
        return max((a.capability.score * a.intent.score for a in self.threat_actors), default=1)

    def to_yaml(self) -> str:
        return yaml.safe_dump(self.model_dump(mode="json"), sort_keys=False, allow_unicode=True)


def load_policy(path: str | os.PathLike[str] | None) -> Policy:
    """Read ``policy.yaml``; None gives the cautious default policy. Bad files raise InputError."""
    if path is None:
        return Policy()
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
        data = yaml.safe_load(text) or {}
    except OSError as exc:
        raise InputError(f"cannot read the policy file {path}: {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        raise InputError(Phrase("{file} is not UTF-8 text: save it as UTF-8 in your editor.", file=str(path))) from exc
    except yaml.YAMLError as exc:
        raise InputError(yaml_problem(str(path), exc)) from exc
    if not isinstance(data, dict):
        raise InputError(f"{path} must be a YAML mapping of policy fields")
    try:
        return Policy.model_validate(data)
    except ValidationError as exc:
        raise InputError(field_problems(str(path), exc, Policy, text)) from exc
