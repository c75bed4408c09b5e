#!/usr/bin/env python3
"""Archive audit (A1) throughput and recall on a generated account archive.

Builds a synthetic export (default: an X archive of 20,000 tweets, or a WhatsApp chat of as many
messages) in a temporary folder outside the repo, with planted risks every ~500 items (a registry
name without consent, a phone number, an affiliation hashtag) and media (photos with GPS, photos
with a face, plain photos), plus a registry of people in a temporary encrypted workspace. Then runs
``safepost.flows.archive.audit_archive`` with the real text check and face detector and prints:

* text items per second (text phase alone) and media items per second (counted separately);
* planted risks found / planted, and whether each planted item ranks above every harmless one;
* top-of-ranking precision (planted items among the top K, K = number planted) and false alarms
  (harmless items at level low or above) beside recall, with decoys planted among the harmless
  items: the account's own @handle, score lines, sports hashtags (#FreeKickFriday, #AllStarVote);
* coverage: media analysed / media in the export (photos in ``data/tweet_media/``, the 2019-2020
  layout, with ``--x-layout 2019``; tweets whose video is missing from the export);
* the load average at start and end (other processes share the CPU).

``--data DIR`` instead audits every export in DIR (zip, folder or chat file; no workspace) and
prints, per export, the coverage line (items read / found, media analysed / found) and throughput.

There is no anchor: no offline tool audits account archives (PRODUCT.md, "Looking back"); the
figures are printed beside the issue's targets (every planted item found, >= 200 text items/s).

    .venv/bin/python benchmarks/archive.py [--items 20000] [--media 60] [--people 200] [--platform x|whatsapp]
                                           [--x-layout 2019|2024] [--json]
    .venv/bin/python benchmarks/archive.py --data DIR [--no-media] [--json]

Nothing is kept: the export and the workspace live in a temporary folder deleted at the end.
Results also go to benchmarks/out/archive/results.json.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform as host
import random
import sys
import tempfile
import time
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

import numpy as np  # noqa: E402
from PIL import ExifTags, Image  # noqa: E402

from safepost.consent import people as registry_people  # noqa: E402
from safepost.flows.archive import AuditOptions, audit_archive  # noqa: E402
from safepost.workspace.db import Workspace  # noqa: E402
from safepost.workspace.keys import KdfParams  # noqa: E402

TARGET_TEXT_RATE = 200.0
PASSPHRASE = "benchmark passphrase, not a secret"
FIRST = ["Ana", "Ben", "Carla", "Dawit", "Elif", "Farid", "Grace", "Hugo", "Ines", "Jamal", "Kemi", "Luis", "Mariam"]
LAST = ["Ruiz", "Okafor", "Lind", "Mbeki", "Haddad", "Nguyen", "Silva", "Kaya", "Petrov", "Diallo", "Rossi", "Tanaka"]
WORDS = (
    "today we shared food with families in the north district thanks to volunteers who came early the workshop "
    "on water rights was full and the next one is on friday bring a friend and a notebook our report is out read "
    "it and share it with people who care about clean rivers schools and safe streets for everyone"
).split()
SAMPLE = REPO / "src" / "safepost" / "samples" / "astronaut.jpg"


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def load() -> str:
    return " ".join(f"{v:.2f}" for v in os.getloadavg())


def jpeg(rgb: np.ndarray, gps: bool) -> bytes:
    exif = Image.Exif()
    if gps:
        exif[ExifTags.IFD.GPSInfo] = {1: "N", 2: (4.0, 36.0, 35.0), 3: "W", 4: (74.0, 4.0, 54.0)}
    buffer = io.BytesIO()
    Image.fromarray(rgb).save(buffer, "JPEG", quality=88, exif=exif)
    return buffer.getvalue()


def media_set(count: int, rng: random.Random) -> list[tuple[str, bytes]]:
    """(kind, bytes): a third GPS photos (no face), a third face photos, a third plain photos."""
    face = np.asarray(Image.open(SAMPLE).convert("RGB"))
    out = []
    for n in range(count):
        kind = ("gps", "face", "plain")[n % 3]
        noise = np.random.default_rng(n).integers(60, 200, (480, 640, 3), dtype=np.uint8)
        if kind == "face":
            noise[:512, 64:576] = face[:480] if noise.shape[0] < 512 else face
        elif kind == "plain":
            noise[:] = np.linspace(30, 220, 640, dtype=np.uint8)[None, :, None]
        out.append((kind, jpeg(noise, gps=kind == "gps")))
    rng.shuffle(out)
    return out


def sentence(rng: random.Random) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(12, 30)))


HANDLE = "bench_2019"
#: harmless texts that an over-eager audit flags (archive-specific false alarms)
DECOYS = (
    f"RT @{HANDLE}: our report is out",
    f"thanks @{HANDLE} for the invite",
    "Final score 3-1, next match 2-0 #FreeKickFriday",
    "voting is open #AllStarVote",
    "#StrikerOfTheMonth goes to our goalkeeper",
)


def plant_text(n: int, people: list[str], rng: random.Random) -> tuple[str, str | None]:
    """Text of item n and the risk planted in it (every ~500 items one of three kinds; decoys every ~100)."""
    text = sentence(rng)
    if n % 100 == 57:
        return f"{text} {DECOYS[(n // 100) % len(DECOYS)]}", None
    if n % 500 == 17:
        return f"{text} with {rng.choice(people)} at the clinic", "name"
    if n % 500 == 217:
        return f"{text} call +57 300 {rng.randint(100, 999)} {rng.randint(1000, 9999)}", "phone"
    if n % 500 == 417:
        return f"{text} #HuelgaGeneral", "hashtag"
    return text, None


def build_x(
    folder: Path, items: int, media: list, people: list[str], rng: random.Random, layout: str = "2024"
) -> tuple[Path, dict]:
    planted: dict[str, str] = {}
    tweets, files = [], {}
    media_folder = "data/tweet_media/" if layout == "2019" else "data/tweets_media/"
    media_at = {int((i + 0.5) * items / max(1, len(media))): m for i, m in enumerate(media)}
    for n in range(items):
        tweet_id = str(10**15 + n)
        text, risk = plant_text(n, people, rng)
        tweet = {
            "id_str": tweet_id,
            "full_text": text,
            "created_at": "Wed Oct 10 20:19:24 +0000 2018",
            "entities": {"hashtags": [], "user_mentions": []},
        }
        if n in media_at:
            kind, data = media_at[n]
            files[f"{media_folder}{tweet_id}-m{n}.jpg"] = data
            url = f"https://pbs.twimg.com/media/m{n}.jpg"
            entry = {"id_str": f"9{n}", "type": "photo", "media_url_https": url}
            tweet["extended_entities"] = {"media": [entry]}
            risk = risk or (kind if kind != "plain" else None)
        elif n % 1000 == 617:  # a video the archive did not include
            video = {"url": f"https://video.twimg.com/ext_tw_video/1/pu/vid/640x360/v{n}.mp4", "bitrate": 832000}
            entry = {"id_str": f"8{n}", "type": "video", "video_info": {"variants": [video]}}
            tweet["extended_entities"] = {"media": [entry]}
            risk = risk or "missing"
        if risk:
            planted[f"tweet:{tweet_id}"] = risk
        tweets.append({"tweet": tweet})
    files["data/tweets.js"] = "window.YTD.tweets.part0 = " + json.dumps(tweets)
    files["data/account.js"] = f'window.YTD.account.part0 = [{{"account": {{"username": "{HANDLE}"}}}}]'
    path = folder / "x-archive.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return path, planted


def build_whatsapp(folder: Path, items: int, media: list, people: list[str], rng: random.Random) -> tuple[Path, dict]:
    planted: dict[str, str] = {}
    lines, files = [], {}
    media_at = {int((i + 0.5) * items / max(1, len(media))): m for i, m in enumerate(media)}
    for n in range(items):
        stamp = f"[{1 + n % 28:02d}/{1 + n // 28 % 12:02d}/2024, 09:{n % 60:02d}:00]"
        text, risk = plant_text(n, people, rng)
        if n in media_at:
            kind, data = media_at[n]
            name = f"{n:08d}-PHOTO-2024-01-01-09-00-00.jpg"
            files[name] = data
            text = f"\u200e<attached: {name}>"
            risk = kind if kind != "plain" else None
        lines.append(f"{stamp} {rng.choice(['Bea', 'Carlos', 'Me'])}: {text}")
        if risk:
            planted[f"wa:_chat.txt:L{n + 1}"] = risk
    files["_chat.txt"] = "\n".join(lines) + "\n"
    path = folder / "WhatsApp Chat - Bench.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return path, planted


def coverage_of(report, media_in_export: int | None = None) -> dict:
    """Coverage figures from the report (``report.coverage`` when the audit computes it)."""
    cov = getattr(report, "coverage", None)
    if cov:
        keys = ("items_read", "items_found", "media_analysed", "media_found", "media_not_analysed_by_reason")
        return {k: cov[k] for k in keys}
    stats = report.stats
    found = media_in_export if media_in_export is not None else stats["media_files_read"]
    return {
        "items_read": stats["items"],
        "items_found": None,
        "media_analysed": stats["media_files_read"],
        "media_found": found,
    }


def coverage_line(cov: dict) -> str:
    items = f"{cov['items_read']:,} / {cov['items_found']:,}" if cov["items_found"] is not None else "?"
    text = f"items read {items} found; media analysed {cov['media_analysed']:,} / {cov['media_found']:,} found"
    reasons = cov.get("media_not_analysed_by_reason") or {}
    return text + (" (" + ", ".join(f"{n:,} {r}" for r, n in reasons.items()) + ")" if reasons else "")


def run_data(folder: Path, media: bool, as_json: bool) -> int:
    """Audit every export in ``folder``; print coverage and throughput per export."""
    from safepost.core import SafepostError

    rows = []
    for export in sorted(folder.iterdir()):
        began = time.perf_counter()
        try:
            report = audit_archive(export, options=AuditOptions(media=media, thumbnails=False))
        except SafepostError as exc:
            rows.append({"export": export.name, "error": f"{type(exc).__name__}: {exc}"[:300]})
            print(f"{export.name}: refused or unreadable: {rows[-1]['error']}")
            continue
        wall = time.perf_counter() - began
        cov = coverage_of(report)
        top = [
            max(r.reasons + r.media_reasons, key=lambda x: x.points).kind
            for r in report.items[:10]
            if r.reasons + r.media_reasons
        ]
        rows.append(
            {
                "export": export.name,
                "format": report.export["format"],
                **cov,
                "wall_seconds": round(wall, 2),
                "text_items_per_second": report.stats["text_items_per_second"],
                "media_items_per_second": report.stats["media_items_per_second"],
                "top10_main_reasons": top,
            }
        )
        print(
            f"{export.name} ({report.export['format']}): {coverage_line(cov)}; "
            f"{report.stats['text_items_per_second'] or 0:.0f} text items/s, "
            f"{report.stats['media_items_per_second'] or 0:.2f} media items/s, wall {wall:.1f} s; "
            f"top 10 by main reason: {', '.join(top) or '-'}"
        )
    out = REPO / "benchmarks" / "out" / "archive"
    out.mkdir(parents=True, exist_ok=True)
    (out / "data.json").write_text(json.dumps(rows, indent=2) + "\n")
    if as_json:
        print(json.dumps(rows, indent=2))
    return 0 if all("error" not in r for r in rows) else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=20_000)
    parser.add_argument("--media", type=int, default=60)
    parser.add_argument("--people", type=int, default=200)
    parser.add_argument("--platform", choices=["x", "whatsapp"], default="x")
    parser.add_argument("--x-layout", choices=["2019", "2024"], default="2024", help="tweet_media/ or tweets_media/")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--data", type=Path, help="audit every export in this folder instead (coverage, throughput)")
    parser.add_argument("--no-media", action="store_true", help="with --data: skip photos and videos")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if args.data:
        return run_data(args.data, not args.no_media, args.json)
    rng = random.Random(args.seed)
    load_start = load()
    with tempfile.TemporaryDirectory(prefix="safepost-archive-bench-") as tmp:
        folder = Path(tmp)
        ws = Workspace.create(folder / "ws", PASSPHRASE, kdf=KdfParams.insecure_fast(), actor="benchmark")
        pool = sorted({f"{f} {a} {b}" for f in FIRST for a in LAST for b in LAST if a != b})
        names = rng.sample(pool, min(args.people, len(pool)))
        registry_people.add_people(ws, [registry_people.make_person(n) for n in names])
        log(f"building a {args.platform} export of {args.items:,} items and {args.media} photos ...")
        if args.platform == "x":
            export, planted = build_x(folder, args.items, media_set(args.media, rng), names, rng, args.x_layout)
        else:
            export, planted = build_whatsapp(folder, args.items, media_set(args.media, rng), names, rng)
        log(f"auditing {export.name} ({export.stat().st_size:,} bytes), load {load_start} ...")
        began = time.perf_counter()
        report = audit_archive(export, workspace=ws, options=AuditOptions())
        wall = time.perf_counter() - began
        ws.close()
    load_end = load()
    ranked = {r.id: (rank, r) for rank, r in enumerate(report.items)}
    expected = {
        "name": "name_no_consent",
        "phone": "pii",
        "hashtag": "affiliation_generic",
        "gps": "gps_media",
        "face": "face",
        "missing": "media_missing",
    }
    found: dict[str, list[int]] = {k: [0, 0] for k in expected if k in planted.values()}
    for item_id, risk in planted.items():
        found[risk][1] += 1
        hit = ranked.get(item_id)
        if hit and expected[risk] in {x.kind for x in hit[1].reasons + hit[1].media_reasons}:
            found[risk][0] += 1
    risky = {i for i, risk in planted.items() if risk != "missing"}  # a missing file ranks low by design
    top_k = [r.id for r in report.items[: len(risky)]]
    precision = sum(1 for i in top_k if i in risky) / max(1, len(top_k))
    false_alarms = [r for r in report.items if r.id not in planted and r.score >= 10]
    planted_ranks = [ranked[i][0] for i in risky if i in ranked]
    harmless_ranked = [rank for item_id, (rank, r) in ranked.items() if item_id not in planted and r.score >= 10]
    above = not harmless_ranked or not planted_ranks or max(planted_ranks) < min(harmless_ranked)
    stats = report.stats
    cov = coverage_of(report, args.media + sum(1 for r in planted.values() if r == "missing"))
    results = {
        "platform": args.platform,
        "x_layout": args.x_layout if args.platform == "x" else None,
        "items": stats["items"],
        "media_items": stats["media_items"],
        "registry_people": len(names),
        "text_seconds": stats["text_seconds"],
        "text_items_per_second": stats["text_items_per_second"],
        "media_seconds": stats["media_seconds"],
        "media_items_per_second": stats["media_items_per_second"],
        "wall_seconds": round(wall, 2),
        "planted": {k: {"found": v[0], "planted": v[1]} for k, v in found.items()},
        "top_k_precision": round(precision, 3),
        "top_k": len(top_k),
        "false_alarms": len(false_alarms),
        "false_alarm_reasons": sorted({x.kind for r in false_alarms for x in r.reasons + r.media_reasons}),
        "planted_all_above_harmless": above,
        "coverage": cov,
        "load_average_start": load_start,
        "load_average_end": load_end,
        "cpus": os.cpu_count(),
        "python": host.python_version(),
    }
    out = REPO / "benchmarks" / "out" / "archive"
    out.mkdir(parents=True, exist_ok=True)
    (out / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    if args.json:
        print(json.dumps(results, indent=2))
    rate = stats["text_items_per_second"] or 0.0
    all_found = all(v[0] == v[1] for v in found.values())
    print(
        f"archive audit, {args.platform}, {stats['items']:,} items ({stats['media_items']} with photos), "
        f"{len(names)} registry people; load {load_start} -> {load_end} ({os.cpu_count()} CPUs)"
    )
    print(f"{'figure':<34}{'safepost':>14}{'anchor':>10}{'target':>12}")
    verdict = "PASS" if rate >= TARGET_TEXT_RATE else "FAIL"
    print(f"{'text items / s':<34}{rate:>14.0f}{'none':>10}{'>= 200':>12}  {verdict}")
    media_rate = stats["media_items_per_second"] or 0.0
    print(f"{'media items / s (separately)':<34}{media_rate:>14.2f}{'none':>10}{'-':>12}")
    for risk, (hit, total) in found.items():
        print(
            f"{'planted ' + risk + ' found':<34}{f'{hit}/{total}':>14}{'none':>10}{'all':>12}  "
            f"{'PASS' if hit == total else 'FAIL'}"
        )
    print(f"{'top-' + str(len(top_k)) + ' precision':<34}{precision:>14.3f}{'none':>10}{'1.000':>12}")
    print(f"{'false alarms (harmless, >= low)':<34}{len(false_alarms):>14}{'none':>10}{'0':>12}")
    print(
        f"{'planted ranked above harmless':<34}{str(above):>14}{'none':>10}{'True':>12}  {'PASS' if above else 'FAIL'}"
    )
    print(f"coverage: {coverage_line(cov)}")
    print(f"wall {wall:.1f} s (text {stats['text_seconds']:.1f} s, media {stats['media_seconds']:.1f} s)")
    return 0 if all_found and rate >= TARGET_TEXT_RATE else 1


if __name__ == "__main__":
    sys.exit(main())
