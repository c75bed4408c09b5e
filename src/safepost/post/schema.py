"""``post.yaml``: what a post says, where it goes, who sees it, when, and where its media came from."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

PLATFORMS = (
    "facebook",
    "instagram",
    "x",
    "tiktok",
    "youtube",
    "whatsapp",
    "telegram",
    "signal",
    "linkedin",
    "mastodon",
    "bluesky",
    "website",
    "newsletter",
)


class Audience(StrEnum):
    PUBLIC = "public"
    CLOSED = "closed"
    INTERNAL = "internal"


class Account(StrEnum):
    ORGANISATION = "organisation"
    PERSONAL = "personal"
    ANONYMOUS = "anonymous"


class Sensitivity(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


class SourceKind(StrEnum):
    OWN = "own"
    THIRD_PARTY = "third-party"


class SourceConsent(StrEnum):
    OBTAINED = "obtained"
    REFUSED = "refused"
    UNKNOWN = "unknown"


class Source(BaseModel):
    """Where the media came from. Third-party media (citizen video, forwarded photos) needs more care (P6)."""

    model_config = ConfigDict(extra="forbid")

    kind: SourceKind = SourceKind.OWN
    url: str | None = Field(None, description="Where the third-party media was found.")
    uploader: str | None = Field(None, description="Who filmed or first posted it (name or account).")
    uploader_contactable: bool | None = Field(None, description="Can the uploader be reached to ask?")
    consent: SourceConsent = Field(SourceConsent.UNKNOWN, description="Did the uploader agree to reuse?")
    benefit: str = Field("", description="Why publishing it helps, in a sentence or two.")
    risk_to_filmer: Sensitivity | None = Field(None, description="Risk to the person who filmed it.")
    risk_to_people_shown: Sensitivity | None = Field(None, description="Risk to the people it shows.")


class PostMeta(BaseModel):
    """The fields of ``post.yaml`` (docs/post-check.md has an annotated example)."""

    model_config = ConfigDict(extra="forbid")

    text: str | None = Field(None, description="The post text (or give text_file).")
    text_file: str | None = Field(None, description="A text file in the bundle holding the post text.")
    language: str | None = Field(None, description="'en', 'es', ... (helps phone numbers and quotes).")
    media: list[str] = Field(default_factory=list, description="Photo and video files in the bundle.")
    platforms: list[str] = Field(min_length=1, description=f"Where it goes: {', '.join(PLATFORMS)}.")
    audience: Audience = Field(description="public, closed (a group) or internal.")
    account: Account = Field(Account.ORGANISATION, description="organisation, personal or anonymous.")
    purpose: str = Field("advocacy", description="Why it is posted; consents are checked for this purpose.")
    event: str | None = Field(None, description="Registry id of the event the material comes from.")
    publish_at: datetime | None = Field(None, description="Planned publication time (ISO 8601; no zone = UTC).")
    location_sensitivity: Sensitivity = Field(
        Sensitivity.MEDIUM, description="How dangerous it is to reveal where this happened."
    )
    people: list[str] = Field(default_factory=list, description="Registry ids of people known to appear.")
    source: Source = Field(default_factory=Source)

    @field_validator("platforms")
    @classmethod
    def _known_platforms(cls, value: list[str]) -> list[str]:
        value = [p.strip().lower() for p in value]
        unknown = [p for p in value if p not in PLATFORMS]
        if unknown:
            raise ValueError(f"unknown platform {', '.join(unknown)} (use {', '.join(PLATFORMS)})")
        return value

    @field_validator("media")
    @classmethod
    def _plain_names(cls, value: list[str]) -> list[str]:
        for name in value:
            if not name or name.startswith(("/", "\\")) or ".." in name.replace("\\", "/").split("/"):
                raise ValueError(f"media '{name}' must be a file name inside the bundle folder")
        return value

    @field_validator("publish_at")
    @classmethod
    def _utc(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(UTC) if value is not None else None

    @model_validator(mode="after")
    def _one_text(self) -> PostMeta:
        if self.text is not None and self.text_file is not None:
            raise ValueError("give either text or text_file, not both")
        return self
