"""Facebook "Download your information", JSON format.

Layout this reader is based on: the Accounts Center export as of 2024 (not checked against a real
export; fixtures follow this description), with the older 2020-2023 names as fallbacks:

* ``your_facebook_activity/posts/your_posts__check_ins__photos_and_videos_1.json`` (older:
  ``posts/your_posts_1.json``): an array of posts ``{"timestamp", "data": [{"post": text}],
  "title", "attachments": [{"data": [{"media": {"uri", "description", "media_metadata":
  {"photo_metadata": {"exif_data": [{"latitude", "longitude", "upload_ip"}]}}}}, {"place":
  {"name", "coordinate": {"latitude", "longitude"}, "address"}}, {"event": {...}}]}],
  "tags": [{"name"}]}``; media ``uri`` paths are relative to the export's root; an ``upload_ip``
  is export metadata no one sees on the post: it goes to ``platform_data``, not the post's text;
* ``your_facebook_activity/comments_and_reactions/comments.json``: ``{"comments_v2": [...]}``;
* ``your_facebook_activity/groups/*.json`` and ``pages/*.json``: groups joined and pages liked
  (``{"<key>_v2": [{"name" or "title", "timestamp", "data": [{"name"}]}]}``).

Facebook writes every non-ASCII character as its UTF-8 bytes in ``\\u00XX`` escapes
("Bogot\\u00c3\\u00a1" for "Bogotá"); :func:`fix_mojibake` repairs every string.
"""

from __future__ import annotations

from typing import Any

from safepost.archive.formats._common import (
    Reader,
    ReadResult,
    each_dict,
    expect,
    fix_mojibake,
    hashtags_in,
    iso_from_unix,
    load_json,
    media_ref,
    mentions_in,
    place_from,
    text_of,
    unique,
)
from safepost.archive.items import ArchiveItem, MediaRef, Place
from safepost.archive.source import ExportSource

POSTS = (
    "your_facebook_activity/posts/your_posts__check_ins__photos_and_videos_",
    "posts/your_posts_",
)


def declared_place(media: dict) -> Place | None:
    """The position Facebook or Instagram recorded for an uploaded photo (``exif_data``)."""
    metadata = media.get("media_metadata")
    if not isinstance(metadata, dict):
        return None
    for block in metadata.values():
        if isinstance(block, dict):
            for exif in each_dict(block.get("exif_data")):
                if place := place_from(exif.get("latitude"), exif.get("longitude"), source="upload metadata"):
                    return place
    return None


def upload_ip(media: dict) -> str:
    metadata = media.get("media_metadata")
    for block in metadata.values() if isinstance(metadata, dict) else []:
        if isinstance(block, dict):
            for exif in each_dict(block.get("exif_data")):
                if text_of(exif.get("upload_ip")):
                    return exif["upload_ip"]
    return ""


class FacebookReader(Reader):
    name = "facebook"
    title = "Facebook (Download your information, JSON)"
    layout = "Facebook DYI JSON, Accounts Center layout (2024; 2020-2023 names as fallbacks)"

    def _post_files(self, source: ExportSource) -> list[str]:
        found = []
        for name in source.names():
            for stem in POSTS:
                index = name.find(stem)
                if (index == 0 or (index > 0 and name[index - 1] == "/")) and name.endswith(".json"):
                    found.append(name)
                    break
        return sorted(found)

    def detect(self, source: ExportSource, focus: str | None) -> bool:
        return bool(self._post_files(source)) and not source.find("content/posts_1.json")

    def read(self, source: ExportSource, focus: str | None) -> ReadResult:
        result = ReadResult(format=self.name, layout=self.layout, items=[])
        files = self._post_files(source)
        root = ""
        for stem in POSTS:
            if stem in files[0]:
                root = files[0][: files[0].index(stem)]
                break
        for name in files:
            posts = expect(fix_mojibake(load_json(source, name)), list, name)
            for index, post in enumerate(each_dict(posts)):
                item, ips = self._post(post, name, index, root)
                result.items.append(item)
                for ip in ips:
                    result.platform_data.append(
                        {"what": "IP address Facebook recorded for an upload", "value": ip, "where": item.where}
                    )
        activity = root + "your_facebook_activity/"
        comments = activity + "comments_and_reactions/comments.json"
        if source.exists(comments):
            self._comments(fix_mojibake(load_json(source, comments)), comments, result)
        for folder, kind in (("groups/", "group"), ("pages/", "page")):
            for name in source.names():
                if name.startswith(activity + folder) and name.endswith(".json"):
                    self._memberships(fix_mojibake(load_json(source, name)), name, kind, result)
        if any(m.kind == "photo" for i in result.items for m in i.media) and not any(
            source.exists(m.path) for i in result.items for m in i.media
        ):
            result.notes.append("the export lists photos but holds none of them (exported without media?)")
        return result

    def _post(self, post: dict, name: str, index: int, root: str) -> tuple[ArchiveItem, list[str]]:
        """The post, and the upload IPs its media carry (export metadata no one sees on the post)."""
        texts = [text_of(d.get("post")) for d in each_dict(post.get("data"))]
        places: list[Place] = []
        media: list[MediaRef] = []
        ips = []
        for attachment in each_dict(post.get("attachments")):
            for data in each_dict(attachment.get("data")):
                if isinstance(data.get("media"), dict):
                    item = data["media"]
                    if text_of(item.get("uri")):
                        media.append(media_ref(root + item["uri"], declared_place(item)))
                    texts.append(text_of(item.get("description")))
                    ips.append(upload_ip(item))
                if isinstance(data.get("place"), dict):
                    places.append(_place(data["place"]))
                if isinstance(data.get("event"), dict):
                    event = data["event"]
                    texts.append("Event: " + text_of(event.get("name")))
                    if isinstance(event.get("place"), dict):
                        places.append(_place(event["place"]))
                texts.append(text_of(data.get("text")))
        text = "\n".join(unique(texts))
        tagged = [text_of(t.get("name")) if isinstance(t, dict) else text_of(t) for t in post.get("tags") or []]
        return ArchiveItem(
            id=f"fb-post:{name.rsplit('_', 1)[-1].split('.')[0]}:{index}",
            platform=self.name,
            kind="post",
            where=f"{name}#{index}",
            date=iso_from_unix(post.get("timestamp")),
            text=text,
            author=text_of(post.get("title")),
            hashtags=hashtags_in(text),
            mentions=mentions_in(text),
            tagged=unique(tagged),
            places=[p for p in places if p],
            media=media,
        ), unique(ips)

    def _comments(self, data: Any, name: str, result: ReadResult) -> None:
        entries = data.get("comments_v2", []) if isinstance(data, dict) else data
        for index, entry in enumerate(each_dict(entries)):
            texts = [
                text_of(d["comment"].get("comment"))
                for d in each_dict(entry.get("data"))
                if isinstance(d.get("comment"), dict)
            ]
            text = "\n".join(t for t in texts if t)
            result.items.append(
                ArchiveItem(
                    id=f"fb-comment:{index}",
                    platform=self.name,
                    kind="comment",
                    where=f"{name}#{index}",
                    date=iso_from_unix(entry.get("timestamp")),
                    text=text,
                    author=text_of(entry.get("title")),
                    hashtags=hashtags_in(text),
                    mentions=mentions_in(text),
                )
            )

    def _memberships(self, data: Any, name: str, kind: str, result: ReadResult) -> None:
        lists = [v for v in data.values() if isinstance(v, list)] if isinstance(data, dict) else [data]
        for entries in lists:
            for index, entry in enumerate(each_dict(entries)):
                names = [text_of(d.get("name")) for d in each_dict(entry.get("data"))] + [text_of(entry.get("name"))]
                label = unique(names)
                title = text_of(entry.get("title"))
                if not label and not title:
                    continue
                result.items.append(
                    ArchiveItem(
                        id=f"fb-{kind}:{name.rsplit('/', 1)[-1]}:{index}",
                        platform=self.name,
                        kind=kind,
                        where=f"{name}#{index}",
                        date=iso_from_unix(entry.get("timestamp")),
                        text=title,
                        url=text_of(entry.get("url")),
                        groups=label or [title],
                    )
                )


def _place(place: dict) -> Place | None:
    coordinate = place.get("coordinate") if isinstance(place.get("coordinate"), dict) else {}
    label = ", ".join(p for p in (text_of(place.get("name")), text_of(place.get("address"))) if p)
    return place_from(coordinate.get("latitude"), coordinate.get("longitude"), label, "check-in")
