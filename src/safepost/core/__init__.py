"""Plain data passed between pipeline stages, and the error family.

This module imports nothing else from safepost.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from enum import StrEnum


class SafepostError(Exception):
    """Base of every error safepost raises on purpose; the message is for the user."""

    exit_code = 1


class InputError(SafepostError):
    """The input cannot be read: missing, empty, truncated, corrupt or not an image."""

    exit_code = 3


class UnsupportedFormatError(InputError):
    """The input is a real file of a kind safepost does not handle."""

    exit_code = 4


class TooLargeError(InputError):
    """The input is larger than the documented limit (decompression-bomb guard)."""

    exit_code = 5


class DetectionError(SafepostError):
    """A detector failed or its model could not be loaded; nothing is written."""

    exit_code = 6


class OutputError(SafepostError):
    """The output cannot be written where asked (or would overwrite the input)."""

    exit_code = 7


class RegionsFileError(SafepostError):
    """A manual regions file is malformed."""

    exit_code = 8


class WorkspaceError(SafepostError):
    """The encrypted workspace cannot be used: missing, damaged, altered, busy or misused."""

    exit_code = 9


class WrongPassphraseError(WorkspaceError):
    """The passphrase does not unlock this workspace or backup; nothing was changed."""

    exit_code = 10


class RegistryError(SafepostError):
    """A person, event or consent is unknown, or a change to the consent registry is not valid."""

    exit_code = 12


class CsvImportError(RegistryError):
    """A people CSV cannot be imported; ``problems`` lists every bad line ("line 7: name is empty")."""

    exit_code = 13

    def __init__(self, message: str, problems: list[str] | None = None) -> None:
        super().__init__(message)
        self.problems = list(problems or [])


#: What a video's sound can become: kept as it is, dropped, or voices disguised (docs/voice.md).
AUDIO_CHOICES = ("keep", "drop", "disguise")
AUDIO_CHOICES_TEXT = "keep, drop or disguise"


@dataclass
class Region:
    """An axis-aligned area of one image frame, in pixels of the upright (EXIF-rotated) image: the one
    box type from detector to tracker to decide to mask to report and web canvas.

    ``kind`` says what it is ("face", "nophoto_tag", "text", "manual", "track"); ``source`` says who
    found it (a detector name, or "user"); ``score`` is the detector confidence (1.0 for user
    regions). What the decide stage made of it: ``decision`` ("mask" or "keep"), the registry
    ``person`` a reviewer tied it to, the ``reason``, and the face ``track`` it belongs to (video).
    ``extra`` holds what a finder or a rule adds (``nophoto``, ``text``, ``unsure``, ``wearer``...).
    """

    id: str
    kind: str
    x0: float
    y0: float
    x1: float
    y1: float
    score: float = 1.0
    source: str = ""
    frame: int = 0
    label: str = ""
    extra: dict = field(default_factory=dict)
    decision: str = "mask"
    person: str | None = None
    reason: str = ""
    track: str = ""

    @classmethod
    def of_box(cls, id: str, kind: str, box, score: float = 1.0, **fields) -> Region:
        """A region from a ``[x0, y0, x1, y1]`` box (``nophoto``, ``text``, ``unsure`` go to ``extra``)."""
        extra = dict(fields.pop("extra", {}))
        for key in ("nophoto", "unsure"):
            if fields.pop(key, False):
                extra[key] = True
        text = fields.pop("text", None)
        if text is not None:
            extra["text"] = text
        x0, y0, x1, y1 = box
        return cls(id, kind, x0, y0, x1, y1, score, extra=extra, **fields)

    @property
    def width(self) -> float:
        return self.x1 - self.x0

    @property
    def height(self) -> float:
        return self.y1 - self.y0

    @property
    def size(self) -> float:
        """Geometric mean side, the usual face-size measure."""
        return math.sqrt(max(self.width, 0.0) * max(self.height, 0.0))

    @property
    def box(self) -> list:
        """``[x0, y0, x1, y1]``."""
        return [self.x0, self.y0, self.x1, self.y1]

    @property
    def nophoto(self) -> bool:
        """A NO PHOTO wearer's face, head or tag: never kept, never dropped."""
        return bool(self.extra.get("nophoto", False))

    @property
    def unsure(self) -> bool:
        """A weak detection that may not be a face: still masked unless a reviewer drops it."""
        return bool(self.extra.get("unsure", False))

    @unsure.setter
    def unsure(self, value: bool) -> None:
        self.extra["unsure"] = bool(value)

    @property
    def text(self) -> str | None:
        """The text read in it (a text line, a tag), if any."""
        return self.extra.get("text")

    @text.setter
    def text(self, value: str | None) -> None:
        self.extra["text"] = value

    @property
    def thumbnail(self) -> str | None:
        """Video tracks: a small JPEG of the face (base64) for the reviewer's screen. It shows the
        face, so reports written to disk leave it out (``report_dict(thumbnails=False)``)."""
        return self.extra.get("thumbnail")

    @thumbnail.setter
    def thumbnail(self, value: str | None) -> None:
        self.extra["thumbnail"] = value

    def to_dict(self) -> dict:
        """The ``safepost redact --json`` form (docs/regions.md): the decide fields only when set."""
        d = asdict(self)
        for key in ("x0", "y0", "x1", "y1", "score"):
            d[key] = round(d[key], 3)
        if not d["extra"]:
            d.pop("extra")
        for key, unset in (("decision", "mask"), ("person", None), ("reason", ""), ("track", "")):
            if d[key] == unset:
                d.pop(key)
        return d

    def report_dict(self, thumbnails: bool = False) -> dict:
        """The post report's form, which the web canvas draws (``safepost check --format json``)."""
        d = {
            "id": self.id,
            "kind": self.kind,
            "box": self.box,
            "score": self.score,
            "decision": self.decision,
            "person_id": self.person,
            "reason": self.reason,
            "nophoto": self.nophoto,
            "text": self.text,
            "unsure": self.unsure,
        }
        if thumbnails and self.thumbnail:
            d["thumbnail_jpeg_base64"] = self.thumbnail
        return d

    @classmethod
    def from_report_dict(cls, d: dict) -> Region:
        """The inverse of :meth:`report_dict`."""
        region = cls.of_box(
            d["id"], d["kind"], d["box"], d.get("score", 1.0), nophoto=d.get("nophoto", False),
            text=d.get("text"), unsure=d.get("unsure", False), decision=d.get("decision", "mask"),
            person=d.get("person_id"), reason=d.get("reason", ""),
        )  # fmt: skip
        if d.get("thumbnail_jpeg_base64"):
            region.thumbnail = d["thumbnail_jpeg_base64"]
        return region


class Severity(StrEnum):
    """How much a finding can hurt someone, from 'worth knowing' to 'can get someone found'."""

    INFO = "info"
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"

    @property
    def rank(self) -> int:
        return ["info", "low", "medium", "high"].index(self.value)


#: The one severity of each kind of finding, in every command (``inspect``, ``check``, the archive
#: audit): what a file or post reveals is as dangerous whichever command finds it.
SEVERITY = {
    "location": Severity.HIGH,
    "telemetry": Severity.HIGH,
    "owner": Severity.HIGH,
    "serial": Severity.HIGH,
    "preview": Severity.HIGH,
    "attachment": Severity.HIGH,
    "history": Severity.HIGH,
    "device": Severity.MEDIUM,
    "date": Severity.MEDIUM,
    "text": Severity.MEDIUM,
    "makernotes": Severity.MEDIUM,
    "xmp": Severity.MEDIUM,
    "software": Severity.LOW,
    "iptc": Severity.LOW,
    "icc": Severity.LOW,
}


def severity_of(kind: str) -> Severity:
    """The severity of a finding ``kind`` (``SEVERITY``); a kind not listed there is LOW."""
    return SEVERITY.get(kind, Severity.LOW)


@dataclass
class Finding:
    """One thing a file, a post or an archive item reveals: what, how bad, where, why, and the fix.

    The one finding type of ``safepost inspect`` (a file's metadata), the post check and the archive
    audit, as Presidio's recognizer result carries its explanation. ``kind`` is a stable machine key
    (``location``, ``face_without_consent``, ``gps_media``, ...; docs/findings.md); ``title`` and
    ``why`` are for people; ``fix`` is what to do (for the archive audit, the action: "delete",
    "edit", ...). ``where`` is the post's ``text`` (the default) or a media file name, with ``box`` or ``span`` in
    it; ``value`` is what was found (a tag's value, the archive's evidence). ``blocks`` makes a post
    Blocked until fixed and ``fixed_by_prepare`` says `safepost prepare` applies the fix itself;
    ``points`` is the archive audit's score; ``found_by`` names the reader or tag that found it.

    Each command writes its own documented JSON keys (``INSPECT_KEYS``, ``POST_KEYS``,
    ``ARCHIVE_KEYS``), so the outputs users and scripts read are unchanged.
    """

    kind: str
    severity: Severity = Severity.LOW
    title: str = ""
    why: str = ""
    fix: str = ""
    where: str = "text"
    value: str = ""
    box: list[int] | None = None
    span: list[int] | None = None
    region: str | None = None
    person_id: str | None = None
    blocks: bool = False
    fixed_by_prepare: bool = False
    points: int = 0
    found_by: str = ""

    def __post_init__(self) -> None:
        self.severity = Severity(self.severity)

    def to_dict(self, keys: dict[str, str] | None = None) -> dict:
        """The finding as plain data under ``keys`` (JSON key -> field; ``INSPECT_KEYS`` by default)."""
        out = {key: getattr(self, name) for key, name in (keys or INSPECT_KEYS).items()}
        if "severity" in out:
            out["severity"] = self.severity.value
        for key in ("box", "span"):
            if out.get(key) is not None:
                out[key] = list(out[key])
        return out

    @classmethod
    def from_dict(cls, data: dict, keys: dict[str, str] | None = None) -> Finding:
        """The finding ``to_dict(keys)`` wrote."""
        names = keys or INSPECT_KEYS
        return cls(**{names[key]: value for key, value in data.items() if key in names})


#: The JSON keys of a finding in ``safepost inspect`` and a post report's media ``metadata``.
INSPECT_KEYS = {
    "kind": "kind",
    "severity": "severity",
    "title": "title",
    "value": "value",
    "why": "why",
    "fix": "fix",
    "source": "found_by",
}
#: The JSON keys of a finding of the post check (``findings`` of `safepost check --format json`).
POST_KEYS = {
    key: key
    for key in (
        "kind",
        "severity",
        "title",
        "why",
        "fix",
        "where",
        "box",
        "span",
        "region",
        "person_id",
        "blocks",
        "fixed_by_prepare",
    )
}
#: The JSON keys of a reason of the archive audit (its report and its resumable state).
ARCHIVE_KEYS = {"kind": "kind", "points": "points", "why": "why", "action": "fix", "evidence": "value"}


class ClusterError(SafepostError):
    """The Dask cluster for a batch run cannot be started or reached."""

    exit_code = 16


class PostBlockedError(SafepostError):
    """`prepare` refuses: the post stays Blocked after every automatic fix, or is High without approval."""

    exit_code = 14
