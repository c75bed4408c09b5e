"""What a platform reader yields: one :class:`ArchiveItem` per post, message, profile, follow...

Readers only describe what the export says; analysis (faces, names, PII, scoring) comes later.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

PHOTO, VIDEO, FILE = "photo", "video", "file"


@dataclass
class Place:
    """A place the export attaches to an item: a check-in, a tweet's place, a shared location."""

    name: str = ""
    lat: float | None = None
    lon: float | None = None
    source: str = ""

    @property
    def has_coordinates(self) -> bool:
        return self.lat is not None and self.lon is not None

    def label(self) -> str:
        coords = f"{self.lat:.5f}, {self.lon:.5f}" if self.has_coordinates else ""
        return " ".join(p for p in (self.name, f"({coords})" if coords and self.name else coords) if p)


@dataclass
class MediaRef:
    """A photo or video of an item, by its path inside the export (may be missing from it)."""

    path: str
    kind: str = PHOTO
    #: a position the platform recorded for the upload (Facebook/Instagram ``exif_data``)
    declared: Place | None = None
    #: why the file is not in the export, when the export says so ("exported without media")
    note: str = ""


@dataclass
class ArchiveItem:
    """One thing the account posted, sent, liked or joined, as the export records it.

    ``id`` is unique within the export; ``where`` is the file in the export and an anchor
    (``data/tweets.js#1234``) so a person can find it; ``url`` is its address on the platform,
    when the export gives enough to build it.
    """

    id: str
    platform: str
    kind: str  # post, comment, message, profile, like, follow, group, page, story, file
    where: str
    date: str | None = None
    text: str = ""
    author: str = ""
    url: str = ""
    hashtags: list[str] = field(default_factory=list)
    mentions: list[str] = field(default_factory=list)
    tagged: list[str] = field(default_factory=list)
    places: list[Place] = field(default_factory=list)
    media: list[MediaRef] = field(default_factory=list)
    #: names of groups, pages or accounts the item links the owner to (follows, joins, likes)
    groups: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return asdict(self)
