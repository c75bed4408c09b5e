"""Manual regions (M4): areas a person adds by hand, and detections a person drops.

A regions file is JSON (schema in docs/regions.md)::

    {
      "regions": [
        {"x": 120, "y": 40, "width": 60, "height": 80, "label": "tattoo"},
        {"x": 0, "y": 300, "width": 200, "height": 50, "file": "march.jpg", "frame": 0}
      ],
      "ignore": ["f3"]
    }

Coordinates are pixels of the upright image (after EXIF rotation), as ``--json`` prints them.
A region with ``file`` applies only to the input of that file name; ``frame`` (default: every
frame) picks one frame of an animation. ``ignore`` lists detection ids to leave unmasked.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path

from safepost.core import Region, RegionsFileError

_REGION_KEYS = {"x", "y", "width", "height", "label", "file", "frame"}


@dataclass
class ManualEdits:
    """Regions to add and detection ids to drop, as read from a regions file."""

    regions: list[dict] = field(default_factory=list)
    ignore: list[str] = field(default_factory=list)

    def regions_for(self, file_name: str, frame: int, n_frames: int, width: int, height: int) -> list[Region]:
        """Regions that apply to one frame of one input file, checked against its size."""
        out = []
        for n, spec in enumerate(self.regions, start=1):
            if spec.get("file") not in (None, file_name):
                continue
            if spec.get("frame") is not None:
                if spec["frame"] >= n_frames:
                    raise RegionsFileError(
                        f"manual region {n} is for frame {spec['frame']}, but {file_name} has {n_frames}"
                    )
                if spec["frame"] != frame:
                    continue
            x0, y0 = spec["x"], spec["y"]
            x1, y1 = x0 + spec["width"], y0 + spec["height"]
            if x0 >= width or y0 >= height:
                raise RegionsFileError(
                    f"manual region {n} starts at ({x0}, {y0}), outside {file_name} ({width}x{height})"
                )
            out.append(
                Region(
                    id=f"m{n}",
                    kind="manual",
                    x0=x0,
                    y0=y0,
                    x1=min(x1, width),
                    y1=min(y1, height),
                    source="user",
                    frame=frame,
                    label=str(spec.get("label", "")),
                )
            )
        return out


def _number(value, what: str, n: int) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise RegionsFileError(f"manual region {n}: '{what}' must be a number")
    return float(value)


def parse_edits(data) -> ManualEdits:
    """Validate a decoded regions document; every problem is a RegionsFileError."""
    if isinstance(data, list):
        data = {"regions": data}
    if not isinstance(data, dict):
        raise RegionsFileError("a regions file must be a JSON object with 'regions' and/or 'ignore'")
    unknown = set(data) - {"regions", "ignore"}
    if unknown:
        raise RegionsFileError(f"unknown key(s) in regions file: {', '.join(sorted(unknown))}")
    raw_regions = data.get("regions", [])
    if not isinstance(raw_regions, list):
        raise RegionsFileError("'regions' must be a list")
    regions = []
    for n, raw in enumerate(raw_regions, start=1):
        if not isinstance(raw, dict):
            raise RegionsFileError(f"manual region {n} must be an object with x, y, width, height")
        missing = {"x", "y", "width", "height"} - set(raw)
        if missing:
            raise RegionsFileError(f"manual region {n} lacks {', '.join(sorted(missing))}")
        extra = set(raw) - _REGION_KEYS
        if extra:
            raise RegionsFileError(f"manual region {n} has unknown key(s): {', '.join(sorted(extra))}")
        spec = {k: _number(raw[k], k, n) for k in ("x", "y", "width", "height")}
        if spec["x"] < 0 or spec["y"] < 0:
            raise RegionsFileError(f"manual region {n}: x and y cannot be negative")
        if spec["width"] <= 0 or spec["height"] <= 0:
            raise RegionsFileError(f"manual region {n}: width and height must be positive")
        if "frame" in raw:
            frame = raw["frame"]
            if isinstance(frame, bool) or not isinstance(frame, int) or frame < 0:
                raise RegionsFileError(f"manual region {n}: 'frame' must be a whole number from 0")
            spec["frame"] = frame
        for key in ("label", "file"):
            if key in raw:
                if not isinstance(raw[key], str):
                    raise RegionsFileError(f"manual region {n}: '{key}' must be text")
                spec[key] = raw[key]
        regions.append(spec)
    ignore = data.get("ignore", [])
    if not isinstance(ignore, list) or not all(isinstance(i, str) for i in ignore):
        raise RegionsFileError("'ignore' must be a list of detection ids such as \"f3\"")
    return ManualEdits(regions=regions, ignore=list(ignore))


def load_edits(path: str | Path) -> ManualEdits:
    """Read and validate a regions file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise RegionsFileError(f"cannot read regions file {path}: {exc}") from exc
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise RegionsFileError(f"regions file {path} is not valid JSON (line {exc.lineno}): {exc.msg}") from exc
    return parse_edits(data)
