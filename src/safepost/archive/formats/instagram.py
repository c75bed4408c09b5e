"""Instagram "Download your information", JSON format, with media.

Layout this reader is based on: the Accounts Center export as of 2024 (not checked against a real
export; fixtures follow this description), with the 2022-2023 ``content/`` names as fallbacks:

* ``your_instagram_activity/content/posts_1.json``: an array of posts ``{"media": [{"uri":
  "media/posts/202401/<id>.jpg", "creation_timestamp", "title", "media_metadata":
  {"photo_metadata": {"exif_data": [{"latitude", "longitude"}]}}}], "title", "creation_timestamp"}``
  (a single-photo post keeps its caption in ``media[0].title``); ``uri`` is relative to the root;
* ``your_instagram_activity/content/stories.json`` (``{"ig_stories": [media...]}``) and
  ``reels.json`` (``{"ig_reels_media": [{"media": [...]}]}``);
* ``connections/followers_and_following/following.json``: ``{"relationships_following":
  [{"title", "string_list_data": [{"href", "value", "timestamp"}]}]}``.

Text is escaped like Facebook's (UTF-8 bytes as ``\\u00XX``) and repaired the same way.
"""

from __future__ import annotations

from typing import Any

from safepost.archive.formats._common import (
    Reader,
    ReadResult,
    each_dict,
    fix_mojibake,
    hashtags_in,
    iso_from_unix,
    load_json,
    media_ref,
    mentions_in,
    text_of,
    unique,
)
from safepost.archive.formats.facebook import declared_place
from safepost.archive.items import ArchiveItem
from safepost.archive.source import ExportSource

CONTENT = ("your_instagram_activity/content/", "content/")


class InstagramReader(Reader):
    name = "instagram"
    title = "Instagram (Download your information, JSON)"
    layout = "Instagram DYI JSON, Accounts Center layout (2024; 2022-2023 content/ names as fallbacks)"

    def _content(self, source: ExportSource) -> str | None:
        for stem in CONTENT:
            for name in source.find(stem + "posts_1.json"):
                return name[: -len("posts_1.json")]
        return None

    def detect(self, source: ExportSource, focus: str | None) -> bool:
        return self._content(source) is not None

    def read(self, source: ExportSource, focus: str | None) -> ReadResult:
        content = self._content(source) or ""
        root = next(content[: -len(stem)] for stem in CONTENT if content.endswith(stem))
        result = ReadResult(format=self.name, layout=self.layout, items=[])
        for name in sorted(n for n in source.names() if n.startswith(content + "posts_") and n.endswith(".json")):
            data = fix_mojibake(load_json(source, name))
            for index, post in enumerate(each_dict(data if isinstance(data, list) else [])):
                result.items.append(self._post(post, name, index, root, "post"))
        stories = content + "stories.json"
        if source.exists(stories):
            data = fix_mojibake(load_json(source, stories))
            entries = data.get("ig_stories", []) if isinstance(data, dict) else []
            for index, story in enumerate(each_dict(entries)):
                result.items.append(self._post({"media": [story]}, stories, index, root, "story"))
        reels = content + "reels.json"
        if source.exists(reels):
            data = fix_mojibake(load_json(source, reels))
            entries = data.get("ig_reels_media", []) if isinstance(data, dict) else []
            for index, reel in enumerate(each_dict(entries)):
                result.items.append(self._post(reel, reels, index, root, "reel"))
        for following in source.find("followers_and_following/following.json")[:1]:
            self._following(fix_mojibake(load_json(source, following)), following, result)
        return result

    def _post(self, post: dict, name: str, index: int, root: str, kind: str) -> ArchiveItem:
        media_list = list(each_dict(post.get("media")))
        texts = [text_of(post.get("title"))] + [text_of(m.get("title")) for m in media_list]
        text = "\n".join(unique(texts))
        stamp = post.get("creation_timestamp") or next(
            (m.get("creation_timestamp") for m in media_list if m.get("creation_timestamp")), None
        )
        return ArchiveItem(
            id=f"ig-{kind}:{name.rsplit('/', 1)[-1].split('.')[0]}:{index}",
            platform=self.name,
            kind=kind,
            where=f"{name}#{index}",
            date=iso_from_unix(stamp),
            text=text,
            hashtags=hashtags_in(text),
            mentions=mentions_in(text),
            media=[media_ref(root + m["uri"], declared_place(m)) for m in media_list if text_of(m.get("uri"))],
        )

    def _following(self, data: Any, name: str, result: ReadResult) -> None:
        entries = data.get("relationships_following", []) if isinstance(data, dict) else []
        for index, entry in enumerate(each_dict(entries)):
            values = list(each_dict(entry.get("string_list_data")))
            handle = text_of(entry.get("title")) or next((text_of(v.get("value")) for v in values), "")
            if not handle:
                continue
            result.items.append(
                ArchiveItem(
                    id=f"ig-follow:{index}",
                    platform=self.name,
                    kind="follow",
                    where=f"{name}#{index}",
                    date=iso_from_unix(next((v.get("timestamp") for v in values), None)),
                    url=next((text_of(v.get("href")) for v in values), ""),
                    groups=[handle],
                )
            )
