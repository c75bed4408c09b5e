"""What one photo or video of an export reveals (``MediaResult``), as the archive audit scores it.

The analysis itself (faces, metadata, masked thumbnails) is the audit flow's:
``safepost.flows.archive_media``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

#: a face this tall (pixels of the original) or taller is clearly recognisable
LARGE_FACE = 80
#: why a file was not analysed (``MediaResult.problem``; coverage counts them by these words)
UNREADABLE, TOO_LARGE, UNSUPPORTED = "unreadable", "too large", "unsupported"


@dataclass
class MediaResult:
    """What one photo or video of the export reveals."""

    path: str
    kind: str
    faces: int = 0
    largest_face: int = 0
    gps: tuple[float, float] | None = None
    findings: list[dict] = field(default_factory=list)
    thumbnail: str = ""
    error: str = ""
    #: with ``error``: "unreadable", "too large" or "unsupported" (not a photo or video)
    problem: str = ""

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> MediaResult:
        data = dict(data)
        if data.get("gps") is not None:
            data["gps"] = tuple(data["gps"])
        return cls(**data)
