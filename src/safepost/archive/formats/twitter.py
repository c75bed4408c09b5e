"""X/Twitter account archive ("Download an archive of your data").

Layout this reader is based on: the archive X has delivered since its 2019 redesign, as it stood in
2024 (not checked against a real export; fixtures follow this description): ``Your archive.html``
and a ``data/`` folder of JavaScript files, each ``window.YTD.<name>.part<N> = [ ... ]`` around a JSON array:

* ``data/tweets.js`` (older: ``data/tweet.js``; big accounts: ``tweets-part1.js`` ...):
  ``[{"tweet": {"id_str", "full_text", "created_at": "Wed Oct 10 20:19:24 +0000 2018",
  "entities": {"hashtags", "user_mentions"}, "extended_entities": {"media"}, "coordinates",
  "geo", "place"}}]`` (archives of 2019 hold the tweet objects without the ``"tweet"`` wrapper);
* ``data/tweets_media/<tweet id>-<name>.jpg|mp4`` (2019-2020 archives: ``data/tweet_media/``):
  the photos and videos of those tweets; ``<name>`` is the last part of the media's
  ``media_url`` (photos) or of its video variant's URL (videos, GIFs). A photo or video the
  tweet's ``extended_entities`` lists but the archive does not hold is flagged as missing;
* ``data/community-tweet.js`` (``window.YTD.community_tweet``, media in
  ``community_tweet_media/``) and ``data/deleted-tweets.js`` (``deleted_tweets_media/``): same
  objects as tweets;
* ``data/account.js`` (username, display name), ``data/profile.js`` (bio, location),
  ``data/like.js`` (liked tweets' text), ``data/following.js`` and ``data/follower.js`` (account
  ids only), ``data/direct-messages*.js`` (messages, media in ``data/direct_messages_media/``);
* ``data/spaces-metadata.js`` (``window.YTD.spaces_metadata``): ``[{"space": {"id", "createdAt",
  "startedAt", "endedAt", "creatorUserId", "hostUserIds", "speakers": [{"userId"}], "title"?}}]``:
  live audio rooms the account hosted or spoke in; the archive holds no recording of them.
"""

from __future__ import annotations

import re
from typing import Any

from safepost.archive.formats._common import (
    Reader,
    ReadResult,
    decode_text,
    each_dict,
    expect,
    hashtags_in,
    head,
    iso_from,
    media_ref,
    mentions_in,
    parse_json,
    place_from,
    text_of,
    unique,
)
from safepost.archive.items import PHOTO, VIDEO, ArchiveItem, MediaRef
from safepost.archive.source import ExportSource
from safepost.core import InputError

_YTD = re.compile(r"^\s*window\.YTD\.(\w+)\.part(\d+)\s*=\s*")
_MEDIA_FOLDER = re.compile(r"(^|/)data/[a-z_]+_media/")
#: (file, id prefix, media folder) of the tweet-like files beside tweets.js
_OTHER_TWEETS = (
    ("community-tweet.js", "community-tweet", "community_tweet_media/"),
    ("deleted-tweets.js", "deleted-tweet", "deleted_tweets_media/"),
    ("deleted-tweet.js", "deleted-tweet", "deleted_tweets_media/"),
)
_TWEET_DATE = ("%a %b %d %H:%M:%S %z %Y",)
_ISO = ("%Y-%m-%dT%H:%M:%S.%f%z", "%Y-%m-%dT%H:%M:%S%z")


def load_ytd(source: ExportSource, name: str) -> list:
    """The JSON array inside ``window.YTD.x.partN = [...]``."""
    text = decode_text(source.read(name), name)
    match = _YTD.match(text)
    if not match:
        raise InputError(f"{name} does not start with 'window.YTD.<name>.part<N> =' as an X archive file does")
    return expect(parse_json(text[match.end() :].rstrip().rstrip(";"), name), list, name)


def _unwrap(entry: dict, key: str) -> dict:
    inner = entry.get(key)
    return inner if isinstance(inner, dict) else entry


class TwitterReader(Reader):
    name = "x"
    title = "X/Twitter archive"
    layout = "X archive, data/*.js with window.YTD prefix (2019 to 2024 layout)"

    def _tweet_files(self, source: ExportSource) -> list[str]:
        found = [n for n in source.names() if re.search(r"(^|/)data/tweets?(-part\d+)?\.js$", n)]
        return sorted(found, key=lambda n: (n.count("/"), n))

    def content_media(self, source: ExportSource, focus: str | None) -> list[str]:
        """Files in the ``data/*_media/`` folders (``assets/`` holds the archive viewer's icons)."""
        from safepost.archive.coverage import is_media_name

        return [n for n in source.names() if _MEDIA_FOLDER.search(n) and is_media_name(n)]

    def detect(self, source: ExportSource, focus: str | None) -> bool:
        return any(_YTD.match(head(source, n, 80)) for n in self._tweet_files(source)[:1]) or any(
            _YTD.match(head(source, n, 80)) for n in source.find("data/account.js")[:1]
        )

    def read(self, source: ExportSource, focus: str | None) -> ReadResult:
        anchors = source.find("data/account.js") or self._tweet_files(source)
        root = anchors[0].rsplit("data/", 1)[0] if anchors else ""
        data = root + "data/"
        result = ReadResult(format=self.name, layout=self.layout, items=[])
        username = self._account(source, data, result)
        folder = data + ("tweet_media/" if _has_folder(source, data + "tweet_media/") else "tweets_media/")
        media = _media_by_id(source, data + "tweets_media/")
        for tweet_id, paths in _media_by_id(source, data + "tweet_media/").items():
            media.setdefault(tweet_id, []).extend(paths)
        files = [(n, "tweet", folder, media) for n in self._tweet_files(source) if n.startswith(data)]
        for file_name, prefix, media_folder in _OTHER_TWEETS:
            if source.exists(data + file_name):
                other = _media_by_id(source, data + media_folder)
                files.append((data + file_name, prefix, data + media_folder, other))
        for name, prefix, media_folder, by_id in files:
            for index, entry in enumerate(each_dict(load_ytd(source, name))):
                tweet = _unwrap(entry, "tweet")
                item = self._tweet(tweet, name, index, username, by_id, media_folder, prefix)
                if item:
                    result.items.append(item)
                else:
                    result.skipped.append({"where": f"{name}#{index}", "reason": "a tweet without an id"})
        self._profile(source, data, result)
        self._likes(source, data, result)
        self._follows(source, data, result)
        self._messages(source, data, result)
        self._spaces(source, data, result)
        return result

    def _account(self, source: ExportSource, data: str, result: ReadResult) -> str:
        if not source.exists(data + "account.js"):
            result.notes.append("data/account.js is missing: links to posts use x.com/i/web/status/<id>")
            return ""
        for entry in each_dict(load_ytd(source, data + "account.js")):
            account = _unwrap(entry, "account")
            result.account = {
                "username": text_of(account.get("username")),
                "display_name": text_of(account.get("accountDisplayName")),
                "created": text_of(account.get("createdAt")),
                "account_id": str(account.get("accountId") or ""),
            }
            return result.account["username"]
        return ""

    def _tweet(
        self, tweet: dict, name: str, index: int, username: str, media: dict, folder: str, prefix: str = "tweet"
    ) -> ArchiveItem | None:
        tweet_id = str(tweet.get("id_str") or tweet.get("id") or "")
        if not tweet_id:
            return None
        text = text_of(tweet.get("full_text")) or text_of(tweet.get("text"))
        entities = tweet.get("entities") if isinstance(tweet.get("entities"), dict) else {}
        tags = [text_of(h.get("text")) for h in each_dict(entities.get("hashtags"))]
        mentions = [text_of(m.get("screen_name")) for m in each_dict(entities.get("user_mentions"))]
        places = []
        coordinates = tweet.get("coordinates")
        if isinstance(coordinates, dict) and isinstance(coordinates.get("coordinates"), list):
            lon_lat = coordinates["coordinates"] + [None, None]
            if place := place_from(lon_lat[1], lon_lat[0], source="tweet coordinates"):
                places.append(place)
        elif isinstance(tweet.get("geo"), dict) and isinstance(tweet["geo"].get("coordinates"), list):
            lat_lon = tweet["geo"]["coordinates"] + [None, None]
            if place := place_from(lat_lon[0], lat_lon[1], source="tweet geo"):
                places.append(place)
        if isinstance(tweet.get("place"), dict):
            label = text_of(tweet["place"].get("full_name")) or text_of(tweet["place"].get("name"))
            if label:
                places.append(place_from(None, None, label, "tweet place"))
        owner = username or "i/web"
        return ArchiveItem(
            id=f"{prefix}:{tweet_id}",
            platform=self.name,
            kind="post",
            where=f"{name}#{tweet_id}",
            date=iso_from(tweet.get("created_at"), _TWEET_DATE),
            text=text,
            url=f"https://x.com/{owner}/status/{tweet_id}",
            hashtags=unique(tags + hashtags_in(text)),
            mentions=unique(mentions + mentions_in(text)),
            places=places,
            media=tweet_media(tweet, tweet_id, media.get(tweet_id, []), folder),
        )

    def _profile(self, source: ExportSource, data: str, result: ReadResult) -> None:
        if not source.exists(data + "profile.js"):
            return
        for entry in each_dict(load_ytd(source, data + "profile.js")):
            profile = _unwrap(entry, "profile")
            description: Any = profile.get("description") if isinstance(profile.get("description"), dict) else {}
            bio, location = text_of(description.get("bio")), text_of(description.get("location"))
            pictures = [n for n in source.names() if n.startswith(data + "profile_media/")]
            result.items.append(
                ArchiveItem(
                    id="profile",
                    platform=self.name,
                    kind="profile",
                    where=data + "profile.js",
                    text="\n".join(p for p in (bio, text_of(description.get("website"))) if p),
                    url=f"https://x.com/{result.account.get('username', '')}",
                    hashtags=hashtags_in(bio),
                    mentions=mentions_in(bio),
                    places=[place_from(None, None, location, "profile location")] if location else [],
                    media=[media_ref(p) for p in pictures],
                )
            )

    def _likes(self, source: ExportSource, data: str, result: ReadResult) -> None:
        if not source.exists(data + "like.js"):
            return
        for entry in each_dict(load_ytd(source, data + "like.js")):
            like = _unwrap(entry, "like")
            tweet_id = str(like.get("tweetId") or "")
            text = text_of(like.get("fullText"))
            if not tweet_id:
                continue
            result.items.append(
                ArchiveItem(
                    id=f"like:{tweet_id}",
                    platform=self.name,
                    kind="like",
                    where=f"{data}like.js#{tweet_id}",
                    text=text,
                    url=text_of(like.get("expandedUrl")) or f"https://x.com/i/web/status/{tweet_id}",
                    hashtags=hashtags_in(text),
                    mentions=mentions_in(text),
                )
            )

    def _follows(self, source: ExportSource, data: str, result: ReadResult) -> None:
        if not source.exists(data + "following.js"):
            return
        for entry in each_dict(load_ytd(source, data + "following.js")):
            follow = _unwrap(entry, "following")
            account = str(follow.get("accountId") or "")
            if account:
                result.items.append(
                    ArchiveItem(
                        id=f"follow:{account}",
                        platform=self.name,
                        kind="follow",
                        where=f"{data}following.js#{account}",
                        url=text_of(follow.get("userLink")),
                        groups=[account],
                    )
                )

    def _messages(self, source: ExportSource, data: str, result: ReadResult) -> None:
        for file_name, folder in (
            ("direct-messages.js", "direct_messages_media/"),
            ("direct-messages-group.js", "direct_messages_group_media/"),
        ):
            if not source.exists(data + file_name):
                continue
            media = _media_by_id(source, data + folder)
            for entry in each_dict(load_ytd(source, data + file_name)):
                conversation = _unwrap(entry, "dmConversation")
                for message in each_dict(conversation.get("messages")):
                    create = message.get("messageCreate")
                    if not isinstance(create, dict) or not create.get("id"):
                        continue
                    message_id, text = str(create["id"]), text_of(create.get("text"))
                    result.items.append(
                        ArchiveItem(
                            id=f"dm:{message_id}",
                            platform=self.name,
                            kind="message",
                            where=f"{data}{file_name}#{message_id}",
                            date=iso_from(create.get("createdAt"), _ISO),
                            text=text,
                            author=str(create.get("senderId") or ""),
                            hashtags=hashtags_in(text),
                            mentions=mentions_in(text),
                            media=_dm_media(create, media.get(message_id, []), data + folder, message_id),
                        )
                    )

    def _spaces(self, source: ExportSource, data: str, result: ReadResult) -> None:
        """One item per Space (its title and date); a note says that what was said is not audited."""
        name = data + "spaces-metadata.js"
        if not source.exists(name):
            return
        read = 0
        for index, entry in enumerate(each_dict(load_ytd(source, name))):
            space = _unwrap(entry, "space")
            space_id = text_of(space.get("id"))
            if not space_id:
                result.skipped.append({"where": f"{name}#{index}", "reason": "a Space without an id"})
                continue
            title = text_of(space.get("title"))
            read += 1
            result.items.append(
                ArchiveItem(
                    id=f"space:{space_id}",
                    platform=self.name,
                    kind="post",
                    where=f"{name}#{space_id}",
                    date=iso_from(space.get("startedAt") or space.get("createdAt"), _ISO),
                    text=title,
                    url=f"https://x.com/i/spaces/{space_id}",
                    hashtags=hashtags_in(title),
                    mentions=mentions_in(title),
                )
            )
        if read:
            result.notes.append(
                f"{read} Space(s) read (title and date): X archives hold no recording of a Space, "
                "so what was said in them is not audited"
            )


def _declared(tweet: dict) -> list[tuple[str, str]]:
    """(file name, type) of each photo or video a tweet lists (``extended_entities``, else ``entities``)."""
    for block in (tweet.get("extended_entities"), tweet.get("entities")):
        entries = list(each_dict(block.get("media"))) if isinstance(block, dict) else []
        if entries:
            break
    found = []
    for entry in entries:
        kind = text_of(entry.get("type")) or "photo"
        url = text_of(entry.get("media_url_https")) or text_of(entry.get("media_url"))
        info = entry.get("video_info")
        if kind != "photo" and isinstance(info, dict):
            variants = [v for v in each_dict(info.get("variants")) if text_of(v.get("url"))]
            best = max(variants, key=lambda v: int(v.get("bitrate") or 0), default=None)
            url = text_of(best.get("url")) if best else url
        name = url.split("?", 1)[0].rsplit("/", 1)[-1]
        found.append((name or text_of(entry.get("id_str")) or "media", kind))
    return found


def tweet_media(tweet: dict, tweet_id: str, present: list[str], folder: str) -> list[MediaRef]:
    """The files the archive holds for a tweet, plus one missing ref for each listed file it lacks."""
    refs = [media_ref(p) for p in present]
    unmatched = list(present)
    declared = _declared(tweet)
    for name, _ in declared:  # match by name first
        hit = next((p for p in unmatched if p.endswith("-" + name)), None)
        if hit:
            unmatched.remove(hit)
    for name, kind in declared:
        if any(p.endswith("-" + name) for p in present):
            continue
        if unmatched:  # a file whose name differs from the URL's: take it as this one
            unmatched.pop(0)
            continue
        label = "video" if kind in ("video", "animated_gif") else "photo"
        note = f"the tweet lists this {label} but the archive does not hold it"
        refs.append(MediaRef(f"{folder}{tweet_id}-{name}", VIDEO if label == "video" else PHOTO, note=note))
    return refs


def _dm_media(create: dict, present: list[str], folder: str, message_id: str) -> list[MediaRef]:
    """A message's files, plus a missing ref for each of its ``mediaUrls`` the archive lacks."""
    urls = [u for u in create.get("mediaUrls") or [] if isinstance(u, str)]
    names = [u.split("?", 1)[0].rsplit("/", 1)[-1] for u in urls]
    refs = [media_ref(p) for p in present]
    for name in names[len(present) :]:
        refs.append(MediaRef(f"{folder}{message_id}-{name}", note="the message lists it but the archive lacks it"))
        refs[-1].kind = media_ref(name).kind
    return refs


def _has_folder(source: ExportSource, folder: str) -> bool:
    return any(n.startswith(folder) for n in source.names())


def _media_by_id(source: ExportSource, folder: str) -> dict[str, list[str]]:
    """Files named ``<id>-<name>`` in ``folder``, by id."""
    found: dict[str, list[str]] = {}
    for name in source.names():
        if name.startswith(folder):
            base = name[len(folder) :]
            if "/" not in base and "-" in base:
                found.setdefault(base.split("-", 1)[0], []).append(name)
    return found
