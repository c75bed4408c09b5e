"""What the post check produces: findings (`core.Finding`) with fixes, per-media regions, people at risk, a level.

Plain data shared by the check, the renderers (``safepost.report``) and the web app; like the rest
of ``safepost.core`` it imports nothing else of safepost.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from safepost.core import POST_KEYS, Finding, Region

if TYPE_CHECKING:
    import numpy as np

LEVELS = ("low", "medium", "high", "blocked")
#: Exit codes of `safepost check` (docs/post-check.md): the level is the gate.
LEVEL_EXIT = {"low": 0, "medium": 1, "high": 2, "blocked": 3}


@dataclass
class Decision:
    """The registry's answer to "may we use this?": ``allowed``, a reason a person understands, the consent used."""

    allowed: bool
    reason: str
    consent_id: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class PersonRisk:
    """Likelihood x impact for one person (or group) the post could expose (``safepost.decide.risk``)."""

    who: str  # a registry id, or a description such as "people at the event"
    identifiers: list[str]
    likelihood: int
    impact: int
    reasons: list[str] = field(default_factory=list)

    @property
    def score(self) -> int:
        return self.likelihood * self.impact

    def to_dict(self) -> dict[str, Any]:
        return asdict(self) | {"score": self.score}


@dataclass
class MediaRegion:
    """A detected or added area of one media file and what happens to it."""

    id: str
    kind: str  # face | nophoto_tag | nophoto_head | nophoto_area | text | manual | track
    box: list[int]
    score: float = 1.0
    decision: str = "mask"  # mask | keep
    person_id: str | None = None
    reason: str = ""
    nophoto: bool = False
    text: str | None = None
    #: a weak detection that may not be a face: still masked unless a reviewer drops it
    unsure: bool = False
    #: Video tracks: a small JPEG of the face (base64) for the reviewer's screen. It shows the face,
    #: so reports written to disk leave it out (``to_dict(thumbnails=False)``, the default).
    thumbnail: str | None = field(default=None, repr=False)

    def to_dict(self, thumbnails: bool = False) -> dict[str, Any]:
        d = asdict(self)
        thumbnail = d.pop("thumbnail")
        if thumbnails and thumbnail:
            d["thumbnail_jpeg_base64"] = thumbnail
        return d


@dataclass
class MediaReport:
    """One media file: its kind, size, regions, and what its metadata reveals."""

    name: str
    kind: str  # image | video
    width: int = 0
    height: int = 0
    regions: list[MediaRegion] = field(default_factory=list)
    texts: list[dict] = field(default_factory=list)
    metadata: list[dict] = field(default_factory=list)
    audio: bool = False

    def to_dict(self, thumbnails: bool = False) -> dict[str, Any]:
        d = asdict(self)
        d["regions"] = [r.to_dict(thumbnails) for r in self.regions]
        return d


@dataclass
class PostReport:
    """The answer of the post check: the level, why, and every finding with its fix."""

    level: str
    score: int
    factors: list[str]
    findings: list[Finding]
    media: list[MediaReport]
    people: list[PersonRisk]
    post_ref: str = ""
    checked_at: str = ""
    publish_at: str | None = None
    safe_after: str | None = None
    thresholds: dict[str, int] = field(default_factory=dict)
    #: the figures behind the factors (likelihood x impact, the policy's thresholds): a details part
    details: list[str] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        return LEVEL_EXIT[self.level]

    @property
    def blocking(self) -> list[Finding]:
        return [f for f in self.findings if f.blocks]

    @property
    def needs_decision(self) -> list[Finding]:
        """What `prepare` cannot settle by itself: blocks it does not fix. A person decides
        (docs/post-check.md, "What prepare still refuses")."""
        return [f for f in self.findings if f.blocks and not f.fixed_by_prepare]

    def to_dict(self, thumbnails: bool = False) -> dict[str, Any]:
        """Everything as plain data; ``thumbnails`` adds video face thumbnails (screens only, never files)."""
        return {
            "level": self.level,
            "score": self.score,
            "factors": self.factors,
            "details": self.details,
            "post": self.post_ref,
            "checked_at": self.checked_at,
            "publish_at": self.publish_at,
            "safe_after": self.safe_after,
            "thresholds": self.thresholds,
            "findings": [f.to_dict(POST_KEYS) for f in self.findings],
            "people": [p.to_dict() for p in self.people],
            "media": [m.to_dict(thumbnails) for m in self.media],
        }


@dataclass
class AnalysedMedia:
    """A media file's report plus what `prepare` needs to render it (the pixels stay in memory)."""

    report: MediaReport
    rgb: np.ndarray | None = None  # photos
    format: str = ""
    path: Path | None = None  # videos: the file in the bundle folder
    faces: list[Region] = field(default_factory=list)
    tracks: Any = None  # videos: the face tracks (``VideoTracks``), for a second render
    source: AnalysedMedia | None = field(default=None, repr=False)  # the cached analysis this copies
