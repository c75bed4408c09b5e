"""`safepost demo`: anonymise the bundled public-domain samples (see samples/LICENSES.md)."""

from __future__ import annotations

from collections.abc import Callable
from importlib import resources
from pathlib import Path

from PIL import Image

from safepost.core import OutputError
from safepost.flows.media import redact_file
from safepost.words import Phrase


def sample_paths() -> list[Path]:
    """The sample photos that ship inside the package."""
    folder = resources.files("safepost") / "samples"
    return sorted(Path(str(p)) for p in folder.iterdir() if p.name.endswith(".jpg"))


def _metadata_summary(path: Path) -> str:
    with Image.open(path) as im:
        exif = im.getexif()
        gps = bool(exif.get_ifd(0x8825))
        tags = Phrase("{n} EXIF tag(s)", n=len(exif))
        return Phrase("{tags}, GPS position", tags=tags) if gps else tags


def _level(level: str) -> str:
    """'BLOCKED', 'LOW' ... in the locale's language."""
    from safepost.report import LEVEL_NAMES

    return Phrase(LEVEL_NAMES[level]).upper()


def run_demo(output: Path, echo: Callable[[str], None] = print) -> list:
    """Redact every sample into ``output`` and describe what happened."""
    try:
        output.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"cannot create the demo folder {output}: {exc}") from exc
    results = []
    for sample in sample_paths():
        result = redact_file(sample, output)  # the one shared detector of the mode (detect.faces.face_detector)
        results.append(result)
        found = Phrase("{n} face(s) found and masked", n=result.faces_found)
        echo(f"{sample.name}: {found} -> {result.output}")
        before, after = _metadata_summary(sample), _metadata_summary(result.output)
        echo("  " + Phrase("metadata before: {before}; after: {after}", before=before, after=after))
    echo(Phrase("Open the files in {output} to see the result. The originals were not changed.", output=output))
    _post_demo(output, echo)
    return results


DEMO_PASSPHRASE = "demo only - not a real workspace"
DEMO_TEXT = "Thanks to Eileen Collins and Tomás Ferreira for speaking at today's open day! Call us: +1 202 555 0143."


def _post_demo(output: Path, echo: Callable[[str], None]) -> None:
    """The post check on a sample post: a demo registry, a risky post, the report, the safe bundle."""
    import shutil

    import yaml

    from safepost.consent import events, people, registry
    from safepost.flows.post import analyse_post
    from safepost.flows.post_render import previews
    from safepost.flows.prepare import prepare_post
    from safepost.media.atomic import atomic_write_bytes
    from safepost.post import load_post, new_post
    from safepost.report import render_report
    from safepost.workspace.db import Workspace

    for leftover in ("demo-workspace", "demo-post", "demo-post-safe"):
        shutil.rmtree(output / leftover, ignore_errors=True)
    ws = Workspace.create(output / "demo-workspace", DEMO_PASSPHRASE, actor="safepost demo")
    try:
        eileen = people.add_person(ws, "Eileen Collins")
        people.add_person(ws, "Tomás Ferreira")
        events.add_event(ws, "E-DEMO", "Open day", starts_on="2026-01-10", ends_on="2026-01-10")
        registry.grant(
            ws,
            eileen.id,
            "face",
            recorded_by="demo",
            method="written",
            explained="Photos in our posts.",
            given_at="2026-01-01",
        )
        bundle = new_post(output / "demo-post")
        shutil.copy(sample_paths()[0], bundle / "astronaut.jpg")
        (bundle / "post.txt").write_text(DEMO_TEXT + "\n", encoding="utf-8")
        meta = yaml.safe_load((bundle / "post.yaml").read_text(encoding="utf-8"))
        meta.update(media=["astronaut.jpg"], platforms=["instagram"], event="E-DEMO", publish_at="2026-01-10T15:00:00Z")
        (bundle / "post.yaml").write_text(yaml.safe_dump(meta, sort_keys=False), encoding="utf-8")
        post = load_post(bundle)
        analysis = analyse_post(post, ws)
        before, after = previews(analysis)
        atomic_write_bytes(
            output / "demo-post-report.html", render_report(analysis.report, "html", before, after).encode()
        )
        echo("\n" + Phrase("Post check of {bundle}: {level}", bundle=bundle, level=_level(analysis.report.level)))
        for finding in analysis.report.findings:
            if finding.severity in ("high", "medium"):
                echo(f"  - {finding.title}: {finding.fix}")
        face = next(r for r in analysis.report.media[0].regions if r.kind == "face")
        review = {"keep": [{"media": "astronaut.jpg", "region": face.id, "person_id": eileen.id}]}
        (bundle / "review.yaml").write_text(yaml.safe_dump(review), encoding="utf-8")
        result = prepare_post(load_post(bundle), ws, output=output / "demo-post-safe")
        level = _level(result.after.level)
        echo(Phrase("After linking Eileen Collins's consent and `safepost prepare`: {level}", level=level))
        safe, report = output / "demo-post-safe", output / "demo-post-report.html"
        echo("  " + Phrase("safe bundle: {safe}; report: {report}", safe=safe, report=report))
    finally:
        ws.close()
