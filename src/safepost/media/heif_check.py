"""Structural checks of HEIC/HEIF and AVIF files, made before their pixels are trusted.

libheif (HEIC) and libavif (AVIF) conceal damaged data instead of failing: a file whose
coded picture was cut short or overwritten decodes "successfully", with its lower rows grey
or garbage, and neither library reports a warning Pillow could see. A redacted output made
from such pixels would be a broken picture passed off as the photo. So before decoding,
:func:`check_heif_structure` walks the ISO-BMFF boxes of the file and refuses it
(:class:`~safepost.core.InputError`, exit 3) when

* a box runs past the end of the file (a truncated download or copy),
* an image item's data extents point outside the file or its ``mdat``,
* the coded data of an HEVC item is not an exact sequence of length-prefixed NAL units with
  valid headers, or a coded slice does not end with its stop bit (a zeroed or cut tail),
* a NAL unit holds 00 00 00, 00 00 01 or 00 00 02, which emulation prevention rules out (a
  zeroed run anywhere in the picture),
* the coded data of an AV1 item is not an exact sequence of OBUs with valid headers, or its
  tile data holds a run of 64 zero bytes,
* the primary item declares no size (``ispe``) or a size of 0.

After decoding, :func:`check_decoded_size` compares the decoded size with the declared one.
What this cannot see: bytes replaced by other plausible bytes in the middle of a slice; the
decoder then paints wrong pixels, as any viewer would show them.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from pathlib import Path

from safepost.core import InputError, TooLargeError

_CONTAINERS = {b"moov", b"trak", b"mdia", b"minf", b"stbl", b"dinf", b"edts", b"iprp", b"ipco"}
#: HEVC NAL unit types: 0-31 coded slices (VCL), 32-40 parameter sets and SEI; 41-47 reserved.
_HEVC_VCL_MAX = 31
_HEVC_VALID_TYPES = set(range(0, 10)) | set(range(16, 22)) | set(range(32, 41))
#: AV1 OBU types (0 and 9-14 are reserved).
_AV1_VALID_TYPES = {1, 2, 3, 4, 5, 6, 7, 8, 15}
#: Three-byte sequences that never occur inside a HEVC NAL unit (start codes, emulation prevention).
_HEVC_FORBIDDEN = (b"\x00\x00\x00", b"\x00\x00\x01", b"\x00\x00\x02")
#: AV1 has no emulation prevention, but its entropy-coded tile data never holds a long zero run.
_AV1_ZERO_RUN = bytes(64)


@dataclass
class _Item:
    item_id: int
    item_type: bytes = b""
    method: int = 0
    extents: list[tuple[int, int]] = field(default_factory=list)
    props: list[int] = field(default_factory=list)


@dataclass
class HeifLayout:
    """What the header of a HEIF/AVIF file declares about its primary image."""

    width: int
    height: int
    rotated: bool  # an irot of 90 or 270 degrees: the decoded picture is height x width
    cropped: bool = False  # a clean aperture (clap): the decoded picture is smaller
    coded: tuple[int, int] | None = None  # AV1: the largest frame its sequence header allows


class _Bits:
    """MSB-first bit reader for the AV1 sequence header."""

    def __init__(self, data: bytes) -> None:
        self.data, self.pos = data, 0

    def read(self, count: int) -> int:
        value = 0
        for _ in range(count):
            byte = self.data[self.pos >> 3]  # IndexError past the end: reported as damage
            value = (value << 1) | ((byte >> (7 - (self.pos & 7))) & 1)
            self.pos += 1
        return value

    def uvlc(self) -> int:
        zeros = 0
        while not self.read(1):
            zeros += 1
            if zeros >= 32:
                raise ValueError("uvlc too long")
        return self.read(zeros) + (1 << zeros) - 1


def _av1_max_frame(header: bytes) -> tuple[int, int]:
    """max_frame_width/height of an AV1 sequence header OBU payload (AV1 spec 5.5)."""
    bits = _Bits(header)
    bits.read(3)  # seq_profile
    bits.read(1)  # still_picture
    if bits.read(1):  # reduced_still_picture_header
        bits.read(5)
    else:
        decoder_model = False
        delay_bits = 0
        if bits.read(1):  # timing_info_present_flag
            bits.read(64)
            if bits.read(1):  # equal_picture_interval
                bits.uvlc()
            decoder_model = bool(bits.read(1))
            if decoder_model:
                delay_bits = bits.read(5) + 1
                bits.read(32 + 5 + 5)
        initial_delay = bits.read(1)
        for _ in range(bits.read(5) + 1):  # operating points
            bits.read(12)
            if bits.read(5) > 7:
                bits.read(1)
            if decoder_model and bits.read(1):
                bits.read(2 * delay_bits + 1)
            if initial_delay and bits.read(1):
                bits.read(4)
    width_bits, height_bits = bits.read(4) + 1, bits.read(4) + 1
    return bits.read(width_bits) + 1, bits.read(height_bits) + 1


def _damaged(source: Path, why: str) -> InputError:
    return InputError(f"{source} is damaged or truncated and cannot be decoded safely ({why}).")


def _boxes(data: memoryview, start: int, end: int, source: Path) -> list[tuple[bytes, int, int]]:
    """(type, payload start, box end) of every box in data[start:end]; a box past ``end`` is damage."""
    out: list[tuple[bytes, int, int]] = []
    pos = start
    while pos < end:
        if end - pos < 8:
            raise _damaged(source, f"{end - pos} stray bytes at the end of a box")
        size, kind = struct.unpack_from(">I4s", data, pos)
        header = 8
        if size == 1:
            if end - pos < 16:
                raise _damaged(source, "a box header is cut short")
            (size,) = struct.unpack_from(">Q", data, pos + 8)
            header = 16
        elif size == 0:
            size = end - pos
        if size < header or pos + size > end:
            raise _damaged(source, f"the {kind.decode('latin-1')!r} box runs past the end of its data")
        out.append((bytes(kind), pos + header, pos + size))
        pos += size
    return out


def _uint(data: memoryview, pos: int, size: int) -> int:
    return int.from_bytes(data[pos : pos + size], "big") if size else 0


def check_heif_structure(data: memoryview | bytes, source: Path, max_pixels: int | None = None) -> HeifLayout | None:
    """Refuse a HEIF/AVIF file whose boxes or coded data are damaged; return the primary item's size.

    Returns None for an ISO-BMFF file that is not an image collection (no ``meta`` box), which
    Pillow refuses on its own.
    """
    view = memoryview(data)
    try:
        return _check(view, source, max_pixels)
    except (struct.error, IndexError, ValueError) as exc:
        raise _damaged(source, f"unreadable box ({exc})") from exc


def _check(view: memoryview, source: Path, max_pixels: int | None) -> HeifLayout | None:
    top = _boxes(view, 0, len(view), source)
    meta = next(((s, e) for k, s, e in top if k == b"meta"), None)
    if meta is None:
        return None
    mdats = [(s, e) for k, s, e in top if k == b"mdat"]
    children = _boxes(view, meta[0] + 4, meta[1], source)  # meta is a FullBox
    items: dict[int, _Item] = {}
    primary = None
    props: list[tuple[bytes, int, int]] = []
    idat: tuple[int, int] | None = None
    for kind, start, end in children:
        if kind == b"pitm":
            primary = _uint(view, start + 4, 2 if view[start] == 0 else 4)
        elif kind == b"iinf":
            _read_iinf(view, start, end, items, source)
        elif kind == b"iloc":
            _read_iloc(view, start, end, items)
        elif kind == b"idat":
            idat = (start, end)
        elif kind == b"iprp":
            for sub, s, e in _boxes(view, start, end, source):
                if sub == b"ipco":
                    props = _boxes(view, s, e, source)
                elif sub == b"ipma":
                    _read_ipma(view, s, e, items)
    if primary is None or primary not in items:
        raise _damaged(source, "no primary image is declared")
    coded_size = None
    for item in items.values():
        if item.item_type in (b"hvc1", b"av01"):
            coded = _item_bytes(view, item, mdats, idat, source)
            if item.item_type == b"hvc1":
                _check_hevc(coded, _hvcc_length_size(view, item, props), source)
            else:
                largest = _check_av1(coded, source)
                if item.item_id == primary:
                    coded_size = largest
    width = height = 0
    rotated = cropped = False
    for index in items[primary].props:
        if not 0 < index <= len(props):
            raise _damaged(source, f"property {index} of the primary image does not exist")
        kind, start, _end = props[index - 1]
        if kind == b"ispe":
            width, height = struct.unpack_from(">II", view, start + 4)
        elif kind == b"irot":
            rotated = (view[start] & 3) in (1, 3)
        elif kind == b"clap":
            cropped = True
    if width <= 0 or height <= 0:
        raise _damaged(source, "the primary image declares no size")
    for what, (w, h) in (("declares", (width, height)), ("codes", coded_size or (0, 0))):
        if max_pixels is not None and w * h > max_pixels:
            raise TooLargeError(
                f"{source} is too large: it {what} {w} x {h} = {w * h:,} pixels in one frame; "
                f"the limit is {max_pixels:,} pixels."
            )
    if coded_size is not None and coded_size != (width, height):
        # Checked before decoding: a tiny file stating a small size may code a huge frame.
        raise _damaged(
            source,
            f"it declares {width} x {height} pixels but its AV1 data codes {coded_size[0]} x {coded_size[1]}",
        )
    return HeifLayout(width, height, rotated, cropped, coded_size)


def _read_iinf(view: memoryview, start: int, end: int, items: dict[int, _Item], source: Path) -> None:
    version = view[start]
    pos = start + 4 + (2 if version == 0 else 4)
    for kind, s, _e in _boxes(view, pos, end, source):
        if kind != b"infe":
            continue
        version = view[s]
        if version < 2:
            continue  # old item entries carry no item type
        id_size = 2 if version == 2 else 4
        item_id = _uint(view, s + 4, id_size)
        item = items.setdefault(item_id, _Item(item_id))
        item.item_type = bytes(view[s + 4 + id_size + 2 : s + 4 + id_size + 6])


def _read_iloc(view: memoryview, start: int, end: int, items: dict[int, _Item]) -> None:
    version = view[start]
    pos = start + 4
    offset_size, length_size = view[pos] >> 4, view[pos] & 15
    base_size, index_size = view[pos + 1] >> 4, (view[pos + 1] & 15 if version in (1, 2) else 0)
    pos += 2
    count_size = 2 if version < 2 else 4
    count = _uint(view, pos, count_size)
    pos += count_size
    for _ in range(count):
        item_id = _uint(view, pos, count_size)
        pos += count_size
        method = 0
        if version in (1, 2):
            method = view[pos + 1] & 15
            pos += 2
        pos += 2  # data_reference_index
        base = _uint(view, pos, base_size)
        pos += base_size
        extents = _uint(view, pos, 2)
        pos += 2
        item = items.setdefault(item_id, _Item(item_id))
        item.method = method
        for _ in range(extents):
            pos += index_size
            offset = _uint(view, pos, offset_size)
            length = _uint(view, pos + offset_size, length_size)
            pos += offset_size + length_size
            item.extents.append((base + offset, length))
        if pos > end:
            raise ValueError("iloc runs past its box")


def _read_ipma(view: memoryview, start: int, end: int, items: dict[int, _Item]) -> None:
    version, flags = view[start], _uint(view, start + 1, 3)
    pos = start + 4
    count = _uint(view, pos, 4)
    pos += 4
    for _ in range(count):
        id_size = 2 if version < 1 else 4
        item_id = _uint(view, pos, id_size)
        pos += id_size
        associations = view[pos]
        pos += 1
        item = items.setdefault(item_id, _Item(item_id))
        for _ in range(associations):
            if flags & 1:
                item.props.append(_uint(view, pos, 2) & 0x7FFF)
                pos += 2
            else:
                item.props.append(view[pos] & 0x7F)
                pos += 1
        if pos > end:
            raise ValueError("ipma runs past its box")


def _item_bytes(
    view: memoryview, item: _Item, mdats: list[tuple[int, int]], idat: tuple[int, int] | None, source: Path
) -> bytes:
    """The coded data of an item, checked to lie inside the file (and its mdat or idat)."""
    if not item.extents:
        raise _damaged(source, f"image item {item.item_id} has no data")
    parts = []
    for offset, length in item.extents:
        if item.method == 1:
            if idat is None or idat[0] + offset + length > idat[1]:
                raise _damaged(source, f"image item {item.item_id} points outside its idat box")
            offset += idat[0]
        elif item.method != 0:
            continue  # item references: checked through the items they point to
        elif length == 0:
            raise _damaged(source, f"image item {item.item_id} has an empty extent")
        if offset + length > len(view):
            raise _damaged(source, f"image item {item.item_id} points past the end of the file")
        if item.method == 0 and mdats and not any(s <= offset and offset + length <= e for s, e in mdats):
            raise _damaged(source, f"image item {item.item_id} points outside the media data")
        parts.append(view[offset : offset + length])
    return b"".join(parts)


def _hvcc_length_size(view: memoryview, item: _Item, props: list[tuple[bytes, int, int]]) -> int:
    for index in item.props:
        if 0 < index <= len(props) and props[index - 1][0] == b"hvcC":
            start, end = props[index - 1][1], props[index - 1][2]
            if end - start > 21:
                return (view[start + 21] & 3) + 1
    return 4


def _check_hevc(coded: bytes, length_size: int, source: Path) -> None:
    pos, end = 0, len(coded)
    slices = 0
    while pos < end:
        if end - pos < length_size + 2:
            raise _damaged(source, "the HEVC data ends inside a NAL unit header")
        size = int.from_bytes(coded[pos : pos + length_size], "big")
        pos += length_size
        if size < 2 or pos + size > end:
            raise _damaged(source, "a HEVC NAL unit runs past the end of the image data")
        first, second = coded[pos], coded[pos + 1]
        kind = (first >> 1) & 0x3F
        if first & 0x80 or (second & 7) == 0 or kind not in _HEVC_VALID_TYPES:
            raise _damaged(source, f"invalid HEVC NAL unit header (type {kind})")
        if kind <= _HEVC_VCL_MAX:
            slices += 1
            if coded[pos + size - 1] == 0:
                raise _damaged(source, "a coded HEVC slice is cut short (no stop bit)")
        payload = coded[pos : pos + size]
        if any(payload.find(marker) >= 0 for marker in _HEVC_FORBIDDEN):
            # Emulation prevention (H.265 7.4.2) never lets these through: zeroed or foreign bytes.
            raise _damaged(source, "a HEVC NAL unit holds a byte sequence no encoder writes (zeroed data)")
        pos += size
    if slices == 0:
        raise _damaged(source, "the HEVC image data holds no coded picture")


def _leb128(coded: bytes, pos: int) -> tuple[int, int]:
    value = 0
    for index in range(8):
        byte = coded[pos + index]
        value |= (byte & 0x7F) << (7 * index)
        if not byte & 0x80:
            return value, pos + index + 1
    raise ValueError("leb128 value too long")


def _check_av1(coded: bytes, source: Path) -> tuple[int, int] | None:
    pos, end = 0, len(coded)
    frames = 0
    largest = None
    while pos < end:
        header = coded[pos]
        kind = (header >> 3) & 15
        if header & 0x81 or kind not in _AV1_VALID_TYPES:
            raise _damaged(source, f"invalid AV1 OBU header (type {kind})")
        pos += 2 if header & 4 else 1
        if header & 2:
            if pos >= end:
                raise _damaged(source, "the AV1 data ends inside an OBU header")
            size, pos = _leb128(coded, pos)
        else:
            size = end - pos
        if pos + size > end:
            raise _damaged(source, "an AV1 OBU runs past the end of the image data")
        if kind == 1 and largest is None:
            largest = _av1_max_frame(coded[pos : pos + size])
        if kind in (4, 6):
            frames += 1
            if size == 0:
                raise _damaged(source, "an AV1 tile group is empty")
            if coded.find(_AV1_ZERO_RUN, pos, pos + size) >= 0:
                zero_run = len(_AV1_ZERO_RUN)
                raise _damaged(source, f"an AV1 tile group holds a run of {zero_run} zero bytes (zeroed data)")
        pos += size
    if frames == 0:
        raise _damaged(source, "the AV1 image data holds no coded picture")
    return largest


def check_decoded_size(layout: HeifLayout | None, decoded: tuple[int, int], source: Path) -> None:
    """Refuse pixels whose size differs from the size the file declares."""
    if layout is None or layout.cropped:
        return
    expected = (layout.height, layout.width) if layout.rotated else (layout.width, layout.height)
    if tuple(decoded) != expected:
        raise _damaged(
            source,
            f"it declares {expected[0]} x {expected[1]} pixels but decodes to {decoded[0]} x {decoded[1]}",
        )
