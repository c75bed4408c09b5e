"""`safepost demo`: anonymise the bundled public-domain samples (see samples/LICENSES.md)."""

from __future__ import annotations

from collections.abc import Callable
from importlib import resources
from pathlib import Path

from PIL import Image

from safepost.api import redact_file
from safepost.core import OutputError
from safepost.detect.faces import FaceDetector


def sample_paths() -> list[Path]:
    """The sample photos that ship inside the package."""
    folder = resources.files("safepost") / "samples"
    return sorted(Path(str(p)) for p in folder.iterdir() if p.name.endswith(".jpg"))


def _metadata_summary(path: Path) -> str:
    with Image.open(path) as im:
        exif = im.getexif()
        gps = bool(exif.get_ifd(0x8825))
        return f"{len(exif)} EXIF tag(s){', GPS position' if gps else ''}"


def run_demo(output: Path, echo: Callable[[str], None] = print) -> list:
    """Redact every sample into ``output`` and describe what happened."""
    try:
        output.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"cannot create the demo folder {output}: {exc}") from exc
    detector = FaceDetector("thorough")
    results = []
    for sample in sample_paths():
        result = redact_file(sample, output, detector=detector)
        results.append(result)
        echo(f"{sample.name}: {result.faces_found} face(s) found and masked -> {result.output}")
        echo(f"  metadata before: {_metadata_summary(sample)}; after: {_metadata_summary(result.output)}")
    echo(f"Open the files in {output} to see the result. The originals were not changed.")
    return results
