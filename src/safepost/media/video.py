"""Clean videos: decode the input and encode a brand-new MP4 that carries none of its metadata.

Reading accepts MP4, MOV, M4V, AVI, WMV, MKV and WebM (recognised by content, not by name).
Writing (:func:`transcode`, :func:`clean_video`) always produces an MP4 with exactly one H.264
(yuv420p) video stream and at most one AAC audio stream. Nothing is copied from the input but
decoded pixels and sound:

* no container or stream tags (title, dates, GPS/location, make/model, encoder name), no
  chapters, cover art, subtitles, timecode or data/telemetry streams (GoPro GPMF, CAMM ...);
* the video is re-encoded, never stream-copied, so SEI messages in the input bitstream are
  gone; the SEI block in which x264 names itself is removed from the output as well;
* a rotation stored in the input (display matrix) is applied to the pixels, and the output
  has an identity matrix.

The frame loop takes an optional ``frame_filter(rgb, index) -> rgb`` so that later stages
(face masking) can change every upright frame before it is encoded, and an optional
``audio_filter`` (an :class:`AudioFilter` factory, such as the renderer's voice disguiser,
docs/voice.md) changes the sound the same way; ``audio="drop"`` writes no sound at all.

Limits against hostile input: at most ``MAX_VIDEO_PIXELS`` pixels in a frame
(:class:`~safepost.core.TooLargeError`); a decoding error anywhere in the stream is an
:class:`~safepost.core.InputError` and leaves no output behind. The output is encoded straight
into a hidden temporary file next to the destination and renamed over it when complete.

Every reader and writer also takes a :class:`~safepost.media.memfile.MemoryFile` instead of a
path: the video is then read from memory and written to memory, nothing touching the disk (the
web app's uploads, on every system).
"""

from __future__ import annotations

import contextlib
import contextvars
import io
import os
import struct
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any, Literal, Protocol

import av
import av.bitstream
import numpy as np
from av.audio.frame import AudioFrame
from av.audio.resampler import AudioResampler
from av.container import InputContainer
from av.sidedata.sidedata import Type as SideDataType
from av.stream import Disposition
from av.video.frame import VideoFrame
from av.video.reformatter import ColorRange, Colorspace

from safepost.core import AUDIO_CHOICES, InputError, OutputError, TooLargeError, UnsupportedFormatError
from safepost.media import heap, staging
from safepost.media.inputs import check_input_file
from safepost.media.memfile import MemoryFile, as_file
from safepost.media.mp4_limits import check_edit_lists
from safepost.media.mp4box import strip_user_data, stripped

#: 4K UHD (3840 x 2160) and DCI 4K (4096 x 2160) pass; 8K frames would not fit the 2 GiB budget
MAX_VIDEO_PIXELS = 4096 * 2304

#: Called with each upright HxWx3 uint8 RGB frame and its index; returns the frame to encode
#: (same shape and dtype).
FrameFilter = Callable[[np.ndarray, int], np.ndarray]
AudioMode = Literal["keep", "drop", "disguise"]


class AudioFilter(Protocol):
    """Changes the sound before it is encoded: float planar samples (channels x n) in and out."""

    def process(self, samples: np.ndarray) -> np.ndarray: ...

    def flush(self) -> np.ndarray: ...


#: Makes a fresh :class:`AudioFilter` for the output's sample rate and channel count.
AudioFilterFactory = Callable[[int, int], AudioFilter]
#: a file on disk, or one held in memory
PathLike = str | os.PathLike[str] | MemoryFile
Source = Path | MemoryFile

SUPPORTED_VIDEO_FORMATS = ("MP4", "MOV", "M4V", "AVI", "WMV", "MKV", "WebM")
#: H.264 encoders, best first. Hardware encoders are left out: they need a device.
H264_ENCODERS = ("libx264", "libopenh264")

# FFmpeg demuxers allowed to read an input: mov (MP4/MOV/M4V), avi, asf (WMV), matroska
# (MKV/WebM). Others (playlists such as HLS, concat, image sequences) are never even started.
_DEMUXERS = "mov,mp4,m4a,3gp,3g2,mj2,avi,asf,matroska,webm"
_INPUT_OPTIONS = {"format_whitelist": _DEMUXERS, "protocol_whitelist": "file"}
# bitexact: no "encoder" tag and zero dates; empty_hdlr_name: no "VideoHandler" names;
# The index (moov) stays after the media data so that mp4box.strip_user_data can drop the
# user-data boxes FFmpeg always writes without moving any sample.
_MUX_OPTIONS = {"fflags": "+bitexact", "empty_hdlr_name": "1"}
_X264_OPTIONS = {"preset": "medium", "crf": "20"}
_LARGE_FRAME_PIXELS = 1920 * 1088  # above full HD the encoder's look-ahead is shortened
_X264_PRESET: contextvars.ContextVar[str] = contextvars.ContextVar("x264_preset", default="medium")


@contextlib.contextmanager
def encoder_preset(preset: str) -> Iterator[None]:
    """Use another libx264 speed preset (e.g. "ultrafast" for real-time work) inside the block."""
    token = _X264_PRESET.set(preset)
    try:
        yield
    finally:
        _X264_PRESET.reset(token)


_AAC_RATES = (96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350)
_MAX_PENDING_AUDIO_S = 30.0
_DEFAULT_RATE = Fraction(30)

_GPS_KEY_PARTS = ("location", "gps", "xyz", "iso6709", "latitude", "longitude")
#: Handler names (lower case) of telemetry tracks -> their codec tag.
_DATA_HANDLERS = {"gopro met": "gpmd", "timecode": "tmcd", "camm": "camm", "metadatamotion": "camm"}
_DATE_KEYS = ("creation_time", "com.apple.quicktime.creationdate", "date", "date_recorded", "creation_date")


@dataclass
class VideoResult:
    """What :func:`transcode` wrote.

    ``had_audio`` is True when the output has an audio stream. ``dropped_streams`` describes
    every input stream that was not carried over, e.g. ``"data #3 (bin_data, GoPro MET)"``.
    """

    frames: int
    width: int
    height: int
    had_audio: bool
    dropped_streams: list[str] = field(default_factory=list)


def h264_encoder() -> str:
    """Name of the best H.264 encoder in this PyAV build; OutputError when there is none."""
    for name in H264_ENCODERS:
        if name in av.codecs_available:
            with contextlib.suppress(Exception):
                av.Codec(name, "w")
                return name
    raise OutputError(
        "This installation cannot write H.264 video: its PyAV/FFmpeg build has none of the "
        f"encoders {', '.join(H264_ENCODERS)}. Reinstall safepost with the pinned PyAV wheel."
    )


def clean_video(src: PathLike, dst: PathLike, audio: AudioMode = "keep") -> VideoResult:
    """Write ``src`` as a new MP4 at ``dst`` without any of its metadata (see module docs)."""
    return transcode(src, dst, audio=audio)


def transcode(
    src: PathLike,
    dst: PathLike,
    frame_filter: FrameFilter | None = None,
    audio: AudioMode = "keep",
    audio_filter: AudioFilterFactory | None = None,
) -> VideoResult:
    """Decode ``src``, pass every upright RGB frame through ``frame_filter``, encode MP4 ``dst``.

    ``audio="drop"`` writes no audio stream; ``"disguise"`` passes the sound through
    ``audio_filter`` (given by the renderer: this module draws nothing itself, docs/voice.md).
    ``dst`` is replaced only when the whole video was encoded; on any error nothing is left behind.
    """
    if audio not in AUDIO_CHOICES:
        raise ValueError(f"audio must be one of {', '.join(AUDIO_CHOICES)}, not {audio!r}")
    if (audio == "disguise") != (audio_filter is not None):
        raise ValueError("audio='disguise' goes with an audio_filter, and an audio_filter with it")
    source, target = as_file(src), as_file(dst)
    _check_target(source, target)
    heap.bound()  # each decoded frame's memory goes back to the system when it is freed
    encoder = h264_encoder()
    with _open_input(source) as container:
        video, sound, dropped = _pick_streams(source, container, keep_audio=audio != "drop")
        _check_pixels(source, video.codec_context.width, video.codec_context.height)
        with _temp_output(target) as tmp:
            writer = _transcode_streams(source, container, video, sound, tmp, encoder, frame_filter, audio_filter)
        return VideoResult(
            frames=writer.frames,
            width=writer.width,
            height=writer.height,
            had_audio=writer.has_audio,
            dropped_streams=dropped,
        )


def iter_frames(src: PathLike) -> Iterator[np.ndarray]:
    """Upright HxWx3 uint8 RGB frames of the first video stream of ``src``, in order."""
    source = as_file(src)
    with _open_input(source) as container:
        video, _, _ = _pick_streams(source, container, keep_audio=False)
        _check_pixels(source, video.codec_context.width, video.codec_context.height)
        for frame in _decoded(source, container, video):
            assert isinstance(frame, VideoFrame)
            _check_pixels(source, frame.width, frame.height)
            yield upright_rgb(frame)


def upright_rgb(frame: VideoFrame) -> np.ndarray:
    """The frame as an HxWx3 uint8 RGB array, turned/flipped as its display matrix says."""
    rgb = frame.to_ndarray(format="rgb24", src_color_range=frame.color_range or None)
    transpose, flip_h, flip_v = _display_transform(frame)
    if transpose:
        rgb = rgb.transpose(1, 0, 2)
    if flip_h:
        rgb = rgb[:, ::-1]
    if flip_v:
        rgb = rgb[::-1]
    return np.ascontiguousarray(rgb)


class Mp4Writer:
    """Encode RGB frames and audio into a new MP4: H.264 yuv420p, AAC, and no metadata at all.

    Frames of another size than the first are scaled to it; odd sizes are padded to even
    ones by repeating the last row/column. ``close`` finishes the file; ``abort`` only closes
    it (the caller deletes it). ``audio_filter`` makes the filter the sound passes through.
    """

    def __init__(
        self,
        path: Source,
        width: int,
        height: int,
        *,
        encoder: str,
        rate: Fraction,
        time_base: Fraction,
        audio_rate: int = 0,
        audio_channels: int = 0,
        audio_filter: AudioFilterFactory | None = None,
        source_bit_rate: int | None = None,
    ) -> None:
        self.path = path
        self.source_size = (width, height)
        self.width, self.height = width + width % 2, height + height % 2
        self.frames = 0
        # a MemoryFile gets the finished file on close; the muxer writes into a buffer meanwhile
        self._buffer = io.BytesIO() if isinstance(path, MemoryFile) else None
        target = self._buffer if self._buffer is not None else str(path)
        self._out = av.open(target, "w", format="mp4", container_options=_MUX_OPTIONS)
        try:
            self._video = self._out.add_stream(encoder, rate=rate)
            ctx = self._video.codec_context
            ctx.width, ctx.height, ctx.pix_fmt = self.width, self.height, "yuv420p"
            ctx.time_base = time_base
            self._video.time_base = time_base
            ctx.colorspace, ctx.color_primaries, ctx.color_trc = 1, 1, 1  # BT.709
            ctx.color_range = int(ColorRange.MPEG)
            if encoder == "libx264":
                ctx.options = {**_X264_OPTIONS, "preset": _X264_PRESET.get(), **_rate_cap(source_bit_rate, self, rate)}
                if self.width * self.height > _LARGE_FRAME_PIXELS:
                    # x264 keeps rc-lookahead frames in flight (40 with "medium"): 2.3 GB for a
                    # 4K clip; with 10, 1.5 GB, at a small cost in compression.
                    ctx.options = {**ctx.options, "rc-lookahead": "10"}
            else:
                ctx.bit_rate = max(500_000, self.width * self.height * 4)
            self._audio = None
            self._resampler: AudioResampler | None = None
            self._resampler_key: tuple[str, str, int] | None = None
            self._audio_pts: int | None = None
            self._voice: AudioFilter | None = None
            self._voice_pending = np.zeros((0, 0), np.float32)
            if audio_rate and audio_channels:
                rate_out = audio_rate if audio_rate in _AAC_RATES else 48000
                self._audio_layout = "mono" if audio_channels == 1 else "stereo"
                self._audio = self._out.add_stream("aac", rate=rate_out)
                self._audio.codec_context.layout = self._audio_layout
                self._audio.codec_context.bit_rate = 64_000 * min(audio_channels, 2)
                if audio_filter is not None:
                    channels_out = 1 if self._audio_layout == "mono" else 2
                    self._voice = audio_filter(rate_out, channels_out)
                    self._voice_pending = np.zeros((channels_out, 0), np.float32)
            self._out.start_encoding()
            self._sei_filter = av.bitstream.BitStreamFilterContext(
                "filter_units=remove_types=6", self._video, self._video
            )
        except BaseException:
            self.abort()
            raise

    @property
    def has_audio(self) -> bool:
        return self._audio is not None

    def write_video(self, rgb: np.ndarray, pts: int) -> None:
        """Encode one RGB frame at ``pts`` (in the writer's time base; must increase)."""
        height, width = rgb.shape[:2]
        if (width, height) == self.source_size:
            if width % 2 or height % 2:
                rgb = np.pad(rgb, ((0, height % 2), (0, width % 2), (0, 0)), mode="edge")
            frame = VideoFrame.from_ndarray(np.ascontiguousarray(rgb), format="rgb24")
            frame = frame.reformat(format="yuv420p", dst_colorspace=Colorspace.ITU709, dst_color_range=1)
        else:
            frame = VideoFrame.from_ndarray(np.ascontiguousarray(rgb), format="rgb24")
            frame = frame.reformat(
                width=self.width,
                height=self.height,
                format="yuv420p",
                dst_colorspace=Colorspace.ITU709,
                dst_color_range=1,
            )
        frame.pts = pts
        self._mux_video(self._video.encode(frame))
        self.frames += 1

    def write_audio(self, frame: AudioFrame, start: float = 0.0) -> None:
        """Encode decoded audio; ``start`` (seconds after the first video frame) places the first."""
        if self._audio is None:
            return
        if self._audio_pts is None:
            self._audio_pts = max(0, round(start * self._audio.codec_context.sample_rate))
        key = (frame.format.name, frame.layout.name, frame.sample_rate)
        if self._resampler is None or key != self._resampler_key:
            self._flush_resampler()
            self._resampler_key = key
            self._resampler = AudioResampler(
                format="fltp",
                layout=self._audio_layout,
                rate=self._audio.codec_context.sample_rate,
                frame_size=self._audio.codec_context.frame_size or 1024,
            )
        frame.pts = None
        for out in self._resampler.resample(frame):
            self._encode_audio(out)

    def close(self) -> None:
        """Flush the encoders and finish the file."""
        self._mux_video(self._video.encode(None))
        self._mux_video(None)
        if self._audio is not None:
            self._flush_resampler()
            if self._voice is not None:
                self._queue_voice(self._voice.flush(), final=True)
            self._out.mux(self._audio.encode(None))
        self._out.close()
        if self._buffer is None:
            strip_user_data(Path(self.path))
            return
        with self._buffer.getbuffer() as written:
            self.path.data = stripped(written)
        self._buffer = None

    def abort(self) -> None:
        """Close the output without caring whether it is complete."""
        with contextlib.suppress(Exception):
            self._out.close()
        self._buffer = None

    def _mux_video(self, packets: list[av.Packet] | None) -> None:
        for packet in packets if packets is not None else [None]:
            for clean in self._sei_filter.filter(packet):
                clean.stream = self._video
                self._out.mux(clean)

    def _flush_resampler(self) -> None:
        if self._resampler is not None:
            for out in self._resampler.resample(None):
                self._encode_audio(out)
            self._resampler = None

    def _encode_audio(self, frame: AudioFrame) -> None:
        if self._voice is not None:
            self._queue_voice(self._voice.process(frame.to_ndarray()))
        else:
            self._mux_audio(frame)

    def _queue_voice(self, samples: np.ndarray, final: bool = False) -> None:
        """Encode disguised float planar samples in frames of the encoder's frame size."""
        assert self._audio is not None
        size = self._audio.codec_context.frame_size or 1024
        pending = np.concatenate([self._voice_pending, samples], axis=1)
        while pending.shape[1] >= size or (final and pending.shape[1]):
            chunk = np.ascontiguousarray(pending[:, :size], dtype=np.float32)
            pending = pending[:, size:]
            frame = AudioFrame.from_ndarray(chunk, format="fltp", layout=self._audio_layout)
            frame.sample_rate = self._audio.codec_context.sample_rate
            self._mux_audio(frame)
        self._voice_pending = pending

    def _mux_audio(self, frame: AudioFrame) -> None:
        assert self._audio is not None and self._audio_pts is not None
        frame.pts = self._audio_pts
        frame.time_base = Fraction(1, frame.sample_rate)
        self._audio_pts += frame.samples
        self._out.mux(self._audio.encode(frame))


def probe_video(path: PathLike | bytes) -> dict[str, Any]:
    """Describe a video (a file, or its bytes in memory) and the metadata it carries (``safepost inspect``).

    Rotation is in degrees counter-clockwise, as the display matrix of the first frame says
    (None when it cannot be decoded). Flags: ``has_gps``, ``data_streams`` (telemetry,
    timecode, subtitle, cover art ... streams), ``creation_time``, ``make``, ``model``.
    """
    source = MemoryFile("<memory>", path) if isinstance(path, bytes) else as_file(path)
    with _open_input(source) as container:
        tags = dict(container.metadata)
        streams = []
        all_tags = [tags]
        for stream in container.streams:
            info = _stream_info(stream)
            if stream.type == "video" and not stream.disposition & Disposition.attached_pic:
                info["rotation"] = _first_rotation(container, stream)
            all_tags.append(info["tags"])
            streams.append(info)
        duration = container.duration / av.time_base if container.duration else None
        video = _main_video(container)
        extra = [
            _describe(stream)
            for stream in container.streams
            if stream.type in ("data", "subtitle", "attachment", "unknown")
            or (stream.type == "video" and stream is not video)
        ]
        format_name, chapters = container.format.name, len(container.chapters())
    return {
        "path": str(source),
        "format": format_name,
        "duration": duration,
        "tags": tags,
        "streams": streams,
        "has_gps": any(_is_gps_key(key) for found in all_tags for key in found),
        "gps_tags": {key: value for found in all_tags for key, value in found.items() if _is_gps_key(key)},
        "data_streams": extra,
        "chapters": chapters,
        "creation_time": _first_tag(all_tags, lambda key: key in _DATE_KEYS),
        "make": _first_tag(all_tags, lambda key: key.endswith(("make", "manufacturer"))),
        "model": _first_tag(all_tags, lambda key: key.endswith("model")),
    }


# --- reading -----------------------------------------------------------------------------


@contextlib.contextmanager
def _open_input(source: Source) -> Iterator[InputContainer]:
    """Open ``source`` (a file, or one in memory) with one of the allowed demuxers; InputError for anything else."""
    _check_file(source)
    check_edit_lists(source)
    opened = source.buffer() if isinstance(source, MemoryFile) else str(source)
    try:
        container = av.open(opened, "r", container_options=_INPUT_OPTIONS, metadata_errors="replace")
    except (av.FFmpegError, ValueError, UnicodeError) as exc:
        formats = ", ".join(SUPPORTED_VIDEO_FORMATS)
        raise InputError(f"{source} is not a video safepost can read ({formats}), or it is damaged.") from exc
    except OSError as exc:
        raise InputError(f"{source} cannot be read: {exc.strerror or exc}.") from exc
    try:
        yield container
    finally:
        container.close()


def video_shape(path: PathLike) -> tuple[int, int, bool]:
    """(width, height, has sound) of a video's main picture stream; InputError when it has none."""
    source = as_file(path)
    with _open_input(source) as container:
        stream = _main_video(container)
        if stream is None or stream.codec_context is None:
            raise InputError(f"{source} has no video stream safepost can decode.")
        return stream.codec_context.width, stream.codec_context.height, bool(container.streams.audio)


def frame_rate(path: PathLike, default: float = 25.0) -> float:
    """Frames per second of the main video stream (``default`` when the file does not say or cannot be
    read: a broken file fails with a clear error when it is decoded)."""
    try:
        with _open_input(as_file(path)) as container:
            stream = _main_video(container)
            rate = (stream.average_rate or stream.guessed_rate) if stream is not None else None
    except (av.FFmpegError, InputError):
        return default
    return float(rate) if rate else default


@contextlib.contextmanager
def open_video_bytes(data: bytes) -> Iterator[InputContainer]:
    """Open a video held in memory with one of the allowed demuxers (nothing touches the disk)."""
    with _open_input(MemoryFile("this video", data)) as container:
        yield container


def _check_file(source: Source) -> None:
    check_input_file(source, "a video")


def _pick_streams(
    source: Source, container: InputContainer, keep_audio: bool
) -> tuple[av.VideoStream, av.AudioStream | None, list[str]]:
    """The first real video stream, the first audio stream (if kept), and what is left out."""
    video = _main_video(container)
    if video is None:
        raise InputError(f"{source} has no video stream.")
    if video.codec_context is None:
        raise UnsupportedFormatError(f"{source} uses a video codec safepost cannot decode.")
    video.codec_context.thread_type = "AUTO"
    sound = None
    if keep_audio:
        sound = next((s for s in container.streams.audio if s.codec_context is not None), None)
    dropped = [_describe(s) for s in container.streams if s is not video and s is not sound]
    return video, sound, dropped


def _main_video(container: InputContainer) -> av.VideoStream | None:
    """The first video stream that is not cover art."""
    return next((s for s in container.streams.video if not s.disposition & Disposition.attached_pic), None)


def _decoded(source: Source, container: InputContainer, *streams: Any) -> Iterator[VideoFrame | AudioFrame]:
    """Decoded frames of ``streams`` in file order; InputError on any sign of damage."""
    packets = container.demux(*streams)
    counts = dict.fromkeys((stream.index for stream in streams), 0)
    while True:
        try:
            packet = next(packets)
            if packet.is_corrupt:
                raise _damaged(source, "a packet is cut short or corrupt")
            if packet.dts is not None:
                counts[packet.stream.index] += 1
            frames = packet.decode()
        except StopIteration:
            break
        except (av.FFmpegError, ValueError, OSError, EOFError) as exc:
            raise _damaged(source, str(exc) or type(exc).__name__) from exc
        for frame in frames:
            if frame.is_corrupt:
                raise _damaged(source, f"a {packet.stream.type} frame could not be decoded cleanly")
            yield frame
    if container.format.name.startswith("mov,"):
        # MP4/MOV list every sample in the index up front: fewer packets means the file was cut.
        for stream in streams:
            if counts[stream.index] < len(stream.index_entries):
                raise _damaged(source, "the file ends before its last frame")


def _damaged(source: Source, detail: str) -> InputError:
    return InputError(f"{source} is a damaged video and cannot be decoded ({detail}).")


def _check_pixels(source: Source, width: int, height: int) -> None:
    if width * height > MAX_VIDEO_PIXELS:
        raise TooLargeError(
            f"{source} is too large: its frames are {width} x {height} pixels; "
            f"the limit is {MAX_VIDEO_PIXELS:,} pixels per frame."
        )


def _display_transform(frame: VideoFrame) -> tuple[bool, bool, bool]:
    """(transpose, flip left-right, flip top-bottom) that make the frame upright.

    The display matrix maps a stored pixel (x, y) to x' = a*x + c*y, y' = b*x + d*y (plus
    an offset; y points down). Rotations other than multiples of 90 degrees are rounded to
    the nearest one.
    """
    for data in frame.side_data:
        if data.type == SideDataType.DISPLAYMATRIX:
            raw = bytes(data)
            if len(raw) >= 36:
                a, b, _, c, d = struct.unpack("=5i", raw[:20])
                if abs(a) + abs(d) >= abs(b) + abs(c):
                    return False, a < 0, d < 0
                return True, c < 0, b < 0
    return False, False, False


def _first_rotation(container: InputContainer, stream: av.VideoStream) -> int | None:
    """Rotation (degrees counter-clockwise) of the first decodable frame, or None."""
    try:
        if stream.codec_context is None:
            return None
        if stream.codec_context.width * stream.codec_context.height > MAX_VIDEO_PIXELS:
            return None
        for frame in container.decode(stream):
            return frame.rotation
    except (av.FFmpegError, ValueError, OSError, EOFError):
        return None
    return None


# --- writing -----------------------------------------------------------------------------


#: the output's video bit rate may reach this many times the input's (CRF decides below it)
BIT_RATE_ROOM = 1.1
#: ... but never less than this many bits per pixel and frame (a tiny input keeps sharp masks and edges)
MIN_BITS_PER_PIXEL = 0.03


def source_video_bit_rate(container: InputContainer, video: av.VideoStream) -> int | None:
    """The input's video bit rate in bit/s (from the stream, else the file less its sound); None if unknown."""
    rate = int(getattr(video, "bit_rate", 0) or getattr(video.codec_context, "bit_rate", 0) or 0)
    if rate > 0:
        return rate
    total = int(container.bit_rate or 0)
    sound = sum(int(getattr(a, "bit_rate", 0) or 0) for a in container.streams.audio)
    return total - sound if total > sound > 0 or (total > 0 and sound == 0) else None


def _rate_cap(source_bit_rate: int | None, writer: Mp4Writer, rate: Fraction) -> dict[str, str]:
    """x264 VBV options that keep the output's bit rate near the input's: CRF 20 below the cap.

    Without it a fast preset (realtime) spends up to 9x the input's bits on the same picture.
    """
    if not source_bit_rate:
        return {}
    floor = MIN_BITS_PER_PIXEL * writer.width * writer.height * float(rate or _DEFAULT_RATE)
    cap = int(max(source_bit_rate * BIT_RATE_ROOM, floor))
    # two seconds of buffer: a keyframe (a whole new picture) keeps its quality; the cap holds over a clip
    return {"maxrate": str(cap), "bufsize": str(2 * cap)}


def _transcode_streams(
    source: Source,
    container: InputContainer,
    video: av.VideoStream,
    sound: av.AudioStream | None,
    tmp: Source,
    encoder: str,
    frame_filter: FrameFilter | None,
    audio_filter: AudioFilterFactory | None = None,
) -> Mp4Writer:
    """The frame loop: decode, turn upright, filter, encode; returns the finished writer."""
    rate = video.average_rate or video.guessed_rate or _DEFAULT_RATE
    time_base = video.time_base or 1 / rate
    step = max(1, round(1 / (rate * time_base)))  # one frame, for frames without a timestamp
    audio_rate = sound.codec_context.sample_rate if sound is not None else 0
    audio_channels = sound.codec_context.channels if sound is not None else 0
    streams = [video] if sound is None else [video, sound]
    writer: Mp4Writer | None = None
    pending: list[AudioFrame] = []  # audio decoded before the first picture
    first_pts = last_pts = 0
    origin = 0.0
    try:
        for frame in _decoded(source, container, *streams):
            if isinstance(frame, AudioFrame):
                if writer is not None:
                    writer.write_audio(frame, _seconds(frame) - origin)
                    continue
                pending.append(frame)
                if sum(f.samples for f in pending) > _MAX_PENDING_AUDIO_S * max(audio_rate, 1):
                    raise _damaged(source, "no picture at the start")
                continue
            _check_pixels(source, frame.width, frame.height)
            try:
                rgb = upright_rgb(frame)
            except (av.FFmpegError, ValueError) as exc:
                raise _damaged(source, str(exc)) from exc
            if frame_filter is not None:
                index = writer.frames if writer is not None else 0
                rgb = _checked_output(frame_filter(rgb, index), rgb.shape)
            if writer is None:
                writer = Mp4Writer(
                    tmp,
                    rgb.shape[1],
                    rgb.shape[0],
                    encoder=encoder,
                    rate=rate,
                    time_base=time_base,
                    audio_rate=audio_rate,
                    audio_channels=audio_channels,
                    audio_filter=audio_filter,
                    source_bit_rate=source_video_bit_rate(container, video),
                )
                first_pts = last_pts = pts = frame.pts if frame.pts is not None else 0
                origin = _seconds(frame)
                for early in pending:
                    writer.write_audio(early, _seconds(early) - origin)
                pending.clear()
            elif frame.pts is None:
                pts = last_pts + step
            else:
                pts = max(frame.pts, last_pts + 1)
            writer.write_video(rgb, pts - first_pts)
            last_pts = pts
        if writer is None:
            raise InputError(f"{source} has no video frames that can be decoded.")
        writer.close()
    except BaseException as exc:
        if writer is not None:
            writer.abort()
        if isinstance(exc, av.FFmpegError):  # decoding errors are InputErrors by now
            raise OutputError(f"Cannot write the video: {exc}.") from exc
        raise
    return writer


def _checked_output(result: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    if not isinstance(result, np.ndarray) or result.shape != shape or result.dtype != np.uint8:
        got = getattr(result, "shape", type(result).__name__)
        raise ValueError(f"frame_filter must return a uint8 array of shape {shape}, not {got}")
    return result


def _seconds(frame: VideoFrame | AudioFrame) -> float:
    return float(frame.time) if frame.time is not None else 0.0


def _check_target(source: Source, target: Source) -> None:
    if isinstance(target, MemoryFile):
        return
    if not target.parent.is_dir():
        raise OutputError(f"Cannot write {target}: the folder {target.parent} does not exist.")
    with contextlib.suppress(OSError):
        if isinstance(source, Path) and target.exists() and source.exists() and os.path.samefile(source, target):
            raise OutputError(f"Cannot write {target}: it is the input file.")


@contextlib.contextmanager
def _temp_output(target: Source) -> Iterator[Source]:
    """A hidden temporary file next to ``target``, renamed over it if the block succeeds
    (for a MemoryFile: a fresh one, whose bytes ``target`` takes if the block succeeds)."""
    if isinstance(target, MemoryFile):
        part = MemoryFile(target.name)
        yield part
        target.data = part.data
        return
    try:
        fd, tmp = staging.new_part(target.parent)  # locked until this process ends or closes it
    except OSError as exc:
        raise OutputError(f"Cannot write {target}: {exc.strerror or exc}.") from exc
    try:
        yield tmp
        _fsync(tmp, os.O_RDONLY)
        os.replace(tmp, target)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        if isinstance(exc, OSError):
            raise OutputError(f"Cannot write {target}: {exc.strerror or exc}.") from exc
        raise
    finally:
        os.close(fd)
    with contextlib.suppress(OSError):
        _fsync(target.parent, os.O_RDONLY)


def _fsync(path: Path, flags: int) -> None:
    fd = os.open(path, flags)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


# --- describing --------------------------------------------------------------------------


def _describe(stream: Any) -> str:
    """A short label for a stream, e.g. ``"data #3 (bin_data, GoPro MET)"``."""
    codec = stream.codec_context.name if stream.codec_context is not None else (stream.name or "unknown")
    parts = [codec]
    handler = stream.metadata.get("handler_name", "")
    if handler:
        parts.append(handler)
    # PyAV does not expose a data stream's codec tag; known handler names stand in for it.
    known = next((tag for name, tag in _DATA_HANDLERS.items() if name in handler.lower()), None)
    if stream.type == "data" and "timecode" in stream.metadata:
        known = "tmcd"
    if known:
        parts.append(known)
    if stream.disposition & Disposition.attached_pic:
        parts.append("cover art")
    return f"{stream.type} #{stream.index} ({', '.join(parts)})"


def _stream_info(stream: Any) -> dict[str, Any]:
    ctx = stream.codec_context
    info: dict[str, Any] = {
        "index": stream.index,
        "type": stream.type,
        "codec": ctx.name if ctx is not None else (stream.name or "unknown"),
        "codec_tag": _codec_tag(stream),
        "tags": dict(stream.metadata),
    }
    if stream.type == "video" and ctx is not None:
        info.update(width=ctx.width, height=ctx.height, rotation=None)
        info["cover_art"] = bool(stream.disposition & Disposition.attached_pic)
    if stream.type == "audio" and ctx is not None:
        info.update(sample_rate=ctx.sample_rate, channels=ctx.channels)
    return info


def _codec_tag(stream: Any) -> str | None:
    with contextlib.suppress(Exception):
        if stream.codec_context is not None:
            return str(stream.codec_context.codec_tag).strip("\x00") or None
    return None


def _is_gps_key(key: str) -> bool:
    lowered = key.lower()
    return any(part in lowered for part in _GPS_KEY_PARTS)


def _first_tag(all_tags: list[dict[str, str]], wanted: Callable[[str], bool]) -> str | None:
    for tags in all_tags:
        for key, value in tags.items():
            if wanted(key.lower()):
                return value
    return None
