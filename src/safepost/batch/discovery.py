"""Find the files of IN_DIR and plan where each one's anonymised copy goes in OUT_DIR.

Rules (docs/batch.md):

* hidden files and folders (name starting with ``.``) are left out;
* a symbolic link is followed only when it points to a regular file inside IN_DIR; links to
  anything outside, linked folders, and special files (pipes, devices) are ``skipped``;
* the kind of a file is read from its first bytes; files that are not photos, videos or PDFs
  (text, office documents, archives) are ``skipped``; a damaged file with a media name is tried,
  and fails;
* outputs mirror the input tree: photos keep their name, videos become ``NAME.mp4``, PDFs
  ``NAME.pdf``; a photo with a name safepost cannot write becomes ``NAME.EXT.png``. When two
  inputs would get the same output name, the one keeping its own name wins and the other gets
  its full name plus the new extension (``clip.mov`` beside ``clip.mp4`` -> ``clip.mov.mp4``).
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass, replace
from pathlib import Path, PurePosixPath

from safepost.core import InputError, OutputError, SafepostError, UnsupportedFormatError
from safepost.media import sniff
from safepost.media.images import format_for_extension

VIDEO_SUFFIXES = frozenset({".mp4", ".m4v", ".mov", ".avi", ".wmv", ".asf", ".mkv", ".webm", ".3gp", ".3g2"})


@dataclass(frozen=True)
class Item:
    """One file found in IN_DIR: what to do with it, or why not."""

    rel: str
    path: Path
    family: str | None = None
    out_rel: str | None = None
    #: set when the file is not processed: ``skipped`` (not media, link outside) or ``failed``
    status: str | None = None
    reason: str | None = None
    exit_code: int | None = None


def check_folders(in_dir: Path, out_dir: Path) -> tuple[Path, Path]:
    """Both folders made absolute; refuses nested or identical folders and a foreign OUT_DIR."""
    from safepost.batch.manifest import MANIFEST_NAME

    if not in_dir.is_dir():
        raise InputError(f"{in_dir} is not a folder")
    source = in_dir.resolve()
    target = out_dir.expanduser().resolve()
    if target == source or target.is_relative_to(source):
        raise OutputError(f"the output folder {out_dir} is inside the input folder {in_dir}; choose another one")
    if source.is_relative_to(target):
        raise OutputError(f"the input folder {in_dir} is inside the output folder {out_dir}; choose another one")
    if target.exists() and not target.is_dir():
        raise OutputError(f"{out_dir} exists and is not a folder")
    if target.is_dir() and not (target / MANIFEST_NAME).is_file():
        if any(not p.name.startswith(".") for p in target.iterdir()):
            raise OutputError(
                f"{out_dir} is not empty and holds no {MANIFEST_NAME} of an earlier batch; "
                "choose an empty or new folder so that no file of yours is overwritten"
            )
    return source, target


def discover(in_dir: Path) -> list[Item]:
    """Every visible file under ``in_dir`` (absolute), sorted by path, classified and planned."""
    items: list[Item] = []
    for root, dirs, files in os.walk(in_dir, followlinks=False):
        folder = Path(root)
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in list(dirs):
            if (folder / name).is_symlink():
                dirs.remove(name)
                items.append(_skip(in_dir, folder / name, "a linked folder; links to folders are not followed"))
        for name in sorted(files):
            if not name.startswith("."):
                items.append(_classify(in_dir, folder / name))
    return plan_outputs(sorted(items, key=lambda item: item.rel))


def _rel(in_dir: Path, path: Path) -> str:
    return path.relative_to(in_dir).as_posix()


def _skip(in_dir: Path, path: Path, reason: str) -> Item:
    return Item(_rel(in_dir, path), path, status="skipped", reason=reason)


def _classify(in_dir: Path, path: Path) -> Item:
    try:
        info = path.lstat()
        if stat.S_ISLNK(info.st_mode):
            target = path.resolve()
            if not target.is_relative_to(in_dir):
                return _skip(in_dir, path, "a link to a file outside the input folder; not followed")
            info = target.stat()
    except OSError as exc:
        return Item(
            _rel(in_dir, path), path, status="failed", reason=f"cannot read {path}: {exc.strerror}", exit_code=3
        )
    if not stat.S_ISREG(info.st_mode):
        return _skip(in_dir, path, "not a regular file")
    media_name = _is_media_name(path.name)
    if info.st_size == 0 and not media_name:
        return _skip(in_dir, path, "an empty file")
    try:
        family = sniff.sniff(path)
    except SafepostError as exc:
        return Item(_rel(in_dir, path), path, status="failed", reason=str(exc), exit_code=exc.exit_code)
    if family == sniff.OFFICE:
        return _skip(in_dir, path, "an office document or zip archive; export it to PDF to include it")
    if family == sniff.UNKNOWN and not media_name:
        return _skip(in_dir, path, "not a photo, video or PDF")
    return Item(_rel(in_dir, path), path, family=sniff.IMAGE if family == sniff.UNKNOWN else family)


def _is_media_name(name: str) -> bool:
    suffix = PurePosixPath(name).suffix.lower()
    return suffix in VIDEO_SUFFIXES or suffix == ".pdf" or _image_suffix(suffix)


def _image_suffix(suffix: str) -> bool:
    try:
        format_for_extension(suffix)
    except UnsupportedFormatError:
        return False
    return bool(suffix)


def natural_output(rel: str, family: str) -> str:
    """Where the output of ``rel`` goes when no other input claims the same name."""
    path = PurePosixPath(rel)
    suffix = path.suffix.lower()
    if family == sniff.VIDEO:
        return str(path.with_suffix(".mp4"))
    if family == sniff.PDF:
        return str(path.with_suffix(".pdf"))
    if suffix == ".mpo":
        return str(path.with_suffix(".jpg"))
    return rel if _image_suffix(suffix) else rel + ".png"


def _fallback_output(rel: str, family: str) -> str:
    natural = PurePosixPath(natural_output(rel, family))
    return rel if natural.suffix == PurePosixPath(rel).suffix else rel + natural.suffix


def plan_outputs(items: list[Item]) -> list[Item]:
    """Give every item to process an output name no other item has (compared ignoring case)."""
    taken: dict[str, str] = {}
    planned: dict[str, str] = {}
    todo = [item for item in items if item.status is None]
    keeps_name = [i for i in todo if natural_output(i.rel, i.family) == i.rel]
    renamed = [i for i in todo if natural_output(i.rel, i.family) != i.rel]
    for item in keeps_name + renamed:
        for candidate in (natural_output(item.rel, item.family), _fallback_output(item.rel, item.family)):
            if candidate.casefold() not in taken:
                taken[candidate.casefold()] = item.rel
                planned[item.rel] = candidate
                break
    result = []
    for item in items:
        if item.status is None and item.rel not in planned:
            clash = taken[natural_output(item.rel, item.family).casefold()]
            item = replace(item, status="failed", reason=f"its output name is already used by {clash}", exit_code=7)
        elif item.status is None:
            item = replace(item, out_rel=planned[item.rel])
        result.append(item)
    return result
