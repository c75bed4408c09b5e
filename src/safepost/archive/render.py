"""The report as HTML (self-contained, thumbnails with faces masked), JSON or CSV, written atomically."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from safepost.archive.report import AuditReport
from safepost.core import OutputError
from safepost.media.atomic import atomic_write

FORMATS = ("html", "json", "csv")
#: the HTML lists this many items in full; JSON and CSV always hold every ranked item
HTML_ITEMS = 500
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def format_for(path: Path, chosen: str | None = None) -> str:
    if chosen:
        if chosen not in FORMATS:
            raise OutputError(f"unknown report format '{chosen}'; choose one of {', '.join(FORMATS)}")
        return chosen
    suffix = path.suffix.lower().lstrip(".")
    if suffix == "htm":
        return "html"
    if suffix not in FORMATS:
        raise OutputError(f"cannot tell the report format from '{path.name}': name it .html, .json or .csv")
    return suffix


def render(report: AuditReport, fmt: str) -> bytes:
    if fmt == "json":
        return json.dumps(report.to_dict(), indent=2, ensure_ascii=False).encode("utf-8") + b"\n"
    if fmt == "csv":
        return to_csv(report)
    if fmt == "html":
        return to_html(report)
    raise OutputError(f"unknown report format '{fmt}'")


def _cell(value: object) -> str:
    """A CSV cell that a spreadsheet will not run as a formula (the archive's text is not trusted)."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def to_csv(report: AuditReport) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(
        [
            "rank",
            "score",
            "level",
            "date",
            "platform",
            "kind",
            "where",
            "url",
            "why",
            "what_to_do",
            "people",
            "places",
            "affiliations",
            "faces",
            "excerpt",
        ]
    )
    for rank, item in enumerate(report.items, start=1):
        reasons = item.reasons + item.media_reasons
        writer.writerow(
            _cell(v)
            for v in (
                rank,
                item.score,
                item.level,
                item.date or "",
                item.platform,
                item.kind,
                item.where,
                item.url,
                " | ".join(f"{r.why} (+{r.points})" for r in sorted(reasons, key=lambda r: -r.points)),
                " | ".join(a["action"] for a in item.actions),
                "; ".join(f"{p['name']} ({p['person_id']})" for p in item.people),
                "; ".join(p["label"] for p in item.places),
                "; ".join(a["label"] for a in item.affiliations),
                max((m.get("faces", 0) for m in item.media), default=0),
                item.excerpt.replace("\r", " "),
            )
        )
    return buffer.getvalue().encode("utf-8-sig")


def to_html(report: AuditReport) -> bytes:
    from jinja2 import Environment, PackageLoader, select_autoescape

    env = Environment(
        loader=PackageLoader("safepost.archive", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
    )
    template = env.get_template("report.html")
    return template.render(
        report=report, items=report.items[:HTML_ITEMS], more=max(0, len(report.items) - HTML_ITEMS)
    ).encode("utf-8")


def write_report(report: AuditReport, path: str | Path, fmt: str | None = None, force: bool = False) -> Path:
    """Write the report to ``path`` in one go (format from the suffix unless ``fmt``)."""
    target = Path(path).expanduser()
    chosen = format_for(target, fmt)
    if target.exists() and not force:
        raise OutputError(f"{target} already exists; use --force to replace it")
    if target.is_dir():
        raise OutputError(f"{target} is a folder; give a file name ending in .html, .json or .csv")
    data = render(report, chosen)
    atomic_write(target, lambda out: out.write(data))
    return target
