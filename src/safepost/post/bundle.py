"""A post bundle on disk: a folder with ``post.yaml``, the text, the media and an optional ``review.yaml``."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from pydantic import BaseModel, ValidationError

from safepost.core import InputError, OutputError, TooLargeError
from safepost.media.atomic import atomic_write_bytes
from safepost.post.review import Review
from safepost.post.schema import PostMeta
from safepost.words import Phrase, field_problems, yaml_problem

POST_FILE = "post.yaml"
REVIEW_FILE = "review.yaml"
MAX_TEXT_BYTES = 1_000_000
MAX_MEDIA_BYTES = 2 * 1024**3

SCAFFOLD = """\
# A post to check with `safepost check {folder}`. Every field is explained in docs/post-check.md.
text_file: post.txt
media: []                     # photo and video files in this folder, e.g. [march.jpg]
platforms: [instagram]        # facebook, instagram, x, tiktok, youtube, whatsapp, telegram, ...
audience: public              # public, closed (a group) or internal
account: organisation         # organisation, personal or anonymous
purpose: advocacy             # checked against what people consented to
event: null                   # registry id of the event, e.g. E-3K9Q2A
publish_at: null              # planned time, e.g. 2026-12-01T18:00:00Z
location_sensitivity: medium  # low, medium or high
people: []                    # registry ids of people known to appear
source:
  kind: own                   # own, or third-party (then fill in the fields below)
  url: null
  uploader: null
  uploader_contactable: null
  consent: unknown            # obtained, refused or unknown
  benefit: ""
  risk_to_filmer: null        # low, medium or high
  risk_to_people_shown: null
"""

REVIEW_SCAFFOLD = """\
# Reviewer decisions (docs/post-check.md). Region ids come from `safepost check --format json`.
keep: []    # - {media: march.jpg, region: f2, person_id: P-XXXXXX}
add: []     # - {media: march.jpg, box: [10, 20, 110, 140], label: tattoo}
drop: []    # - {media: march.jpg, box: [412, 80, 470, 150]}  (not a face; the report gives the line)
names: []   # - {text: Ana, person_id: P-XXXXXX}
"""


@dataclass
class Post:
    """A post held in memory: its metadata, its text and its media bytes by file name."""

    meta: PostMeta
    text: str
    media: dict[str, bytes] = field(default_factory=dict)
    review: Review = field(default_factory=Review)
    ref: str = ""  # where it came from, for reports and publication records


def _read_yaml(path: Path, model: type[BaseModel], what: str):
    try:
        text = path.read_text(encoding="utf-8")
        data = yaml.safe_load(text)
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        raise InputError(Phrase("{file} is not UTF-8 text: save it as UTF-8 in your editor.", file=str(path))) from exc
    except yaml.YAMLError as exc:
        raise InputError(yaml_problem(str(path), exc)) from exc
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise InputError(f"{path} must be a YAML mapping of {what} fields")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise InputError(field_problems(str(path), exc, model, text)) from exc


def _read_bytes(path: Path, limit: int, what: str) -> bytes:
    if not path.is_file():
        raise InputError(f"{what} {path.name} is missing from the bundle folder {path.parent}")
    if path.stat().st_size > limit:
        raise TooLargeError(f"{what} {path.name} is larger than {limit // 1024**2} MB")
    try:
        return path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror or exc}") from exc


def load_post(folder: str | os.PathLike[str]) -> Post:
    """Read a bundle folder. Everything is checked before anything is analysed."""
    folder = Path(folder)
    if not (folder / POST_FILE).is_file():
        raise InputError(f"{folder} is not a post bundle: it has no {POST_FILE} (make one with `safepost new-post`)")
    meta = _read_yaml(folder / POST_FILE, PostMeta, "post")
    if meta.text_file is not None:
        raw = _read_bytes(_inside(folder, meta.text_file), MAX_TEXT_BYTES, "text file")
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise InputError(f"{meta.text_file} is not UTF-8 text") from exc
    else:
        text = meta.text or ""
    media = {name: _read_bytes(_inside(folder, name), MAX_MEDIA_BYTES, "media file") for name in meta.media}
    review = Review()
    if (folder / REVIEW_FILE).is_file():
        review = _read_yaml(folder / REVIEW_FILE, Review, "review")
    unknown = {item.media for item in [*review.keep, *review.add, *review.drop]} - set(meta.media)
    if unknown:
        raise InputError(f"{REVIEW_FILE} names media not in the post: {', '.join(sorted(unknown))}")
    return Post(meta=meta, text=text, media=media, review=review, ref=str(folder.resolve()))


def _inside(folder: Path, name: str) -> Path:
    path = (folder / name).resolve()
    if folder.resolve() not in path.parents:
        raise InputError(f"{name} is outside the bundle folder")
    return path


def new_post(folder: str | os.PathLike[str]) -> Path:
    """Scaffold an empty bundle: post.yaml, post.txt and review.yaml with comments. Never overwrites."""
    folder = Path(folder)
    if (folder / POST_FILE).exists():
        raise OutputError(f"{folder / POST_FILE} already exists; not overwriting it")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"cannot create {folder}: {exc.strerror or exc}") from exc
    atomic_write_bytes(folder / POST_FILE, SCAFFOLD.format(folder=folder).encode())
    if not (folder / "post.txt").exists():
        atomic_write_bytes(folder / "post.txt", b"")
    if not (folder / REVIEW_FILE).exists():
        atomic_write_bytes(folder / REVIEW_FILE, REVIEW_SCAFFOLD.encode())
    return folder


def dump_yaml(model: BaseModel) -> bytes:
    data = model.model_dump(mode="json", exclude_none=False)
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True).encode()
