"""Does a face detector still find a face inside our masks? A quick check per style and seed.

    .venv/bin/python benchmarks/mask_faces_found.py [--data DIR] [--styles mosaic,noise,solid] [--seeds 1,2,3]

The detector half of ``reidentify.py`` without the face recogniser (no dlib needed, a few minutes):
every GT face of 64 px or more is masked (with the detections of the photo), saved as JPEG, cut out
with its surroundings, and searched with our thorough detector. Prints, per style and seed, how
many masked faces are found at score >= 0.5 and at any score. Random fills are seeded here.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import reidentify as R  # noqa: E402 - shares the probe selection, crops and "covers" rule

from safepost.anonymize.masks import apply_masks  # noqa: E402
from safepost.anonymize.spec import MaskSpec  # noqa: E402
from safepost.core import Region  # noqa: E402
from safepost.detect.faces import FaceDetector  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default="../shared/eval/faces", help="eval folder, relative to the repo root")
    ap.add_argument("--styles", default="mosaic,noise,solid")
    ap.add_argument("--seeds", default="1,2,3")
    ap.add_argument("--min-size", type=float, default=64.0)
    args = ap.parse_args(argv)
    data = (ROOT / args.data).resolve()
    styles, seeds = args.styles.split(","), [int(s) for s in args.seeds.split(",")]
    probes = R.select_probes(R.load_entries(data, None), args.min_size)
    detector = FaceDetector("thorough")
    found = {(st, sd): [0, 0] for st in styles for sd in seeds}
    for rel in dict.fromkeys(p.file for p in probes):
        rgb = R.load_rgb(data / rel)
        mine = [p for p in probes if p.file == rel]
        regions = detector.detect(rgb) + [Region(f"gt{i}", "face", *p.box, source="gt") for i, p in enumerate(mine)]
        for style in styles:
            for seed in seeds:
                rng = np.random.default_rng(seed)
                image = R.jpeg_roundtrip(apply_masks(rgb, regions, MaskSpec(style=style), rng=rng))
                for p in mine:
                    crop, box = R.crop_around(image, p.box)
                    hits = [[r.x0, r.y0, r.x1, r.y1, r.score] for r in detector.detect(crop)]
                    ours = np.array(hits, np.float32).reshape(-1, 5)
                    found[style, seed][0] += R.covers(ours[ours[:, 4] >= R.SURE_SCORE], box)
                    found[style, seed][1] += R.covers(ours, box)
    print(f"{len(probes)} masked faces of {args.min_size:.0f} px or more in {data}")
    print(f"{'style':<10} {'seed':>4} {'score >= 0.5':>13} {'any score':>10}")
    for (style, seed), (sure, any_) in found.items():
        print(f"{style:<10} {seed:>4} {sure:>13} {any_:>10}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
