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
    """An axis-aligned area of one image frame, in pixels of the upright (EXIF-rotated) image.

    ``kind`` says what it is ("face", "manual"); ``source`` says who found it (a detector
    name, or "user"); ``score`` is the detector confidence (1.0 for user regions).
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

    def to_dict(self) -> dict:
        d = asdict(self)
        for key in ("x0", "y0", "x1", "y1", "score"):
            d[key] = round(d[key], 3)
        if not d["extra"]:
            d.pop("extra")
        return d


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
