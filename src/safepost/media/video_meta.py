"""Plain-language findings for what a video file reveals (from ``video.probe_video``)."""

from __future__ import annotations

from pathlib import Path

from safepost.core import Finding, severity_of
from safepost.media.video import probe_video
from safepost.words import Phrase

FIX = "Run `safepost clean`: it writes a new MP4 with only the picture and the sound, no tags and no extra tracks."
_WHY = {
    "location": "Anyone who gets the file can see where it was filmed.",
    "telemetry": "Extra tracks (GPS telemetry, timecode, subtitles, cover pictures) travel with the video; "
    "GoPro and drone tracks log the position every second.",
    "date": "The exact time can place a person at an event or break an agreed delay before posting.",
    "device": "The device can be matched to its owner, or to other posts made with it.",
    "text": "Free text in the tags may contain names, places or notes.",
    "owner": "A person's name is written inside the file.",
}
_SKIP_TAGS = {
    "major_brand",
    "minor_version",
    "compatible_brands",
    "handler_name",
    "vendor_id",
    "language",
    "encoder",
    "duration",
    "timecode",
}


def _finding(kind: str, title: str, value: object = "", source: str = "video") -> Finding:
    """``title`` said in the locale's language (words.py); ``value`` as found in the file."""
    return Finding(
        kind=kind,
        severity=severity_of(kind),
        title=title if isinstance(title, Phrase) else Phrase(title),
        value=str(value)[:200],
        why=Phrase(_WHY[kind]) if kind in _WHY else "",
        fix=Phrase(FIX),
        found_by=source,
    )


def video_findings(path: Path | bytes) -> list[Finding]:
    """Everything identifying in a video's container (a file, or its bytes), most severe first."""
    info = probe_video(path)
    found = []
    for key, value in info["gps_tags"].items():
        found.append(_finding("location", "Location where the video was filmed", value, key))
    for stream in info["data_streams"]:
        gps = any(mark in str(stream) for mark in ("gpmd", "GoPro MET", "camm"))
        title = "GPS and sensor telemetry track" if gps else "Extra track inside the video"
        found.append(_finding("telemetry", title, stream))
    if info["creation_time"]:
        found.append(_finding("date", "Date and time of filming", info["creation_time"]))
    for key, title in (("make", "Camera or phone make"), ("model", "Camera or phone model")):
        if info[key]:
            found.append(_finding("device", title, info[key]))
    reported = set(info["gps_tags"]) | {"creation_time"}
    for key, value in info["tags"].items():
        lowered = key.lower()
        if key in reported or lowered in _SKIP_TAGS or lowered.endswith(("make", "model", "manufacturer")):
            continue
        if not str(value).strip():
            continue
        if any(word in lowered for word in ("artist", "author", "copyright", "owner", "creator")):
            found.append(_finding("owner", Phrase("Name in tag '{key}'", key=key), value, "container tags"))
        else:
            found.append(_finding("text", Phrase("Tag '{key}'", key=key), value, "container tags"))
    return sorted(found, key=lambda f: -f.severity.rank)
