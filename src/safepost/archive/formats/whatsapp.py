"""WhatsApp chat export ("Export chat", with or without media).

Layout this reader is based on: WhatsApp's "Export chat" for iPhone and Android as of 2023-2024 (not
checked against a real export; fixtures follow this description):

* iPhone: a zip ``WhatsApp Chat - <name>.zip`` holding ``_chat.txt`` and the media; lines look
  like ``[01/01/2024, 09:15:22] Ana: text`` and media ``<attached: 00000012-PHOTO-2024-01-01-09-15-22.jpg>``;
* Android: ``WhatsApp Chat with <name>.txt`` (translated in other languages) with the media
  beside it; lines ``01/01/2024, 09:15 - Ana: text`` and media ``IMG-20240101-WA0001.jpg (file attached)``;
  ``<Media omitted>`` when exported without media.

Attachments in every style seen: ``<attached: X>``, ``< attached: X >``, localised labels
(``<Anhang: X>``, ``<pièce jointe : X>``), older iPhones' ``X <attached>`` / ``X ‹attached>``, and
Android's ``X (file attached)`` in any language (``(Datei angehängt)``, ``(archivo adjunto)``...).
Media left out of an export "without media" (``<Media omitted>`` in any language, iPhone's
``image omitted``) become missing files, flagged. Any photo or video beside the chat that no
message names is still analysed (``coverage``).

Dates follow the phone's locale: day or month first, 2- or 4-digit years, ``/ . -`` separators
(with spaces: ``1. 2. 2024.``), a dot after the date or the time, words between date and time
(Finnish ``klo``), 24-hour or AM/PM clocks (``p. m.``, ``오후``, ``下午``). A chat file in no
format it reads is refused with the file, the line and the formats it knows. The order is
decided once per chat (a first number above 12 means day first, a second number above 12
month first; otherwise day first, with a note). Shared
locations (``maps.google.com/?q=LAT,LON``) become places.
"""

from __future__ import annotations

import re
from datetime import datetime

from safepost.archive.formats._common import (
    Reader,
    ReadResult,
    decode_text,
    hashtags_in,
    head,
    media_ref,
    mentions_in,
    place_from,
)
from safepost.archive.items import FILE, ArchiveItem, MediaRef
from safepost.archive.source import ExportSource
from safepost.core import InputError

_MARKS = "\u200e\u200f\u202a\u202c\ufeff"
_SPACE = r"[\s\u202f\u00a0]"
#: words some locales put between the date and the time ("klo" fi, "um" de, "à" fr, "u" hr, "в" ru)
_JOINER = r"(?:klo|kl\.|kello|um|à|at|u|в|o|alle|om|a las)"
#: a 12-hour clock marked before the time (ko, zh, ja) or after it (en, es "p. m.")
_PRE_CLOCK = {"오전": "a", "오후": "p", "上午": "a", "下午": "p", "午前": "a", "午後": "p"}
HEADER = re.compile(
    r"^[\u200e\u200f]?\[?(?P<date>\d{1,4}(?P<sep>[./-])\s?\d{1,2}(?P=sep)\s?\d{1,4})\.?"
    rf"(?:\s*,)?{_SPACE}+(?:{_JOINER}{_SPACE}+)?"
    rf"(?P<pre>{'|'.join(_PRE_CLOCK)})?{_SPACE}?"
    r"(?P<time>\d{1,2}[:.]\d{2}(?:[:.]\d{2})?)\.?"
    rf"(?:{_SPACE}*(?P<ampm>[AaPp]\.?{_SPACE}?[Mm]\.?))?\]?"
    r"(?:\s+[-–]\s+|\s*:\s+|\s+)(?P<rest>.*)$"
)
#: a line that starts like a message (a date, then a time) whatever the format: for clear errors
_LOOKS_LIKE_HEADER = re.compile(r"^[\u200e\u200f]?\[?\d{1,4}[./-]\s?\d{1,2}[./-]\s?\d{1,4}\D{1,12}\d{1,2}[:.]\d{2}")
FORMATS_KNOWN = (
    "[31/12/2023, 21:05:07] or 31/12/2023, 21:05 - (day or month first, / . or - between, 2- or 4-digit year); "
    "2023-12-31 21:05; 31.12.23 21:05; 1. 2. 2024. 9:15; 2024. 02. 01. 9:15; 1.2.2024 klo 9.15.22; "
    "12-hour clocks with AM/PM, a. m./p. m., 오전/오후, 上午/下午; a dot after the time"
)
_SENDER = re.compile(r"^(?P<sender>[^:]{1,80}?):(?:\s+|$|(?=[.!?…]))(?P<text>.*)$", re.DOTALL)
#: iPhone: "<attached: X>", "< attached: X >", "<Anhang: X>", "<pièce jointe : X>", "<adjunto: X>"
_IOS_ATTACHMENT = re.compile(r"<\s*[^<>:\n]{2,30}?\s*:\s*(?P<name>[^<>\n]+?\.\w{2,5})\s*>")
#: older iPhone: "X <attached>", "X ‹attached>"
_SUFFIX_ATTACHMENT = re.compile(r"(?P<name>[^\s<>‹][^<>‹\n]{0,120}?\.\w{2,5})\s*[<‹][\u200e\u200f]?[^<>:\n]{2,30}>")
#: Android: "X (file attached)", "X (Datei angehängt)", "X (archivo adjunto)", "X (fichier joint)"
_ANDROID_ATTACHMENT = re.compile(r"^(?P<name>[^\n<>/\\]{1,120}?\.\w{2,5}) \([^()\n]{3,40}\)$", re.MULTILINE)
_WA_NAME = re.compile(r"^(IMG|VID|PTT|AUD|DOC|STK|PHOTO|VIDEO)-|\d{8}-(PHOTO|VIDEO|AUDIO|GIF)-", re.IGNORECASE)
#: media left out of an export "without media": Android "<Media omitted>" (any language), iPhone "image omitted"
_OMITTED_ANDROID = re.compile(r"<[^<>]{3,40}>")
_OMITTED_IOS = re.compile(
    r"(?P<what>image|photo|video|GIF|imagen|foto|vídeo|Bild|imagem|immagine|afbeelding|vidéo)\s+"
    r"(?:omitted|omitida|omitido|weggelassen|absente|ocultada|oculto|omessa|omesso|weggelaten)",
    re.IGNORECASE,
)
_MAPS = re.compile(r"(?:maps\.google\.[a-z.]+/\?q=|maps\.apple\.com/\?.*?ll=)(-?\d{1,3}\.\d+),\s?(-?\d{1,3}\.\d+)")
_CHAT_NAME = re.compile(
    r"^(?:WhatsApp Chat (?:with|-) |Chat de WhatsApp con |WhatsApp-Chat mit |Discussion WhatsApp avec |"
    r"Conversa do WhatsApp com |WhatsApp-chat met |Chat WhatsApp con |WhatsApp-keskustelu )"
)


class WhatsAppReader(Reader):
    name = "whatsapp"
    title = "WhatsApp chat export"
    layout = "WhatsApp chat export, iPhone _chat.txt or Android 'WhatsApp Chat with X.txt' (2023-2024)"

    def _chats(self, source: ExportSource, focus: str | None) -> list[str]:
        """Chat files: named as WhatsApp names them, or with a message line near the top."""
        candidates = (
            [focus] if focus else [n for n in source.names() if n.lower().endswith(".txt") and n.count("/") <= 1]
        )
        chats = []
        for name in candidates:
            lines = [line.strip(_MARKS + " ") for line in head(source, name, 4096).splitlines()[:12]]
            base = name.rsplit("/", 1)[-1]
            named = base == "_chat.txt" or bool(_CHAT_NAME.match(base))
            if named or any(HEADER.match(line) for line in lines if line):
                chats.append(name)
        return chats

    def content_media(self, source: ExportSource, focus: str | None) -> list[str]:
        """Media beside the chat; for a lone chat file in a folder, only files named as WhatsApp names them."""
        from safepost.archive.coverage import is_media_name

        names = [n for n in source.names() if is_media_name(n)]
        if focus is None:
            return names
        return [n for n in names if _WA_NAME.search(n.rsplit("/", 1)[-1])]

    def detect(self, source: ExportSource, focus: str | None) -> bool:
        return bool(self._chats(source, focus))

    def read(self, source: ExportSource, focus: str | None) -> ReadResult:
        result = ReadResult(format=self.name, layout=self.layout, items=[])
        for chat in self._chats(source, focus):
            self._read_chat(source, chat, result)
        return result

    def _read_chat(self, source: ExportSource, chat: str, result: ReadResult) -> None:
        lines = decode_text(source.read(chat), chat).splitlines()
        messages: list[tuple[int, re.Match, list[str]]] = []
        unread: list[int] = []
        for number, line in enumerate(lines, start=1):
            match = HEADER.match(line.lstrip(_MARKS))
            if match:
                messages.append((number, match, [match.group("rest")]))
                continue
            if _LOOKS_LIKE_HEADER.match(line.lstrip(_MARKS)):
                unread.append(number)
            if messages:
                messages[-1][2].append(line)
        if not messages:
            dated = [n for n, t in enumerate(lines, 1) if re.match(r"^\W{0,3}\d", t) and ": " in t]
            number = (unread or dated or [next((n for n, t in enumerate(lines, 1) if t.strip()), 1)])[0]
            seen = lines[number - 1].strip(_MARKS + " ")[:80] if lines else ""
            raise InputError(
                f"{chat}, line {number}: the date and time format is not one safepost reads ({seen!r}). "
                f"Formats read: {FORMATS_KNOWN}. Please report the format (without the message text)."
            )
        if unread:
            first = lines[unread[0] - 1].strip(_MARKS + " ")[:60]
            result.notes.append(
                f"{chat}: {len(unread)} line(s) start like a message but their date format is not one safepost "
                f"reads (first: line {unread[0]}, {first!r}); their text was read with the message before"
            )
        day_first, sure = _date_order([m.group("date") for _, m, _ in messages])
        if not sure and messages:
            result.notes.append(f"{chat}: dates could be day/month or month/day; read as day first")
        folder = chat.rsplit("/", 1)[0] + "/" if "/" in chat else ""
        title = _chat_title(chat, source.label)
        senders: dict[str, int] = {}
        omitted = system = undated = 0
        for number, match, body in messages:
            rest = "\n".join(body).strip(_MARKS + " ")
            sender_match = _SENDER.match(rest)
            if not sender_match:
                system += 1  # a system line: "Messages are end-to-end encrypted", "Ana added Ben"
                continue
            sender, text = sender_match.group("sender").strip(_MARKS + " "), sender_match.group("text").strip(_MARKS)
            senders[sender] = senders.get(sender, 0) + 1
            media, text = _attachments(text, folder, source)
            bare = text.strip(_MARKS + " ")
            if not media and (_OMITTED_ANDROID.fullmatch(bare) or _OMITTED_IOS.fullmatch(bare)):
                omitted += 1
                what = _OMITTED_IOS.fullmatch(bare)
                kind = media_ref(".mp4" if what and "v" in what.group("what").lower()[:2] else ".jpg").kind
                note = "the chat was exported without media"
                media = [MediaRef(f"{chat}#L{number}", kind if what else FILE, note=note)]
                text = ""
            date = _when(match, day_first)
            undated += date is None
            places = [place_from(lat, lon, source="shared location") for lat, lon in _MAPS.findall(text)]
            result.items.append(
                ArchiveItem(
                    id=f"wa:{chat}:L{number}",
                    platform=self.name,
                    kind="message",
                    where=f"{chat}#L{number}",
                    date=date,
                    text=text,
                    author=sender,
                    hashtags=hashtags_in(text),
                    mentions=mentions_in(text),
                    places=[p for p in places if p],
                    media=media,
                )
            )
        if omitted:
            result.notes.append(f"{chat}: {omitted} media files were left out of the export and were not checked")
        if system:
            result.notes.append(f"{chat}: {system} system line(s) (group events, security notices) are not messages")
        if undated:
            result.notes.append(f"{chat}: {undated} message(s) have a date that does not exist; read without a date")
        result.items.append(
            ArchiveItem(
                id=f"wa-chat:{chat}",
                platform=self.name,
                kind="group" if len(senders) > 2 else "chat",
                where=chat,
                text=f"Chat: {title}" if title else "",
                tagged=sorted(senders, key=lambda s: -senders[s]),
                groups=[title] if title and len(senders) > 2 else [],
            )
        )


def _attachments(text: str, folder: str, source: ExportSource) -> tuple[list[MediaRef], str]:
    """The files a message names in any attachment style, and its text without the markers."""
    media = []
    for pattern in (_IOS_ATTACHMENT, _SUFFIX_ATTACHMENT, _ANDROID_ATTACHMENT):
        for found in list(pattern.finditer(text)):
            file_name = found.group("name").strip(_MARKS + " ")
            if source.exists(folder + file_name) or _WA_NAME.search(file_name):
                media.append(media_ref(folder + file_name))
                text = text.replace(found.group(0), "").strip()
    return media, text


def _chat_title(chat: str, label: str) -> str:
    base = chat.rsplit("/", 1)[-1].rsplit(".", 1)[0]
    if base == "_chat":
        base = label.rsplit(".", 1)[0]
    return _CHAT_NAME.sub("", base).strip()


def _date_order(dates: list[str]) -> tuple[bool, bool]:
    """(day first?, sure?) for one chat's date strings."""
    firsts, seconds = [], []
    for text in dates:
        parts = re.split(r"[./-]", text)
        if len(parts) == 3 and len(parts[0]) < 4:
            firsts.append(int(parts[0]))
            seconds.append(int(parts[1]))
    if any(v > 12 for v in firsts):
        return True, True
    if any(v > 12 for v in seconds):
        return False, True
    return True, not firsts


def _when(match: re.Match, day_first: bool) -> str | None:
    parts = [int(p) for p in re.split(r"[./-]", match.group("date"))]
    if parts[0] > 999:
        year, month, day = parts
    else:
        day, month, year = parts if day_first else (parts[1], parts[0], parts[2])
    if year < 100:
        year += 2000
    clock = [int(p) for p in re.split(r"[:.]", match.group("time"))] + [0]
    hour, minute, second = clock[0], clock[1], clock[2]
    ampm = re.sub(r"[\s.\u202f\u00a0]", "", (match.group("ampm") or "").lower()) or _PRE_CLOCK.get(
        match.group("pre") or "", ""
    )
    if ampm.startswith("p") and hour < 12:
        hour += 12
    elif ampm.startswith("a") and hour == 12:
        hour = 0
    try:
        return datetime(year, month, day, hour, minute, second).isoformat(timespec="seconds")
    except ValueError:
        return None
