"""Fuzz targets, one per reader (issue 18 item 10): mutated valid files never crash safepost.

Each target starts from valid seed files made in code and feeds the reader a stream of mutants
(bit flips, bytes set to boundary values, cut, duplicated or deleted runs, inserted garbage,
32-bit fields set to huge values). The only allowed outcomes are success or a
:class:`~safepost.core.SafepostError` with an exit code of its own (never 1, the "internal
error" code); any other exception is a crash. Where the reader writes an output, a refusal must
leave no output and no hidden part file behind.

Neither hypothesis nor atheris is a dependency, so the mutator is this file's own, seeded and
deterministic: a failure names the target, seed and iteration, and ``SAFEPOST_FUZZ_SEED`` replays
it. Each target runs for ``SAFEPOST_FUZZ_SECONDS`` (default 6; about 40 s for all on 2 cores) or
until it has tried ``SAFEPOST_FUZZ_MAX`` mutants; set them higher for a longer campaign.
Crashes found are kept as regression tests at the end of this file.
"""

from __future__ import annotations

import io
import json
import os
import random
import struct
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from safepost.core import SafepostError

# Damaged inputs make Pillow warn (corrupt EXIF, truncated TIFF tags): expected here, not news.
pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")

SECONDS = float(os.environ.get("SAFEPOST_FUZZ_SECONDS", "6"))
MAX_MUTANTS = int(os.environ.get("SAFEPOST_FUZZ_MAX", "100000"))
SEED = int(os.environ.get("SAFEPOST_FUZZ_SEED", "18"))
_BOUNDARY = (0x00, 0x01, 0x7F, 0x80, 0xFF)
_HUGE = (0xFFFFFFFF, 0x7FFFFFFF, 0x80000000, 0x00010000, 0)


def mutate(data: bytes, rng: random.Random) -> bytes:
    """One to four random edits of ``data``."""
    out = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        if not out:
            out = bytearray(rng.randbytes(8))
        kind = rng.randrange(7)
        at = rng.randrange(len(out))
        if kind == 0:
            out[at] ^= 1 << rng.randrange(8)
        elif kind == 1:
            out[at] = rng.choice(_BOUNDARY)
        elif kind == 2:
            del out[rng.randrange(1, len(out) + 1) :]  # truncated
        elif kind == 3:
            span = rng.randint(1, 64)
            del out[at : at + span]
        elif kind == 4:
            span = rng.randint(1, 64)
            out[at:at] = out[at : at + span]
        elif kind == 5:
            out[at:at] = rng.randbytes(rng.randint(1, 16))
        elif at + 4 <= len(out):
            struct.pack_into(">I", out, at, rng.choice(_HUGE))
    return bytes(out)


def fuzz(name: str, seeds: list[bytes], target: Callable[[bytes, int], None]) -> int:
    """Run ``target`` on mutants of ``seeds`` for the time budget; returns how many ran."""
    assert seeds
    rng = random.Random(f"{name}:{SEED}")
    for index, seed in enumerate(seeds):  # the seeds themselves must be accepted
        target(seed, -1 - index)
    deadline = time.monotonic() + SECONDS
    count = 0
    while time.monotonic() < deadline and count < MAX_MUTANTS:
        data = mutate(rng.choice(seeds), rng)
        try:
            target(data, count)
        except SafepostError as exc:
            assert exc.exit_code != 1, f"{name} mutant {count} (seed {SEED}): exit 1 for {exc}"
        except Exception as exc:  # noqa: BLE001 - any other exception is the crash we look for
            raise AssertionError(
                f"{name} mutant {count} (SAFEPOST_FUZZ_SEED={SEED}) crashed: {type(exc).__name__}: {exc}\n"
                f"input ({len(data)} bytes): {data[:200]!r}"
            ) from exc
        count += 1
    return count


def _clean_or_nothing(work: Path, name: str, data: bytes, index: int) -> None:
    """Clean ``data`` (as file ``name``) through the reader safepost picks; on refusal, no output at all."""
    from safepost.media.cleaner import cleaner_for, inspect

    folder = work / f"m{index}"
    folder.mkdir()
    source = folder / name
    source.write_bytes(data)
    target = folder / f"out{source.suffix}"
    try:
        try:
            inspect(source)
        finally:
            cleaner_for(source).write(target)
    except SafepostError:
        left = sorted(p.name for p in folder.iterdir())
        assert left == [name], f"a refused input left {left}"
        raise
    finally:
        for path in folder.iterdir():
            path.unlink()
        folder.rmdir()


def _picture(width: int = 48, height: int = 32) -> Image.Image:
    rng = np.random.default_rng(5)
    return Image.fromarray(rng.integers(0, 255, (height, width, 3), dtype=np.uint8))


def image_seeds() -> list[tuple[str, bytes]]:
    from safepost.media.images import ensure_heif_support

    ensure_heif_support()
    seeds = []
    for fmt, ext, options in (
        ("JPEG", ".jpg", {"quality": 80}),
        ("PNG", ".png", {}),
        ("GIF", ".gif", {}),
        ("WEBP", ".webp", {}),
        ("TIFF", ".tif", {}),
        ("BMP", ".bmp", {}),
        ("HEIF", ".heic", {}),
        ("AVIF", ".avif", {}),
    ):
        buffer = io.BytesIO()
        picture = _picture()
        if fmt in ("GIF", "PNG", "TIFF"):  # animations and pages too
            options = {**options, "save_all": True, "append_images": [_picture().rotate(90, expand=False)]}
        picture.save(buffer, format=fmt, **options)
        seeds.append((ext, buffer.getvalue()))
    return seeds


def test_fuzz_image_reader(tmp_path):
    from safepost.media.images import load_image

    seeds = image_seeds()
    by_data = {data: ext for ext, data in seeds}

    def target(data: bytes, index: int) -> None:
        ext = by_data.get(data) or seeds[index % len(seeds)][0]
        load_image(f"fuzz{ext}", data=data)  # in memory, as the web app and the post check read
        if index < 0 or index % 8 == 0:  # from disk, through clean: no output after a refusal
            _clean_or_nothing(tmp_path, f"fuzz{ext}", data, index)

    assert fuzz("image", [data for _, data in seeds], target) > 0


def video_seed() -> bytes:
    import av

    buffer = io.BytesIO()
    with av.open(buffer, "w", format="mp4") as out:
        stream = out.add_stream("libx264", rate=10, options={"preset": "ultrafast"})
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
        for n in range(4):
            pixels = np.full((48, 64, 3), 40 * n, np.uint8)
            out.mux(stream.encode(__import__("av").VideoFrame.from_ndarray(pixels, format="rgb24")))
        out.mux(stream.encode(None))
    return buffer.getvalue()


def test_fuzz_video_reader(tmp_path):
    def target(data: bytes, index: int) -> None:
        _clean_or_nothing(tmp_path, "fuzz.mp4", data, index)

    assert fuzz("video", [video_seed()], target) > 0


def pdf_seeds() -> list[bytes]:
    buffer = io.BytesIO()
    _picture(60, 80).save(buffer, format="PDF", save_all=True, append_images=[_picture(80, 60)], resolution=18)
    text_pdf = (
        b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
        b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
        b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 100 60]/Contents 4 0 R"
        b"/Resources<</Font<</F1<</Type/Font/Subtype/Type1/BaseFont/Helvetica>>>>>>>>endobj\n"
        b"4 0 obj<</Length 44>>stream\nBT /F1 12 Tf 10 20 Td (Ana Lopez) Tj ET\nendstream endobj\n"
        b"trailer<</Root 1 0 R>>\n%%EOF\n"
    )
    return [buffer.getvalue(), text_pdf]


def test_fuzz_pdf_reader(tmp_path):
    def target(data: bytes, index: int) -> None:
        _clean_or_nothing(tmp_path, "fuzz.pdf", data, index)

    assert fuzz("pdf", pdf_seeds(), target) > 0


def test_fuzz_csv_import():
    from safepost.consent.importer import parse, read_text

    header = "name,aliases,handles,languages,minor,guardian,notes,event,photo,guardian_consent\n"
    seeds = [
        (
            header + "Ana López,Anita,twitter:@ana;instagram:@ana_l,es,no,,,EV1,yes,\n"
            "Sam Okoro,,,en,yes,Joy Okoro +234 801,,EV1,yes,yes\n"
        ).encode(),
        "\ufeffname;minor;event;photo\r\nJosé;no;EV1;no\r\n".encode(),
        b"name\tlanguages\nLi Wei\tzh;en\n",
    ]

    def target(data: bytes, index: int) -> None:
        parse(read_text(data), lambda event: event == "EV1")

    assert fuzz("csv", seeds, target) > 0


def test_fuzz_post_bundle(tmp_path):
    import yaml

    from safepost.post.bundle import load_post, new_post

    scaffold = new_post(tmp_path / "scaffold")
    meta = yaml.safe_load((scaffold / "post.yaml").read_text())
    meta.update(media=["photo.jpg"], platforms=["instagram"], publish_at="2026-12-01T15:00:00Z")
    photo = io.BytesIO()
    _picture().save(photo, format="JPEG")
    review = {"keep": [{"media": "photo.jpg", "box": [1, 2, 20, 24], "person_id": "P1"}], "drop": []}
    files = {
        "post.yaml": yaml.safe_dump(meta).encode(),
        "post.txt": b"Join us on Friday #rights\n",
        "review.yaml": yaml.safe_dump(review).encode(),
    }
    names = list(files)

    def target(data: bytes, index: int) -> None:
        folder = tmp_path / f"b{index}"
        folder.mkdir()
        (folder / "photo.jpg").write_bytes(photo.getvalue())
        which = names[index % len(names)] if index >= 0 else None
        for name, original in files.items():  # one file of the bundle mutated at a time
            (folder / name).write_bytes(data if name == which else original)
        try:
            load_post(folder)
        finally:
            for path in folder.iterdir():
                path.unlink()
            folder.rmdir()

    assert fuzz("post bundle", list(files.values()), target) > 0


def archive_seeds() -> list[bytes]:
    tweets = [
        {
            "tweet": {
                "id_str": str(100 + n),
                "full_text": text,
                "created_at": f"Wed Oct {10 + n} 20:19:24 +0000 2018",
                "entities": {"hashtags": [], "user_mentions": [], "urls": []},
            }
        }
        for n, text in enumerate(["Meeting with Ana López today", "Call +44 20 7946 0958", "Sunset"])
    ]
    account = [{"account": {"username": "org", "accountId": "42", "accountDisplayName": "Org"}}]
    twitter = {
        "Your archive.html": "<html></html>",
        "data/account.js": "window.YTD.account.part0 = " + json.dumps(account),
        "data/tweets.js": "window.YTD.tweets.part0 = " + json.dumps(tweets),
    }
    whatsapp = {"WhatsApp Chat with Team.txt": "12/03/2024, 10:15 - Ana: see you at the square\n"}
    out = []
    for files in (twitter, whatsapp):
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for name, text in files.items():
                archive.writestr(name, text)
        out.append(buffer.getvalue())
    return out


def test_fuzz_archive_export(tmp_path):
    from safepost.archive import open_source, pick_reader

    def target(data: bytes, index: int) -> None:
        path = tmp_path / "export.zip"
        path.write_bytes(data)
        source, focus = open_source(path)
        reader = pick_reader(source, focus)
        reader.read(source, focus)
        reader.content_media(source, focus)

    assert fuzz("archive", archive_seeds(), target) > 0


# --- crashes the fuzz targets found, kept as regression tests -----------------------------------
