"""Tests for safepost.media.video (every fixture video is made in code with PyAV)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest
from av.sidedata.sidedata import Type as SideDataType
from av.stream import Disposition

from safepost.core import InputError, OutputError, TooLargeError
from safepost.media import video as video_mod
from safepost.media.video import VideoResult, clean_video, h264_encoder, iter_frames, probe_video, transcode

SECRETS = (
    "Secret meeting",
    "Jane Doe",
    "iPhone 15",
    "SecretCam",
    "48.8584",
    "Lavf",
    "x264",
    "GoPro",
    "hello",
)
# Tags the MP4 demuxer reports for any file: they come from the file-type box, not from metadata.
STRUCTURAL_TAGS = {"major_brand", "minor_version", "compatible_brands"}
RED = (255, 0, 0)
BACKGROUND = (40, 80, 120)


def picture(width: int = 64, height: int = 48) -> np.ndarray:
    """A flat frame with an 8x8 red marker in the top-left corner."""
    img = np.empty((height, width, 3), np.uint8)
    img[:] = BACKGROUND
    img[:8, :8] = RED
    return img


def make_video(
    path: Path,
    *,
    fmt: str = "mp4",
    vcodec: str = "libx264",
    pix_fmt: str = "yuv420p",
    size: tuple[int, int] = (64, 48),
    frames: int = 10,
    rate: int = 10,
    pts_ms: list[int] | None = None,
    audio: str | None = "aac",
    audio_rate: int = 44100,
    layout: str = "mono",
    tags: dict[str, str] | None = None,
    video_tags: dict[str, str] | None = None,
    rotation: int | None = None,
    hflip: bool = False,
    subtitle: bool = False,
    data: bool = False,
    cover: bool = False,
    options: dict[str, str] | None = None,
) -> Path:
    """Write a small test video; ``pts_ms`` gives variable frame times in milliseconds."""
    out = av.open(str(path), "w", format=fmt, container_options=options or {})
    out.metadata.update(tags or {})
    v = out.add_stream(vcodec, rate=rate)
    v.width, v.height, v.pix_fmt = size[0], size[1], pix_fmt
    if pts_ms is not None:
        v.codec_context.time_base = Fraction(1, 1000)
    v.metadata.update(video_tags or {})
    if rotation is not None or hflip:
        v.set_display_rotation(rotation or 0, hflip=hflip)
    a = None
    if audio:
        a = out.add_stream(audio, rate=audio_rate)
        a.layout = layout
        a.codec_context.bit_rate = 64_000  # wmav2 refuses its default for mono
    sub = out.add_mux_stream("mov_text") if subtitle else None
    art = out.add_stream("mjpeg") if cover else None
    if art is not None:
        art.width, art.height, art.pix_fmt = 32, 32, "yuvj420p"
        art.disposition = Disposition.attached_pic
    telemetry = out.add_data_stream("bin_data") if data else None
    for i in range(frames):
        frame = av.VideoFrame.from_ndarray(picture(*size), format="rgb24")
        frame.pts = pts_ms[i] if pts_ms is not None else i
        out.mux(v.encode(frame))
    out.mux(v.encode(None))
    if a is not None:
        channels = len(av.AudioLayout(layout).channels)
        total = audio_rate * frames // rate
        tone = (0.2 * np.sin(2 * np.pi * 440 * np.arange(total) / audio_rate)).astype(np.float32)
        for start in range(0, total, 1024):
            chunk = np.ascontiguousarray(np.tile(tone[start : start + 1024], (channels, 1)))
            frame = av.AudioFrame.from_ndarray(chunk, format="fltp", layout=layout)
            frame.sample_rate, frame.pts, frame.time_base = audio_rate, start, Fraction(1, audio_rate)
            out.mux(a.encode(frame))
        out.mux(a.encode(None))
    if art is not None:
        image = av.VideoFrame.from_ndarray(np.full((32, 32, 3), 200, np.uint8), format="rgb24")
        out.mux(art.encode(image.reformat(format="yuvj420p")))
        out.mux(art.encode(None))
    for stream, payload in ((sub, b"\x00\x05hello"), (telemetry, b"GPMF DEVC hello")):
        if stream is not None:
            packet = av.Packet(payload)
            packet.stream, packet.pts, packet.dts, packet.duration = stream, 0, 0, 500
            packet.time_base = Fraction(1, 1000)
            out.mux(packet)
    out.close()
    return path


def phone_video(path: Path, style: str, rotation: int | None = 90) -> Path:
    """An MP4 with what phones and cameras write: tags, GPS, telemetry, timecode, subtitles, cover."""
    common = {
        "title": "Secret meeting",
        "creation_time": "2024-05-01T10:00:00Z",
        "location": "+48.8584+002.2945/",
    }
    if style == "mdta":  # iPhone style: QuickTime metadata keys
        tags = common | {
            "com.apple.quicktime.make": "Apple",
            "com.apple.quicktime.model": "iPhone 15",
            "com.apple.quicktime.location.ISO6709": "+48.8584+002.2945+035.000/",
            "com.apple.quicktime.creationdate": "2024-05-01T12:00:00+0200",
        }
        options = {"movflags": "use_metadata_tags"}
    else:  # classic udta atoms: ©nam, ©ART, ©cmt, ©xyz
        tags = common | {"artist": "Jane Doe", "comment": "hello"}
        options = {}
    return make_video(
        path,
        tags=tags,
        video_tags={
            "encoder": "SecretCam",
            "timecode": "01:00:00:00",
            "creation_time": "2024-05-01T10:00:00Z",
        },
        rotation=rotation,
        subtitle=True,
        data=True,
        cover=style == "udta",  # the muxer writes cover art into udta atoms only
        options=options,
    )


def exiftool(path: Path) -> dict[str, object]:
    """exiftool -j -ee -G output without the File:/ExifTool: groups (file system facts)."""
    if shutil.which("exiftool") is None:
        pytest.skip("exiftool is not installed")
    command = ["exiftool", "-j", "-ee", "-G", str(path)]
    result = subprocess.run(command, capture_output=True, text=True, check=True)
    tags = json.loads(result.stdout)[0]
    return {k: v for k, v in tags.items() if ":" in k and not k.startswith(("File:", "ExifTool:"))}


def decoded(path: Path) -> list[np.ndarray]:
    with av.open(str(path)) as container:
        return [frame.to_ndarray(format="rgb24") for frame in container.decode(video=0)]


def red_mask(img: np.ndarray) -> np.ndarray:
    return (img[..., 0] > 150) & (img[..., 1] < 110) & (img[..., 2] < 110)


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith(".safepost-") or p.suffix == ".part")


# --- the metadata is gone ------------------------------------------------------------------


def test_encoder_is_libx264() -> None:
    assert h264_encoder() == "libx264"


def test_missing_h264_encoder_is_a_clear_error(monkeypatch, tmp_path) -> None:
    monkeypatch.setattr(video_mod, "H264_ENCODERS", ("no-such-encoder",))
    with pytest.raises(OutputError, match="H.264"):
        h264_encoder()
    src = make_video(tmp_path / "in.mp4", audio=None)
    with pytest.raises(OutputError):
        clean_video(src, tmp_path / "out.mp4")
    assert not (tmp_path / "out.mp4").exists() and leftovers(tmp_path) == []


@pytest.mark.parametrize("style", ["mdta", "udta"])
def test_fixture_really_carries_metadata(tmp_path, style) -> None:
    info = probe_video(phone_video(tmp_path / "in.mp4", style))
    assert info["has_gps"]
    assert info["creation_time"].startswith("2024-05-01")
    assert any("gpmd" in s for s in info["data_streams"])
    assert any(s.startswith("subtitle") for s in info["data_streams"])
    assert any("tmcd" in s for s in info["data_streams"])
    assert any("cover art" in s for s in info["data_streams"]) == (style == "udta")
    assert info["streams"][0]["rotation"] == 90
    if style == "mdta":
        assert (info["make"], info["model"]) == ("Apple", "iPhone 15")
    tags = exiftool(tmp_path / "in.mp4")
    assert any("GPS" in k for k in tags)
    assert tags["Composite:Rotation"] == 270  # exiftool counts clockwise


@pytest.mark.parametrize("style", ["mdta", "udta"])
def test_clean_removes_all_metadata(tmp_path, style) -> None:
    src = phone_video(tmp_path / "in.mp4", style)
    dst = tmp_path / "out.mp4"
    result = clean_video(src, dst)

    assert isinstance(result, VideoResult)
    assert (result.frames, result.width, result.height, result.had_audio) == (10, 48, 64, True)
    kinds = sorted(d.split(" #")[0] for d in result.dropped_streams)
    assert kinds == ["data", "data", "subtitle"] + (["video"] if style == "udta" else [])
    assert leftovers(tmp_path) == []

    tags = exiftool(dst)
    assert not [k for k in tags if re.search("gps|location|coordinates", k, re.I)]
    for key, value in tags.items():
        if "Date" in key:
            assert value == "0000:00:00 00:00:00", key
    forbidden = {"Encoder", "Make", "Model", "Title", "Artist", "Comment", "CompressorName", "CreationTime"}
    forbidden |= {
        "TimeCode",
        "Text",
        "OtherFormat",
        "MetaFormat",
        "HandlerDescription",
        "Track1Name",
        "CoverArt",
    }
    assert not [k for k in tags if k.split(":", 1)[1] in forbidden]
    assert tags.get("Composite:Rotation", 0) == 0
    assert tags["QuickTime:MatrixStructure"] == "1 0 0 0 1 0 0 0 1"
    text = json.dumps(tags)
    assert not [s for s in SECRETS if s in text]
    raw = dst.read_bytes()
    assert not [s for s in SECRETS if s.encode() in raw]

    with av.open(str(dst)) as out:
        assert [s.type for s in out.streams] == ["video", "audio"]
        assert out.streams.video[0].codec_context.name == "h264"
        assert out.streams.video[0].codec_context.pix_fmt == "yuv420p"
        assert out.streams.audio[0].codec_context.name == "aac"
        assert set(out.metadata) <= STRUCTURAL_TAGS
        for stream in out.streams:
            assert stream.metadata in ({}, {"language": "und"})
        assert out.chapters() == []
        first = next(out.decode(video=0))
        assert first.rotation == 0
        side = {sd.type for sd in first.side_data}
        assert SideDataType.DISPLAYMATRIX not in side and SideDataType.SEI_UNREGISTERED not in side

    info = probe_video(dst)
    assert not info["has_gps"] and info["data_streams"] == [] and info["creation_time"] is None
    assert info["make"] is None and info["model"] is None


#: display rotation (counter-clockwise), mirrored?, np.rot90 turns that give the upright picture
TURNS = [(90, False, 1), (-90, False, -1), (180, False, 2), (0, True, 0)]


@pytest.mark.parametrize(("rotation", "hflip", "k"), TURNS)
def test_rotation_is_applied_to_pixels(tmp_path, rotation, hflip, k) -> None:
    src = make_video(tmp_path / "in.mp4", rotation=rotation, hflip=hflip, audio=None)
    result = clean_video(src, tmp_path / "out.mp4")
    expected = np.rot90(picture(), k)
    if hflip:
        expected = expected[:, ::-1]
    assert (result.height, result.width) == expected.shape[:2]
    frames = decoded(tmp_path / "out.mp4")
    assert len(frames) == 10
    for frame in frames:
        assert frame.shape == expected.shape
        mask, want = red_mask(frame), red_mask(expected)
        assert (mask & want).sum() / (mask | want).sum() > 0.7


def test_iter_frames_gives_upright_frames(tmp_path) -> None:
    src = make_video(tmp_path / "in.mp4", rotation=90, audio=None)
    frames = list(iter_frames(src))
    assert len(frames) == 10 and frames[0].shape == (64, 48, 3) and frames[0].dtype == np.uint8
    assert red_mask(frames[0])[-8:, :8].mean() > 0.7


def test_audio_drop_writes_no_audio(tmp_path) -> None:
    src = make_video(tmp_path / "in.mp4")
    result = clean_video(src, tmp_path / "out.mp4", audio="drop")
    assert not result.had_audio
    assert [d.split(" #")[0] for d in result.dropped_streams] == ["audio"]
    with av.open(str(tmp_path / "out.mp4")) as out:
        assert [s.type for s in out.streams] == ["video"]


def test_input_without_audio(tmp_path) -> None:
    result = clean_video(make_video(tmp_path / "in.mp4", audio=None), tmp_path / "out.mp4")
    assert not result.had_audio and result.dropped_streams == []


@pytest.mark.parametrize(
    ("name", "fmt", "vcodec", "pix_fmt", "acodec", "rate"),
    [
        ("in.mov", "mov", "libx264", "yuv420p", "pcm_s16le", 22050),
        ("in.m4v", "mp4", "libx264", "yuv420p", "aac", 48000),
        ("in.mkv", "matroska", "libx264", "yuv420p", "flac", 44100),
        ("in.webm", "webm", "libvpx-vp9", "yuv420p", "libopus", 48000),
        ("in.avi", "avi", "mpeg4", "yuv420p", "libmp3lame", 44100),
        ("in.wmv", "asf", "wmv2", "yuv420p", "wmav2", 44100),
    ],
)
def test_supported_containers(tmp_path, name, fmt, vcodec, pix_fmt, acodec, rate) -> None:
    src = make_video(tmp_path / name, fmt=fmt, vcodec=vcodec, pix_fmt=pix_fmt, audio=acodec, audio_rate=rate)
    dst = tmp_path / "out.mp4"
    result = clean_video(src, dst)
    assert (result.frames, result.width, result.height, result.had_audio) == (10, 64, 48, True)
    with av.open(str(dst)) as out:
        assert out.format.name.startswith("mov,")
        assert [s.codec_context.name for s in out.streams] == ["h264", "aac"]
        assert out.streams.audio[0].codec_context.sample_rate == rate
        assert abs(out.duration / av.time_base - 1.0) < 0.15
    assert red_mask(decoded(dst)[5])[:8, :8].mean() > 0.7


@pytest.mark.parametrize(
    ("layout", "rate", "want_channels", "want_rate"), [("5.1", 48000, 2, 48000), ("stereo", 8000, 2, 8000)]
)
def test_audio_is_resampled_to_aac(tmp_path, layout, rate, want_channels, want_rate) -> None:
    src = make_video(tmp_path / "in.mkv", fmt="matroska", audio="pcm_s16le", audio_rate=rate, layout=layout)
    clean_video(src, tmp_path / "out.mp4")
    with av.open(str(tmp_path / "out.mp4")) as out:
        ctx = out.streams.audio[0].codec_context
        assert (ctx.name, ctx.channels, ctx.sample_rate) == ("aac", want_channels, want_rate)
        samples = sum(frame.samples for frame in out.decode(audio=0))
    assert abs(samples / want_rate - 1.0) < 0.1


def test_variable_frame_rate_keeps_frame_times(tmp_path) -> None:
    times = [0, 100, 150, 400, 500, 520, 900, 1000, 1300, 1310]
    src = make_video(tmp_path / "in.mkv", fmt="matroska", pts_ms=times, audio=None)
    clean_video(src, tmp_path / "out.mp4")
    with av.open(str(tmp_path / "out.mp4")) as out:
        got = [round(frame.time * 1000) for frame in out.decode(video=0)]
    assert got == times


def test_odd_frame_size_is_padded_to_even(tmp_path) -> None:
    src = make_video(tmp_path / "in.mov", fmt="mov", vcodec="png", pix_fmt="rgb24", size=(63, 47), audio=None)
    result = clean_video(src, tmp_path / "out.mp4")
    assert (result.width, result.height) == (64, 48)
    assert decoded(tmp_path / "out.mp4")[0].shape == (48, 64, 3)


def test_frame_filter_is_applied_to_every_frame(tmp_path) -> None:
    src = make_video(tmp_path / "in.mp4", rotation=90)
    seen: list[tuple[int, tuple[int, ...]]] = []

    def black(rgb: np.ndarray, index: int) -> np.ndarray:
        seen.append((index, rgb.shape))
        return np.zeros_like(rgb)

    result = transcode(src, tmp_path / "out.mp4", frame_filter=black)
    assert seen == [(i, (64, 48, 3)) for i in range(10)]
    frames = decoded(tmp_path / "out.mp4")
    assert len(frames) == result.frames == 10
    assert max(int(frame.max()) for frame in frames) <= 12


def test_bad_frame_filter_result_leaves_nothing(tmp_path) -> None:
    src = make_video(tmp_path / "in.mp4", audio=None)
    with pytest.raises(ValueError, match="frame_filter"):
        transcode(src, tmp_path / "out.mp4", frame_filter=lambda rgb, i: rgb[:10])
    assert not (tmp_path / "out.mp4").exists() and leftovers(tmp_path) == []


# --- hostile and broken input --------------------------------------------------------------


def _truncated_third(folder: Path) -> Path:
    data = make_video(folder / "whole.mp4", frames=30).read_bytes()
    (folder / "whole.mp4").unlink()
    target = folder / "in.mp4"
    target.write_bytes(data[: len(data) // 3])
    return target


def _cut_at_sample(folder: Path) -> Path:
    """A faststart MP4 (index first) cut exactly where a video sample starts: no partial packet."""
    whole = make_video(folder / "whole.mp4", frames=30, options={"movflags": "+faststart"})
    with av.open(str(whole)) as container:
        cut = container.streams.video[0].index_entries[20].pos
    data = whole.read_bytes()
    whole.unlink()
    (folder / "in.mp4").write_bytes(data[:cut])
    return folder / "in.mp4"


def _garbage_inside(folder: Path) -> Path:
    whole = make_video(folder / "whole.mp4", frames=30, options={"movflags": "+faststart"})
    data = bytearray(whole.read_bytes())
    whole.unlink()
    middle = len(data) // 2
    data[middle : middle + 2000] = np.random.default_rng(1).integers(0, 256, 2000, dtype=np.uint8).tobytes()
    (folder / "in.mp4").write_bytes(bytes(data))
    return folder / "in.mp4"


def _write(folder: Path, name: str, data: bytes) -> Path:
    (folder / name).write_bytes(data)
    return folder / name


BAD_INPUTS = {
    "missing": lambda folder: folder / "nothing-here.mp4",
    "zero-byte": lambda folder: _write(folder, "in.mp4", b""),
    "random-bytes": lambda folder: _write(folder, "in.mp4", np.random.default_rng(0).bytes(50_000)),
    "truncated-third": _truncated_third,
    "cut-at-sample": _cut_at_sample,
    "garbage-inside": _garbage_inside,
    "folder": lambda folder: (folder / "dir.mp4").mkdir() or folder / "dir.mp4",
    "audio-only": lambda folder: make_video(folder / "in.mkv", fmt="matroska", frames=0, audio="aac"),
    "png-image": lambda folder: make_video(
        folder / "in.png", fmt="image2", vcodec="png", pix_fmt="rgb24", frames=1, audio=None
    ),
}


@pytest.mark.parametrize("kind", sorted(BAD_INPUTS))
def test_bad_input_is_input_error_and_leaves_nothing(tmp_path, kind) -> None:
    src = BAD_INPUTS[kind](tmp_path)
    dst = tmp_path / "out.mp4"
    with pytest.raises(InputError) as info:
        clean_video(src, dst)
    assert "\n" not in str(info.value)
    assert not dst.exists()
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize("kind", ["missing", "zero-byte", "random-bytes", "truncated-third"])
def test_probe_refuses_unreadable_files(tmp_path, kind) -> None:
    with pytest.raises(InputError):
        probe_video(BAD_INPUTS[kind](tmp_path))


def test_failed_clean_keeps_existing_output(tmp_path) -> None:
    dst = tmp_path / "out.mp4"
    dst.write_bytes(b"old")
    with pytest.raises(InputError):
        clean_video(_truncated_third(tmp_path), dst)
    assert dst.read_bytes() == b"old" and leftovers(tmp_path) == []


def test_too_many_pixels_is_refused(tmp_path, monkeypatch) -> None:
    src = make_video(tmp_path / "in.mp4", audio=None)
    monkeypatch.setattr(video_mod, "MAX_VIDEO_PIXELS", 64 * 48 - 1)
    with pytest.raises(TooLargeError):
        clean_video(src, tmp_path / "out.mp4")
    assert not (tmp_path / "out.mp4").exists() and leftovers(tmp_path) == []


def test_output_errors(tmp_path) -> None:
    src = make_video(tmp_path / "in.mp4", audio=None)
    with pytest.raises(OutputError):
        clean_video(src, tmp_path / "no-such-folder" / "out.mp4")
    with pytest.raises(OutputError):
        clean_video(src, src)
    with pytest.raises(ValueError):
        clean_video(src, tmp_path / "out.mp4", audio="mute")  # type: ignore[arg-type]


def test_output_is_private_and_replaces_atomically(tmp_path) -> None:
    src = make_video(tmp_path / "in.mp4", audio=None)
    dst = tmp_path / "out.mp4"
    dst.write_bytes(b"old")
    clean_video(src, dst)
    assert dst.read_bytes()[4:8] == b"ftyp"
    assert os.stat(dst).st_mode & 0o077 == 0
    assert leftovers(tmp_path) == []


def test_a_video_in_memory_is_read_and_written_in_memory(tmp_path, monkeypatch) -> None:
    """A MemoryFile in, a MemoryFile out (the web app, every system): the same clean MP4 as from files,
    rotation applied, metadata gone, and nothing written to the folder or the temp folder."""
    import tempfile

    from safepost.media.memfile import MemoryFile
    from safepost.media.video import frame_rate, iter_frames, probe_video, video_shape

    src = make_video(tmp_path / "in.mp4", rotation=90, tags={"location": "+48.8584+002.2945/"})
    data = src.read_bytes()
    src.unlink()
    own_temp = tmp_path / "tmp"
    own_temp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(own_temp))
    source, out = MemoryFile("in.mp4", data), MemoryFile("out.mp4")
    assert video_shape(source) == (64, 48, True) and frame_rate(source) == 10.0
    assert probe_video(source)["has_gps"] and len(list(iter_frames(source))) == 10
    result = transcode(source, out)
    assert result.frames == 10 and out.data[4:8] == b"ftyp" and list(tmp_path.rglob("*.*")) == []
    written = MemoryFile("out.mp4", out.data)
    assert not probe_video(written)["has_gps"] and b"udta" not in out.data
    (tmp_path / "in.mp4").write_bytes(data)
    transcode(tmp_path / "in.mp4", tmp_path / "from-file.mp4")
    assert (tmp_path / "from-file.mp4").read_bytes() == out.data  # the same file as from disk
    frames = list(iter_frames(written))
    assert frames[0].shape == (64, 48, 3) and red_mask(frames[0])[:8, :8].mean() < 0.5  # turned upright


def test_a_damaged_or_huge_index_video_in_memory_is_refused_by_name() -> None:
    from safepost.core import InputError, TooLargeError
    from safepost.media.memfile import MemoryFile
    from safepost.media.video import video_shape
    from tests.media.test_resource_limits import _small_mp4, _with_edit_list

    with pytest.raises(InputError, match=r"^clip\.mp4 is not a video safepost can read"):
        video_shape(MemoryFile("clip.mp4", b"\x00\x00\x00\x08ftyp" + b"\x00" * 64))
    with pytest.raises(InputError, match=r"clip\.mp4 is empty"):
        video_shape(MemoryFile("clip.mp4"))
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "p.mp4"
        _small_mp4(path)
        bomb = _with_edit_list(path.read_bytes(), 200_000)
    with pytest.raises(TooLargeError, match="edit list of 200,000 entries"):
        video_shape(MemoryFile("clip.mp4", bomb))
