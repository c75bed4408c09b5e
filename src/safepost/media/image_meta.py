"""Read what an image file reveals about the people behind it, without changing it.

Pillow parses the containers (EXIF with its GPS block, XMP, IPTC, PNG text, comments, ICC,
MPO extra images, HEIF thumbnails); this module turns them into plain-language Findings, in
English and Spanish (titles, reasons, fixes: ``safepost.words``; the kinds stay English).
"""

from __future__ import annotations

import html
import io
import re
from pathlib import Path

from PIL import ExifTags, Image, IptcImagePlugin

from safepost.core import Finding, InputError, severity_of
from safepost.media.images import DECODE_ERRORS, decode_error, ensure_heif_support, pixel_bomb
from safepost.words import Phrase

_GPS_IFD, _EXIF_IFD, _IFD1 = ExifTags.IFD.GPSInfo, ExifTags.IFD.Exif, ExifTags.IFD.IFD1

# (tag id, kind, title) for IFD0 and the Exif IFD; the severity is the kind's (core.SEVERITY)
_TAGS = [
    (0x010F, "device", "Camera or phone make"),
    (0x0110, "device", "Camera or phone model"),
    (0x0131, "software", "Software used"),
    (0x013C, "device", "Computer name"),
    (0x013B, "owner", "Name of the photographer (Artist)"),
    (0x8298, "owner", "Copyright holder"),
    (0x010E, "text", "Description written into the file"),
    (0x0132, "date", "Date and time the file was changed"),
    (0x9003, "date", "Date and time the photo was taken"),
    (0x9004, "date", "Date and time the photo was digitised"),
    (0xA430, "owner", "Name of the camera's owner"),
    (0xA431, "serial", "Serial number of the camera"),
    (0xA435, "serial", "Serial number of the lens"),
    (0xA433, "device", "Lens make"),
    (0xA434, "device", "Lens model"),
    (0xA420, "serial", "Unique id of the picture"),
    (0x9286, "text", "Comment written into the file"),
]
_WHY = {
    "location": "Anyone who gets the file can see where it was taken: a home, an office, a safe house.",
    "serial": "A serial number or unique id links this picture to others taken with the same device.",
    "owner": "A person's name is written inside the file.",
    "device": "The device can be matched to its owner, or to other posts made with it.",
    "date": "The exact time can place a person at an event or break an agreed delay before posting.",
    "preview": "A small copy of the picture hides inside the file; it may show what was later cropped or masked.",
    "software": "Shows the tools used; usually harmless, sometimes ties the file to an organisation.",
    "text": "Free text inside the file may contain names, places or notes.",
    "makernotes": "Camera-maker data can hold serial numbers, owner names and settings.",
    "xmp": "XMP data can hold names, places, keywords and editing history.",
    "iptc": "IPTC data can hold the photographer's name, captions, places and contacts.",
    "icc": "The colour profile names the device or editing software.",
}
FIX = "Run `safepost clean` (or `safepost redact`): it writes a new file with none of this inside."


def _finding(kind: str, title: str, value: object, source: str) -> Finding:
    """``title`` (a phrase of the catalogue, or an English id said in the locale's language); ``value``
    as found in the file, or a Phrase when safepost words it."""
    if isinstance(value, Phrase):
        text = value
    else:
        text = value.decode("latin-1", "replace") if isinstance(value, bytes) else str(value)
        text = text.strip("\x00 ").strip()[:200]
    return Finding(
        kind=kind,
        severity=severity_of(kind),
        title=title if isinstance(title, Phrase) else Phrase(title),
        value=text,
        why=Phrase(_WHY[kind]) if kind in _WHY else "",
        fix=Phrase(FIX),
        found_by=source,
    )


def _degrees(value, ref) -> float | None:
    try:
        d, m, s = (float(v) for v in value)
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    deg = d + m / 60 + s / 3600
    return -deg if str(ref).upper().startswith(("S", "W")) else deg


def _gps_findings(gps: dict) -> list[Finding]:
    if not gps:
        return []
    lat = _degrees(gps.get(2), gps.get(1, "N"))
    lon = _degrees(gps.get(4), gps.get(3, "E"))
    if lat is None or lon is None:
        value = Phrase("GPS block present")
    elif lat == lon == 0:  # what a phone writes before it has a fix: the tags are there, no place
        value = Phrase("GPS tags present, with no position in them (0, 0)")
    else:
        value = f"{lat:.6f}, {lon:.6f}"
    found = [_finding("location", "GPS position where the photo was taken", value, "EXIF GPS")]
    if gps.get(29):
        found.append(_finding("date", "GPS date", gps[29], "EXIF GPS"))
    return found


def _stored_size(value: object) -> str:
    """How much a tag holds, whatever type it was stored as (bytes, text, numbers, one number)."""
    if isinstance(value, bytes | str):
        return Phrase("{n} bytes", n=len(value))
    if isinstance(value, tuple | list):
        return Phrase("{n} values", n=len(value))
    return Phrase("1 value")


def _exif_findings(im: Image.Image) -> list[Finding]:
    exif = im.getexif()
    found: list[Finding] = []
    merged = dict(exif)
    try:
        merged.update(exif.get_ifd(_EXIF_IFD))
        gps = exif.get_ifd(_GPS_IFD)
        ifd1 = exif.get_ifd(_IFD1)
    except (KeyError, ValueError, TypeError, OSError):
        gps, ifd1 = {}, {}
    for tag, kind, title in _TAGS:
        value = merged.get(tag)
        if value is not None and str(value).strip("\x00 ").strip():
            found.append(_finding(kind, title, value, "EXIF"))
    if 0x927C in merged:
        found.append(_finding("makernotes", "Camera-maker notes", _stored_size(merged[0x927C]), "EXIF"))
    found += _gps_findings(gps)
    if ifd1 and (0x0201 in ifd1 or 0x0111 in ifd1):
        found.append(_finding("preview", "Embedded thumbnail of the picture", Phrase("EXIF thumbnail"), "EXIF"))
    return found


_XMP_PATTERNS = [
    (r"GPS(Latitude|Longitude)", "location", "GPS position in XMP data"),
    (
        r"<dc:creator|photoshop:AuthorsPosition|Iptc4xmpCore:CreatorContactInfo",
        "owner",
        "Creator's name in XMP data",
    ),
    (
        r"SerialNumber|ImageUniqueID|DocumentID|InstanceID",
        "serial",
        "Device or document ids in XMP",
    ),
    (
        r"photoshop:City|Iptc4xmpCore:Location|photoshop:Country",
        "location",
        "Place names in XMP",
    ),
    (r"PersonInImage|mwg-rs:Name", "owner", "Names of people shown, in XMP"),
    (r"CreatorTool", "software", "Editing software in XMP"),
    (r"CreateDate|DateCreated|ModifyDate", "date", "Dates in XMP"),
]


def _xmp_findings(im: Image.Image) -> list[Finding]:
    raw = im.info.get("xmp") or im.info.get("XML:com.adobe.xmp")
    if not raw:
        return []
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)
    found = []
    for pattern, kind, title in _XMP_PATTERNS:
        if re.search(pattern, text):
            values = _xmp_values(pattern, text)
            if values is not None and not values:
                continue  # the field is there but empty: it reveals nothing (the XMP block is still listed)
            found.append(_finding(kind, title, ", ".join(values or []), "XMP"))
    return found or [_finding("xmp", "XMP metadata block", Phrase("{n} characters", n=len(text)), "XMP")]


def _xmp_values(pattern: str, text: str) -> list[str] | None:
    """The values of the XMP properties ``pattern`` names (attribute or element form, lists included);
    None when they are written in a shape not read here (the finding then stands without a value)."""
    values: list[str] = []
    seen = False
    for name in re.findall(r"[A-Za-z0-9]+:[A-Za-z0-9]+", pattern):
        for match in re.finditer(rf'{re.escape(name)}\s*=\s*"([^"]*)"', text):
            seen = True
            values.append(match.group(1))
        for match in re.finditer(rf"<{re.escape(name)}\b[^>]*?(/?)>(.*?)(?:</{re.escape(name)}>|$)", text, re.S):
            seen = True
            if match.group(1) == "/":
                continue
            inner = re.sub(r"<[^>]+>", " ", match.group(2))
            values += [v for v in inner.split() if v]
    if not seen:
        return None
    out = []
    for v in (html.unescape(v).strip() for v in values):
        if v and v not in out:
            out.append(v)
    return out


def _iptc_findings(im: Image.Image) -> list[Finding]:
    try:
        iptc = IptcImagePlugin.getiptcinfo(im) or {}
    except (SyntaxError, ValueError, OSError, IndexError):
        return [_finding("iptc", "IPTC block (unreadable)", "", "IPTC")]
    names = {
        (2, 80): ("owner", "Photographer's name (By-line)"),
        (2, 90): ("location", "City"),
        (2, 101): ("location", "Country"),
        (2, 92): ("location", "Place"),
        (2, 120): ("text", "Caption"),
        (2, 116): ("owner", "Copyright notice"),
        (2, 55): ("date", "Date"),
    }
    found = []
    for key, value in iptc.items():
        if key in names:
            kind, title = names[key]
            raw = value[0] if isinstance(value, list) and value else value
            if not (raw.decode("latin-1", "replace") if isinstance(raw, bytes) else str(raw)).strip("\x00 ").strip():
                continue  # an empty field reveals nothing
            found.append(_finding(kind, title, value[0] if isinstance(value, list) else value, "IPTC"))
    if iptc and not found:
        found.append(_finding("iptc", "IPTC block", Phrase("{n} fields", n=len(iptc)), "IPTC"))
    return found


def _container_findings(im: Image.Image, path: Path) -> list[Finding]:
    found = []
    for key, value in im.info.items():
        if key in ("comment", "Comment", "Description", "Title", "Author", "Software", "Creation Time"):
            kind = {"Author": "owner", "Software": "software", "Creation Time": "date"}.get(key, "text")
            title = Phrase("{key} written into the file", key=key)
            found.append(_finding(kind, title, value, im.format or "file"))
    if im.info.get("icc_profile"):
        found.append(_finding("icc", "Colour profile", Phrase("{n} bytes", n=len(im.info["icc_profile"])), "ICC"))
    frames = getattr(im, "n_frames", 1)
    if im.format == "MPO" and frames > 1:
        found.append(
            _finding(
                "preview",
                "Extra images inside the file",
                Phrase("{n} more image(s) (MPO)", n=frames - 1),
                "MPO",
            )
        )
    if im.format == "HEIF":
        found += _heif_thumbnails(im.fp if isinstance(im.fp, io.BytesIO) else path)
    return found


def _heif_thumbnails(path: Path | io.BytesIO) -> list[Finding]:
    import pillow_heif

    try:
        heif = pillow_heif.open_heif(path if isinstance(path, io.BytesIO) else str(path))
        count = sum(len(img.info.get("thumbnails", [])) for img in heif)
    except (ValueError, RuntimeError, OSError):
        return []
    if not count:
        return []
    return [
        _finding(
            "preview",
            "Embedded thumbnail of the picture",
            Phrase("{n} HEIF thumbnail(s)", n=count),
            "HEIF",
        )
    ]


def inspect_image(path: str | Path, data: bytes | None = None) -> list[Finding]:
    """Everything identifying that an image file carries, most severe first.

    With ``data`` the image is read from those bytes in memory; ``path`` then only names it.
    """
    path = Path(path)
    ensure_heif_support()
    try:
        with Image.open(io.BytesIO(data) if data is not None else path) as im:
            found = _exif_findings(im) + _xmp_findings(im) + _iptc_findings(im) + _container_findings(im, path)
    except Image.DecompressionBombError as exc:
        raise pixel_bomb(path) from exc
    except ValueError as exc:
        raise decode_error(path, exc) from exc
    except DECODE_ERRORS as exc:
        raise InputError(f"{path.name} is not an image safepost can read ({exc})") from exc
    return sorted(found, key=lambda f: -f.severity.rank)
