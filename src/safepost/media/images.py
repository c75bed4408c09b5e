"""Decode still and animated images into plain RGB pixels, and encode pixels into new files.

Reading (:func:`load_image`) gives upright 8-bit sRGB frames with transparency flattened onto
white. Writing (:func:`save_image`) builds brand-new images from those pixels only, so no
metadata of the input (EXIF and its GPS block, XMP, IPTC, ICC profile, comments, thumbnails)
can reach the output.

Decompression-bomb limits: a small file can declare an enormous picture. Before any pixel is
decoded, the sizes stated in the file header are checked against

* ``MAX_PIXELS`` = 50,000,000 pixels in any one frame (about an 8,660 x 5,770 photo), and
* ``MAX_TOTAL_PIXELS`` = 400,000,000 pixels over all frames of an animation or multi-page TIFF,
* ``MAX_FRAMES`` = 1,000 frames of an animation or pages of a TIFF.

A larger input is refused with :class:`~safepost.core.TooLargeError`. Pillow's own guard
(``Image.MAX_IMAGE_PIXELS``, error above twice that value) stays in place as an outer bound and
is reported with the same error.
"""

from __future__ import annotations

import io
import os
import struct
import warnings
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

from PIL import Image, ImageCms, ImageFile, ImageOps, UnidentifiedImageError

from safepost.core import InputError, OutputError, TooLargeError, UnsupportedFormatError
from safepost.media.heif_check import HeifLayout, check_decoded_size, check_heif_structure
from safepost.media.inputs import check_input_file

from .atomic import atomic_write

if TYPE_CHECKING:  # numpy loads lazily: cleaning a file never needs it
    import numpy as np


def ensure_heif_support() -> None:
    """Register pillow-heif's HEIF reader and writer with Pillow (once; it costs ~20 ms to load)."""
    if "HEIF" not in Image.OPEN:
        import pillow_heif

        pillow_heif.register_heif_opener()


def _needs_heif(source: Path) -> bool:
    """True for ISO-BMFF files (HEIC/HEIF, and AVIF, which Pillow reads itself)."""
    try:
        with source.open("rb") as f:
            return f.read(12)[4:8] == b"ftyp"
    except OSError:
        return False


MAX_PIXELS = 50_000_000
MAX_TOTAL_PIXELS = 400_000_000
#: Frames of one animation (GIF, APNG, WebP, AVIF) or pages of a TIFF: each is searched for faces,
#: so 10,000 tiny frames took minutes although their pixels were within MAX_TOTAL_PIXELS.
MAX_FRAMES = 1000

#: Pillow format name -> extension of the file safepost writes for it.
SUPPORTED_FORMATS: dict[str, str] = {
    "JPEG": ".jpg",
    "MPO": ".jpg",  # read: primary image only; written as a plain JPEG
    "PNG": ".png",
    "WEBP": ".webp",
    "HEIF": ".heic",
    "AVIF": ".avif",
    "TIFF": ".tif",
    "BMP": ".bmp",
    "GIF": ".gif",
}

_EXTENSIONS: dict[str, str] = {
    ".jpg": "JPEG",
    ".jpeg": "JPEG",
    ".jpe": "JPEG",
    ".jfif": "JPEG",
    ".mpo": "MPO",
    ".png": "PNG",
    ".apng": "PNG",
    ".webp": "WEBP",
    ".heic": "HEIF",
    ".heif": "HEIF",
    ".hif": "HEIF",
    ".avif": "AVIF",
    ".tif": "TIFF",
    ".tiff": "TIFF",
    ".bmp": "BMP",
    ".gif": "GIF",
}

# Formats whose frames are an animation (timed); TIFF pages are read too, but are not timed.
_ANIMATED_FORMATS = frozenset({"GIF", "WEBP", "PNG", "AVIF"})
# Formats of which only the primary image is read (MPO: stereo/preview images; HEIF: the
# image a viewer shows, which pillow-heif selects on open).
_PRIMARY_ONLY_FORMATS = frozenset({"MPO", "HEIF", "JPEG", "BMP"})
# Pillow plugins tried when opening an input; MPO is reached through the JPEG plugin.
_OPEN_FORMATS = ("JPEG", "PNG", "WEBP", "HEIF", "AVIF", "TIFF", "BMP", "GIF")
# What Pillow may raise on damaged data (its plugins are not consistent about it).
DECODE_ERRORS = (
    OSError,
    SyntaxError,
    ValueError,
    EOFError,
    struct.error,
    zlib.error,
    RuntimeError,
    IndexError,
    KeyError,
    TypeError,
    Warning,  # Pillow's "Truncated File Read" etc., when warnings are turned into errors
)
_EXIF_ERRORS = (ValueError, TypeError, KeyError, SyntaxError, struct.error, OSError, UnicodeError, Warning)
_ORIENTATION_TAG = 0x0112
_ORIENTATION_METHODS = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}
_SRGB = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))
_WHITE = (255, 255, 255)


@dataclass
class LoadedImage:
    """Decoded pixels of one input file.

    ``frames`` are upright HxWx3 uint8 sRGB arrays. ``durations`` holds one display time in
    ms per frame for an animation and is empty otherwise (still image, TIFF pages). ``loop``
    is the animation loop count as stored (0 = forever, None = not stated). ``format`` is
    the Pillow format name of the input.
    """

    pictures: list[Image.Image]
    durations: list[int] = field(default_factory=list)
    loop: int | None = None
    format: str = ""
    path: Path = field(default_factory=Path)
    _arrays: list[np.ndarray] | None = field(default=None, repr=False)

    @property
    def frames(self) -> list[np.ndarray]:
        """The frames as arrays (made on first use; ``pictures`` holds them as RGB images)."""
        if self._arrays is None:
            import numpy as np

            self._arrays = [np.array(p, dtype=np.uint8) for p in self.pictures]
        return self._arrays

    @property
    def is_animated(self) -> bool:
        """True for an animation of more than one frame (not for a multi-page TIFF)."""
        return len(self.pictures) > 1 and len(self.durations) == len(self.pictures)


def supported_formats_text() -> str:
    """The supported formats as one line for messages, e.g. "JPEG, PNG, ..."."""
    return ", ".join(name for name in SUPPORTED_FORMATS if name != "MPO")


def output_extension(format_name: str) -> str:
    """The extension (with dot) safepost writes for a Pillow format name."""
    name = format_name.strip().upper()
    if name not in SUPPORTED_FORMATS:
        raise UnsupportedFormatError(
            f"{format_name} is not a format safepost supports. Supported formats: {supported_formats_text()}."
        )
    return SUPPORTED_FORMATS[name]


def format_for_extension(ext: str) -> str:
    """The Pillow format name for a file extension (".jpg", "heic", ".TIF" ...)."""
    key = ext.strip().lower()
    if not key.startswith("."):
        key = "." + key
    if key not in _EXTENSIONS:
        raise UnsupportedFormatError(
            f'"{ext}" is not an image extension safepost supports. Supported formats: {supported_formats_text()}.'
        )
    return _EXTENSIONS[key]


def load_image(
    path: str | os.PathLike[str],
    max_pixels: int = MAX_PIXELS,
    max_total_pixels: int = MAX_TOTAL_PIXELS,
    *,
    data: bytes | None = None,
) -> LoadedImage:
    """Decode every frame of ``path`` into upright 8-bit sRGB pixels.

    With ``data``, the image is decoded from those bytes in memory and ``path`` is only its name
    (for messages): nothing is read from or written to disk.

    Raises :class:`InputError` (missing, empty, not an image, damaged), its subclass
    :class:`UnsupportedFormatError` (a real image of a kind not handled) or
    :class:`TooLargeError` (over ``max_pixels`` per frame or ``max_total_pixels`` in all).
    """
    source = Path(path)
    if data is None:
        _check_file(source)
    elif not data:
        raise InputError(f"{source} is empty (0 bytes)")
    layout = None
    if data[4:8] == b"ftyp" if data is not None else _needs_heif(source):
        ensure_heif_support()
        layout = _heif_layout(source, data, max_pixels)
    opened = io.BytesIO(data) if data is not None else source
    # A truncated file must be an error, never a half-grey picture (this is a Pillow global).
    ImageFile.LOAD_TRUNCATED_IMAGES = False
    with warnings.catch_warnings():
        # Our own size check below is the authority; Pillow's hard limit still applies.
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        try:
            formats = [f for f in _OPEN_FORMATS if f != "HEIF" or f in Image.OPEN]
            with Image.open(opened, formats=formats) as im:
                loaded = _decode(im, source, max_pixels, max_total_pixels, layout)
        except UnidentifiedImageError:
            _raise_unsupported_or_unknown(source, io.BytesIO(data) if data is not None else source)
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise pixel_bomb(source, max_pixels) from exc
        except Warning as exc:
            # Only reached when warnings are turned into errors (python -W error).
            raise decode_error(source, exc) from exc
        except OSError as exc:
            # Opening failed before decoding (e.g. permission denied, read error).
            raise InputError(f"{source} cannot be read: {exc.strerror or exc}.") from exc
        except DECODE_ERRORS as exc:
            # Raised while Image.open parses the header chunks (PNG iCCP/zTXt/iTXt bombs, bad TIFF tags).
            raise decode_error(source, exc) from exc
    return loaded


def _heif_layout(source: Path, data: bytes | None, max_pixels: int) -> HeifLayout | None:
    """Check the boxes and coded data of a HEIF/AVIF file (see :mod:`safepost.media.heif_check`)."""
    if data is not None:
        return check_heif_structure(data, source, max_pixels)
    try:
        raw = source.read_bytes()
    except OSError as exc:
        raise InputError(f"{source} cannot be read: {exc.strerror or exc}.") from exc
    return check_heif_structure(raw, source, max_pixels)


def _check_file(source: Path) -> None:
    check_input_file(source, "an image")


def _raise_unsupported_or_unknown(source: Path, opened: Path | io.BytesIO) -> NoReturn:
    """Tell a real but unsupported image format (by its header only) from a non-image."""
    try:
        with Image.open(opened) as other:
            kind = other.format or "unknown"
    except (UnidentifiedImageError, Image.DecompressionBombError, *DECODE_ERRORS):
        raise InputError(f"{source} is not an image safepost can read (unknown format, or a damaged file).") from None
    raise UnsupportedFormatError(
        f"{source} is a {kind} image, which safepost does not support. Supported formats: {supported_formats_text()}."
    )


def _decode(
    im: Image.Image, source: Path, max_pixels: int, max_total_pixels: int, layout: HeifLayout | None = None
) -> LoadedImage:
    """Check the header sizes, then decode and normalise every frame of an opened image."""
    fmt = im.format or ""
    if fmt not in SUPPORTED_FORMATS:  # pragma: no cover - Image.open was limited to these
        raise UnsupportedFormatError(
            f"{source} is a {fmt} image, which safepost does not support. "
            f"Supported formats: {supported_formats_text()}."
        )
    _check_frame_size(source, im.size, max_pixels)
    try:
        count = 1 if fmt in _PRIMARY_ONLY_FORMATS else int(getattr(im, "n_frames", 1))
        if count > MAX_FRAMES:
            raise TooLargeError(
                f"{source} has {count:,} frames; the limit is {MAX_FRAMES:,} frames "
                "(convert a long animation to a video, which safepost reads frame by frame)."
            )
        _check_total_size(source, im, fmt, count, max_pixels, max_total_pixels)
        loop = im.info.get("loop")
    except DECODE_ERRORS as exc:
        raise decode_error(source, exc) from exc
    animated = fmt in _ANIMATED_FORMATS and count > 1

    frames: list[Image.Image] = []
    durations: list[int] = []
    total = 0
    for index in range(count):
        try:
            if index:
                im.seek(index)
            # A GIF frame may enlarge the canvas: check again before decoding its pixels.
            _check_frame_size(source, im.size, max_pixels)
            total += im.size[0] * im.size[1]
            if total > max_total_pixels:
                raise _too_large_total(source, total, max_total_pixels)
            im.load()
            if index == 0 and fmt in ("HEIF", "AVIF"):
                check_decoded_size(layout, im.size, source)
            duration = im.info.get("duration", 0)
        except DECODE_ERRORS as exc:
            raise decode_error(source, exc) from exc
        frames.append(_normalise_frame(im, source))
        if animated:
            durations.append(int(duration or 0))
    return LoadedImage(
        pictures=frames,
        durations=durations,
        loop=int(loop) if animated and loop is not None else None,
        format=fmt,
        path=source,
    )


def _check_frame_size(source: Path, size: tuple[int, int], max_pixels: int) -> None:
    width, height = size
    if width <= 0 or height <= 0:
        raise InputError(f"{source} declares an empty picture ({width} x {height} pixels).")
    if width * height > max_pixels:
        raise TooLargeError(
            f"{source} is too large: {width} x {height} = {width * height:,} pixels in one frame; "
            f"the limit is {max_pixels:,} pixels."
        )


def _check_total_size(
    source: Path, im: Image.Image, fmt: str, count: int, max_pixels: int, max_total_pixels: int
) -> None:
    """Check the pixels of all frames from the header; TIFF pages are sized one by one."""
    if fmt == "TIFF" and count > 1:
        total = 0
        for index in range(count):
            im.seek(index)  # reads the page's header only
            _check_frame_size(source, im.size, max_pixels)
            total += im.size[0] * im.size[1]
        im.seek(0)
    else:
        total = count * im.size[0] * im.size[1]
    if total > max_total_pixels:
        raise _too_large_total(source, total, max_total_pixels)


def metadata_bomb(source: Path) -> TooLargeError:
    """A compressed metadata block (PNG iCCP, zTXt, iTXt) that expands past Pillow's limit."""
    from PIL import PngImagePlugin

    return TooLargeError(
        f"{source} holds a compressed metadata block (ICC profile or text) that expands past "
        f"{PngImagePlugin.MAX_TEXT_CHUNK:,} bytes: refused as a decompression bomb."
    )


def pixel_bomb(source: Path, max_pixels: int = MAX_PIXELS) -> TooLargeError:
    """Pillow's own hard limit on pixels was reached (the header declares a huge picture)."""
    return TooLargeError(f"{source} is too large to process safely. The limit is {max_pixels:,} pixels per frame.")


def _too_large_total(source: Path, total: int, max_total_pixels: int) -> TooLargeError:
    return TooLargeError(
        f"{source} is too large: its frames hold {total:,} pixels or more in all; "
        f"the limit is {max_total_pixels:,} pixels."
    )


def decode_error(source: Path, exc: BaseException) -> InputError:
    if "Decompressed data too large" in str(exc):
        return metadata_bomb(source)
    detail = str(exc).strip() or type(exc).__name__
    return InputError(f"{source} is damaged or truncated and cannot be decoded ({detail}).")


def _normalise_frame(im: Image.Image, source: Path) -> Image.Image:
    """The current frame as an upright 8-bit sRGB image, transparency on white."""
    icc = im.info.get("icc_profile")
    upright = _upright(im)
    try:
        color, alpha = _split_alpha(upright)
        rgb = _to_srgb(color, icc if isinstance(icc, bytes) else None)
        if alpha is not None:
            rgb = Image.composite(rgb, Image.new("RGB", rgb.size, _WHITE), alpha)
    except (ValueError, OSError, TypeError, KeyError) as exc:
        raise InputError(f"{source} uses a colour mode ({im.mode}) that safepost cannot convert ({exc}).") from exc
    if rgb.mode != "RGB":  # pragma: no cover - defensive
        raise InputError(f"{source} decoded to an unexpected pixel layout ({rgb.mode}).")
    rgb.load()
    return Image.frombytes("RGB", rgb.size, rgb.tobytes())  # detached: no info, no file handle


def _upright(im: Image.Image) -> Image.Image:
    """Apply the EXIF orientation; if the EXIF block is too broken to rewrite, rotate anyway."""
    try:
        rotated = ImageOps.exif_transpose(im)
    except _EXIF_ERRORS:
        rotated = None
    if rotated is not None:
        return rotated
    try:
        method = _ORIENTATION_METHODS.get(im.getexif().get(_ORIENTATION_TAG))
    except _EXIF_ERRORS:
        method = None
    return im.transpose(method) if method is not None else im.copy()


def _split_alpha(im: Image.Image) -> tuple[Image.Image, Image.Image | None]:
    """Split into a colour image (L, RGB or CMYK) and an alpha mask (or None)."""
    mode = im.mode
    if mode.startswith("I") or mode == "F":
        return _high_bit_depth(im)
    if mode == "1":
        im, mode = im.convert("L"), "L"
    if mode in ("P", "PA", "RGBa", "RGBX") or (mode != "LA" and "transparency" in im.info):
        im, mode = im.convert("RGBA"), "RGBA"
    if mode == "La":
        im, mode = im.convert("LA"), "LA"
    if mode == "RGBA":
        return im.convert("RGB"), im.getchannel("A")
    if mode == "LA":
        return im.getchannel("L"), im.getchannel("A")
    if mode in ("RGB", "L", "CMYK"):
        return im, None
    return im.convert("RGB"), None  # YCbCr, LAB, HSV ...


def _high_bit_depth(im: Image.Image) -> tuple[Image.Image, Image.Image | None]:
    """16/32-bit grey or float pixels scaled to 8-bit L (Pillow's convert would clip them)."""
    import numpy as np

    raw = np.asarray(im)
    alpha = None
    key = im.info.get("transparency")
    if isinstance(key, int):
        alpha = Image.fromarray(np.where(raw == key, 0, 255).astype(np.uint8))
    if im.mode.startswith("I;16"):
        grey = (raw.astype(np.uint32) >> 8).astype(np.uint8)
    elif im.mode == "F":
        values = np.nan_to_num(raw.astype(np.float64), nan=0.0, posinf=255.0, neginf=0.0)
        if values.size and values.max() <= 1.0:
            values = values * 255.0
        grey = np.clip(np.rint(values), 0, 255).astype(np.uint8)
    else:  # "I": 32-bit signed; treat as 16-bit when values go past 8 bits
        values = raw.astype(np.int64)
        if values.size and values.max() > 255:
            grey = (np.clip(values, 0, 65535) >> 8).astype(np.uint8)
        else:
            grey = np.clip(values, 0, 255).astype(np.uint8)
    return Image.fromarray(grey), alpha


def _to_srgb(color: Image.Image, icc: bytes | None) -> Image.Image:
    """Convert to sRGB through the embedded ICC profile; plain conversion if it is unusable."""
    if icc and color.mode in ("RGB", "L", "CMYK"):
        try:
            profile = ImageCms.ImageCmsProfile(io.BytesIO(icc))
            converted = ImageCms.profileToProfile(color, profile, _SRGB, outputMode="RGB")
        except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
            converted = None
        if converted is not None and converted.mode == "RGB":
            return converted
    return color if color.mode == "RGB" else color.convert("RGB")


#: lossy formats: the qualities tried, best first, to stay within a size budget (see :func:`save_image`).
#: HEIF/AVIF quality 60 is ~50 dB PSNR against a phone's own HEIC (quality 50): no visible difference.
QUALITY_STEPS = {"JPEG": (92, 85, 78), "WEBP": (90, 82, 75), "HEIF": (60, 50, 42), "AVIF": (60, 50, 42)}


@dataclass
class Encoded:
    """How :func:`save_image` wrote a file: its size, the quality used (lossy formats), and whether it
    stayed within the size budget it was given."""

    bytes: int
    quality: int | None = None
    within_budget: bool = True


def save_image(
    frames: list[np.ndarray] | list[Image.Image],
    path: str | os.PathLike[str],
    format: str,
    durations: list[int] | None = None,
    loop: int | None = None,
    quality: int | None = None,
    budget: int | None = None,
) -> Encoded:
    """Encode HxWx3 uint8 RGB ``frames`` as a new ``format`` file at ``path``, atomically.

    Only the pixels are used: the images are built from scratch, so no metadata can be
    carried over. Several frames are written as an animation (GIF, WEBP, PNG, AVIF), as pages
    (TIFF) or as an image collection (HEIF); JPEG and BMP hold one frame only.

    Lossy formats are written at ``quality``, or by default at the first of
    :data:`QUALITY_STEPS` whose file fits ``budget`` bytes (when given: the input's size, with some
    room), down to the last step; lossless formats ignore both. :attr:`Encoded.within_budget`
    says whether the file fits.
    """
    name = format.strip().upper()
    if name not in SUPPORTED_FORMATS:
        raise UnsupportedFormatError(
            f"Cannot write {path}: {format} is not a format safepost supports. "
            f"Supported formats: {supported_formats_text()}."
        )
    writer = "JPEG" if name == "MPO" else name
    if writer == "HEIF":
        ensure_heif_support()
    images = [_fresh_image(frame, index) for index, frame in enumerate(frames)]
    if not images:
        raise ValueError("save_image needs at least one frame")
    if len(images) > 1 and writer in ("JPEG", "BMP"):
        raise OutputError(
            f"Cannot write {path}: {writer} holds a single picture but the input has {len(images)} "
            "frames; choose GIF, WEBP, PNG or TIFF for the output."
        )
    durations = durations or None  # pages of a TIFF (or a still) have no display times
    if durations is not None and len(images) > 1 and len(durations) != len(images):
        raise ValueError(f"{len(durations)} durations given for {len(images)} frames")

    steps: tuple[int | None, ...] = (quality,) if quality is not None else QUALITY_STEPS.get(writer, (None,))
    data, used = b"", None
    for used in steps:
        options = _save_options(writer, images, durations, loop, used)
        buffer = io.BytesIO()
        try:
            images[0].save(buffer, format=writer, **options)
        except (OSError, ValueError, KeyError, RuntimeError) as exc:
            raise OutputError(f"Cannot write {path}: encoding as {writer} failed ({exc}).") from exc
        data = buffer.getvalue()
        if budget is None or len(data) <= budget:
            break
    atomic_write(path, lambda stream: stream.write(data))
    return Encoded(len(data), used, budget is None or len(data) <= budget)


def _fresh_image(frame: np.ndarray | Image.Image, index: int) -> Image.Image:
    """A new RGB image holding only the pixels of ``frame``."""
    if isinstance(frame, Image.Image):
        if frame.mode != "RGB":
            raise ValueError(f"frame {index} must be an RGB image, not {frame.mode}")
        return Image.frombytes("RGB", frame.size, frame.tobytes())
    import numpy as np

    if not isinstance(frame, np.ndarray) or frame.dtype != np.uint8 or frame.ndim != 3 or frame.shape[2] != 3:
        raise ValueError(f"frame {index} must be an HxWx3 uint8 array")
    return Image.fromarray(np.ascontiguousarray(frame))


def _save_options(
    writer: str, images: list[Image.Image], durations: list[int] | None, loop: int | None, quality: int | None
) -> dict[str, object]:
    """Encoder arguments per format; never exif, icc_profile, xmp or pnginfo."""
    options: dict[str, object] = {}
    if writer in ("JPEG", "WEBP", "HEIF", "AVIF") and quality is not None:
        options["quality"] = quality
    if writer == "JPEG":
        options["optimize"] = True  # optimal Huffman tables: 5-10% smaller, the same pixels
    if writer == "TIFF":
        options["compression"] = "tiff_deflate"
    if writer == "HEIF":
        # x265's default preset takes ~16 s for a 16 MP photo on 2 cores; ultrafast ~2 s.
        options["enc_params"] = {"preset": "ultrafast"}
    if len(images) > 1:
        options["save_all"] = True
        options["append_images"] = images[1:]
        if writer in _ANIMATED_FORMATS:
            if durations is not None:
                options["duration"] = [int(d) for d in durations]
            if loop is not None:
                options["loop"] = int(loop)
    return options
