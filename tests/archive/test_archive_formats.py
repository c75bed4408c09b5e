"""Archive audit (A1): synthetic exports of every supported platform, laid out as each documents it.

The builders here are shared by the other tests/archive/test_archive_*.py files. Every export carries the
same planted risks (a registry name, a phone number, an affiliation hashtag, a photo with GPS, a
photo with a face) and harmless items.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from pathlib import Path

import numpy as np
import pytest
from PIL import ExifTags, Image

from safepost.archive import open_source, pick_reader
from safepost.core import InputError

SAMPLES = Path(__file__).resolve().parents[2] / "src" / "safepost" / "samples"
REGISTRY_NAME = "Ana Ruiz"
PHONE = "+57 300 123 4567"
HASHTAG = "HuelgaGeneral"
HARMLESS = ("Lovely weather today", "Coffee time with the team")
PLANTED = ("name", "phone", "hashtag", "gps", "face")


# -- media -----------------------------------------------------------------------------------------


def jpeg(rgb: np.ndarray, gps: bool = False) -> bytes:
    exif = Image.Exif()
    if gps:
        exif[ExifTags.IFD.GPSInfo] = {1: "N", 2: (4.0, 36.0, 35.0), 3: "W", 4: (74.0, 4.0, 54.0)}
    buffer = io.BytesIO()
    Image.fromarray(rgb).save(buffer, "JPEG", quality=90, exif=exif)
    return buffer.getvalue()


def gps_photo() -> bytes:
    """A faceless noise picture whose EXIF holds a GPS position (Bogotá)."""
    return jpeg(np.random.default_rng(3).integers(60, 200, (240, 320, 3), dtype=np.uint8), gps=True)


def face_photo() -> bytes:
    """The astronaut sample re-encoded without any metadata: one clear face."""
    with Image.open(SAMPLES / "astronaut.jpg") as im:
        return jpeg(np.asarray(im.convert("RGB")))


def plain_photo() -> bytes:
    """A smooth gradient: no face, no metadata."""
    ramp = np.linspace(40, 220, 320, dtype=np.uint8)
    return jpeg(np.stack([np.tile(ramp, (240, 1))] * 3, axis=2))


# -- writing exports -------------------------------------------------------------------------------


def write_tree(root: Path, files: dict[str, bytes | str]) -> Path:
    for name, data in files.items():
        target = root / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return root


def write_zip(path: Path, files: dict[str, bytes | str]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return path


def ytd(name: str, entries: list) -> str:
    return f"window.YTD.{name}.part0 = " + json.dumps(entries, indent=2)


def mojibake(value):
    """Facebook's encoding: every UTF-8 byte as its own \\u00XX code point."""
    if isinstance(value, str):
        return value.encode("utf-8").decode("latin-1")
    if isinstance(value, list):
        return [mojibake(v) for v in value]
    if isinstance(value, dict):
        return {k: mojibake(v) for k, v in value.items()}
    return value


# -- one export per platform: (files, planted ids, harmless ids) ------------------------------------


def twitter_export() -> tuple[dict, dict, list]:
    texts = {
        "1001": f"Great meeting with {REGISTRY_NAME} at the office today",
        "1002": f"Questions? Call us at {PHONE}",
        "1003": f"Everyone to the square tomorrow! #{HASHTAG}",
        "1004": "Sunset from the roof",
        "1005": "Team day",
        "1006": HARMLESS[0],
        "1007": HARMLESS[1],
        "1008": "A quiet view",
    }
    tweets = []
    for n, (tweet_id, text) in enumerate(texts.items()):
        tags = [{"text": HASHTAG, "indices": ["30", "44"]}] if HASHTAG in text else []
        tweet = {
            "id_str": tweet_id,
            "id": tweet_id,
            "full_text": text,
            "created_at": f"Wed Oct {10 + n} 20:19:24 +0000 2018",
            "entities": {"hashtags": tags, "user_mentions": [], "urls": []},
            "lang": "en",
        }
        if tweet_id in ("1004", "1005", "1008"):
            media = [
                {
                    "id_str": "9" + tweet_id,
                    "media_url_https": f"https://pbs.twimg.com/media/M{tweet_id}.jpg",
                    "type": "photo",
                }
            ]
            tweet["entities"]["media"] = media
            tweet["extended_entities"] = {"media": media}
        tweets.append({"tweet": tweet})
    files = {
        "Your archive.html": "<html><body>Your archive</body></html>",
        "data/account.js": ytd(
            "account",
            [
                {
                    "account": {
                        "username": "org_account",
                        "accountId": "42",
                        "accountDisplayName": "Our Org",
                        "createdAt": "2015-01-01",
                    }
                }
            ],
        ),
        "data/tweets.js": ytd("tweets", tweets),
        "data/tweets_media/1004-M1004.jpg": gps_photo(),
        "data/tweets_media/1005-M1005.jpg": face_photo(),
        "data/tweets_media/1008-M1008.jpg": plain_photo(),
        "data/like.js": ytd(
            "like",
            [
                {
                    "like": {
                        "tweetId": "77",
                        "fullText": "Nice cake recipe",
                        "expandedUrl": "https://twitter.com/i/web/status/77",
                    }
                }
            ],
        ),
        "data/following.js": ytd(
            "following",
            [{"following": {"accountId": "555", "userLink": "https://twitter.com/intent/user?user_id=555"}}],
        ),
    }
    planted = {
        "name": "tweet:1001",
        "phone": "tweet:1002",
        "hashtag": "tweet:1003",
        "gps": "tweet:1004",
        "face": "tweet:1005",
    }
    return files, planted, ["tweet:1006", "tweet:1007", "tweet:1008", "like:77"]


def facebook_export() -> tuple[dict, dict, list]:
    folder = "your_facebook_activity/posts/"

    def post(n: int, text: str, **extra) -> dict:
        return {
            "timestamp": 1700000000 + n * 86400,
            "data": [{"post": text}],
            "title": "Our Org updated status.",
            **extra,
        }

    def photo(name: str) -> dict:
        return {
            "attachments": [
                {
                    "data": [
                        {
                            "media": {
                                "uri": f"{folder}media/Mobileuploads/{name}",
                                "creation_timestamp": 1700000000,
                                "title": "",
                            }
                        }
                    ]
                }
            ]
        }

    posts = [
        post(0, f"Thank you {REGISTRY_NAME} for your words"),
        post(1, f"WhatsApp us: {PHONE}"),
        post(2, f"Solidarity with the workers #{HASHTAG}"),
        post(3, "Evening", **photo("gps.jpg")),
        post(4, "Our volunteers", **photo("face.jpg")),
        post(5, HARMLESS[0]),
        post(
            6,
            "Café con José",
            **{
                "attachments": [
                    {
                        "data": [
                            {"place": {"name": "Bogotá", "coordinate": {"latitude": 4.60971, "longitude": -74.08175}}}
                        ]
                    }
                ]
            },
        ),
        post(7, HARMLESS[1]),
    ]
    files = {
        folder + "your_posts__check_ins__photos_and_videos_1.json": json.dumps(mojibake(posts), ensure_ascii=True),
        folder + "media/Mobileuploads/gps.jpg": gps_photo(),
        folder + "media/Mobileuploads/face.jpg": face_photo(),
        "your_facebook_activity/groups/your_group_membership_activity.json": json.dumps(
            {
                "groups_joined_v2": [
                    {
                        "timestamp": 1600000000,
                        "data": [{"name": "Knitting circle"}],
                        "title": "Our Org joined Knitting circle.",
                    }
                ]
            }
        ),
    }
    planted = {k: f"fb-post:1:{i}" for i, k in enumerate(PLANTED)}
    return files, planted, ["fb-post:1:5", "fb-post:1:7", "fb-group:your_group_membership_activity.json:0"]


def instagram_export() -> tuple[dict, dict, list]:
    def post(n: int, caption: str, uri: str) -> dict:
        return {"media": [{"uri": uri, "creation_timestamp": 1704100000 + n * 3600, "title": caption}]}

    posts = [
        post(0, f"With {REGISTRY_NAME} at the fair", "media/posts/202401/a.jpg"),
        post(1, f"Bookings {PHONE}", "media/posts/202401/b.jpg"),
        post(2, f"#{HASHTAG} today", "media/posts/202401/c.jpg"),
        post(3, "Golden hour", "media/posts/202401/gps.jpg"),
        post(4, "Smiles", "media/posts/202401/face.jpg"),
        post(5, HARMLESS[0], "media/posts/202401/d.jpg"),
    ]
    files = {
        "your_instagram_activity/content/posts_1.json": json.dumps(mojibake(posts)),
        "media/posts/202401/gps.jpg": gps_photo(),
        "media/posts/202401/face.jpg": face_photo(),
        **{f"media/posts/202401/{c}.jpg": plain_photo() for c in "abcd"},
        "connections/followers_and_following/following.json": json.dumps(
            {
                "relationships_following": [
                    {
                        "title": "bakery_daily",
                        "string_list_data": [
                            {
                                "href": "https://www.instagram.com/bakery_daily",
                                "value": "bakery_daily",
                                "timestamp": 1600000000,
                            }
                        ],
                    }
                ]
            }
        ),
    }
    planted = {k: f"ig-post:posts_1:{i}" for i, k in enumerate(PLANTED)}
    return files, planted, ["ig-post:posts_1:5", "ig-follow:0"]


def whatsapp_export() -> tuple[dict, dict, list]:
    lines = [
        "[01/02/2024, 09:15:22] Our Org: \u200eMessages and calls are end-to-end encrypted.",
        f"[01/02/2024, 09:16:01] Ben: I spoke to {REGISTRY_NAME} yesterday",
        f"[01/02/2024, 09:17:12] Our Org: my number is {PHONE}",
        f"[13/02/2024, 18:30:00] Ben: see you at the march #{HASHTAG}",
        "[14/02/2024, 08:00:00] Ben: \u200e<attached: 00000012-PHOTO-2024-02-14-08-00-00.jpg>",
        "[14/02/2024, 08:01:00] Our Org: \u200e<attached: 00000013-PHOTO-2024-02-14-08-01-00.jpg>",
        f"[15/02/2024, 10:00:00] Ben: {HARMLESS[0]}",
        f"[15/02/2024, 10:05:00] Our Org: {HARMLESS[1]}",
        "and a second line",
    ]
    files = {
        "_chat.txt": "\n".join(lines) + "\n",
        "00000012-PHOTO-2024-02-14-08-00-00.jpg": gps_photo(),
        "00000013-PHOTO-2024-02-14-08-01-00.jpg": face_photo(),
    }
    planted = {
        "name": "wa:_chat.txt:L2",
        "phone": "wa:_chat.txt:L3",
        "hashtag": "wa:_chat.txt:L4",
        "gps": "wa:_chat.txt:L5",
        "face": "wa:_chat.txt:L6",
    }
    return files, planted, ["wa:_chat.txt:L7", "wa:_chat.txt:L8"]


def telegram_export() -> tuple[dict, dict, list]:
    def message(n: int, text, **extra) -> dict:
        return {
            "id": n,
            "type": "message",
            "date": f"2024-01-0{n}T09:15:22",
            "date_unixtime": str(1704100000 + n),
            "from": "Ben",
            "from_id": "user7",
            "text": text,
            **extra,
        }

    messages = [
        {
            "id": 0,
            "type": "service",
            "date": "2024-01-01T09:00:00",
            "actor": "Ben",
            "action": "create_group",
            "text": "",
        },
        message(1, f"Did you call {REGISTRY_NAME}?"),
        message(2, [{"type": "plain", "text": "reach me on "}, {"type": "phone", "text": PHONE}]),
        message(3, ["tomorrow at nine ", {"type": "hashtag", "text": f"#{HASHTAG}"}]),
        message(4, "", photo="photos/photo_1@04-01-2024_09-15-22.jpg", width=320, height=240),
        message(5, "", photo="photos/photo_2@05-01-2024_09-15-22.jpg", width=512, height=512),
        message(6, HARMLESS[0]),
        message(7, HARMLESS[1], photo="(File not included. Change data exporting settings to download.)"),
    ]
    chat = {"name": "Ben", "type": "personal_chat", "id": 4242, "messages": messages}
    files = {
        "ChatExport_2024-02-01/result.json": json.dumps(chat, indent=1, ensure_ascii=False),
        "ChatExport_2024-02-01/photos/photo_1@04-01-2024_09-15-22.jpg": gps_photo(),
        "ChatExport_2024-02-01/photos/photo_2@05-01-2024_09-15-22.jpg": face_photo(),
    }
    planted = {k: f"tg:4242:{i + 1}" for i, k in enumerate(PLANTED)}
    return files, planted, ["tg:4242:6", "tg:4242:7"]


EXPORTS = {
    "x": twitter_export,
    "facebook": facebook_export,
    "instagram": instagram_export,
    "whatsapp": whatsapp_export,
    "telegram": telegram_export,
}


class FakeTextCheck:
    """Stands in for safepost.text in tests: registry names verbatim, phones and e-mails by pattern."""

    def __init__(self, people) -> None:
        self.people = list(people)

    def names(self, text: str):
        from safepost.text import NameMatch

        found = []
        for person in self.people:
            for form in [person.display_name, *person.aliases]:
                at = text.find(form)
                if at >= 0:
                    found.append(NameMatch(at, at + len(form), form, person.id))
                    break
        return found

    def pii(self, text: str):
        from safepost.text import PiiMatch

        found = []
        for kind, pattern in (("PHONE", r"\+\d[\d ]{8,}\d"), ("EMAIL", r"[\w.]+@[\w.]+\.\w+")):
            for m in re.finditer(pattern, text):
                found.append(PiiMatch(kind, m.start(), m.end(), m.group(0), "test"))
        return found


# -- tests: every layout is recognised and read as documented ---------------------------------------


@pytest.mark.parametrize("platform", sorted(EXPORTS))
@pytest.mark.parametrize("packed", ["zip", "folder"])
def test_each_export_is_recognised_zip_or_folder(tmp_path, platform, packed):
    files, planted, harmless = EXPORTS[platform]()
    path = write_zip(tmp_path / "export.bin", files) if packed == "zip" else write_tree(tmp_path / "export", files)
    source, focus = open_source(path)
    with source:
        reader = pick_reader(source, focus)
        assert reader.name == platform
        read = reader.read(source, focus)
    ids = {item.id for item in read.items}
    assert len(ids) == len(read.items)
    assert set(planted.values()) <= ids
    assert set(harmless) <= ids


def test_twitter_fields(tmp_path):
    files, _, _ = twitter_export()
    source, _ = open_source(write_tree(tmp_path / "x", files))
    read = pick_reader(source).read(source, None)
    items = {i.id: i for i in read.items}
    assert read.account["username"] == "org_account"
    tweet = items["tweet:1003"]
    assert tweet.hashtags == [HASHTAG]
    assert tweet.date == "2018-10-12T20:19:24Z"
    assert tweet.url == "https://x.com/org_account/status/1003"
    assert tweet.where == "data/tweets.js#1003"
    assert [m.path for m in items["tweet:1004"].media] == ["data/tweets_media/1004-M1004.jpg"]
    assert items["follow:555"].kind == "follow"


def test_facebook_mojibake_is_repaired_and_check_in_read(tmp_path):
    files, _, _ = facebook_export()
    raw = files["your_facebook_activity/posts/your_posts__check_ins__photos_and_videos_1.json"]
    assert "\\u00c3\\u00a9" in raw  # as Facebook writes "é"
    source, _ = open_source(write_zip(tmp_path / "fb.zip", files))
    items = {i.id: i for i in pick_reader(source).read(source, None).items}
    cafe = items["fb-post:1:6"]
    assert "Café con José" in cafe.text
    assert cafe.places[0].name == "Bogotá" and cafe.places[0].lat == pytest.approx(4.60971)
    assert items["fb-post:1:3"].media[0].path.endswith("media/Mobileuploads/gps.jpg")
    assert items["fb-group:your_group_membership_activity.json:0"].groups == ["Knitting circle"]


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        (["12/31/23, 9:05 PM - Ana: hola"], "2023-12-31T21:05:00"),  # en-US, month first, 12-hour
        (["31/12/2023, 21:05 - Ana: hola"], "2023-12-31T21:05:00"),  # en-GB / es, day first
        (["31.12.23, 21:05 - Ana: hallo"], "2023-12-31T21:05:00"),  # de
        (["[31/12/2023, 9:05:07\u202fp.\u00a0m.] Ana: hola"], "2023-12-31T21:05:07"),  # iPhone, Spanish clock
        (["2023-12-31 21:05 - Ana: hi"], "2023-12-31T21:05:00"),  # year first
    ],
)
def test_whatsapp_date_formats(tmp_path, lines, expected):
    write_tree(tmp_path, {"WhatsApp Chat with Ana.txt": "\n".join(lines) + "\n"})
    source, focus = open_source(tmp_path / "WhatsApp Chat with Ana.txt")
    read = pick_reader(source, focus).read(source, focus)
    message = next(i for i in read.items if i.kind == "message")
    assert message.date == expected
    assert message.author == "Ana"


def test_whatsapp_android_attachment_and_location(tmp_path):
    chat = (
        "01/02/2024, 09:15 - Ana: IMG-20240201-WA0001.jpg (file attached)\n"
        "01/02/2024, 09:16 - Ana: location: https://maps.google.com/?q=4.60971,-74.08175\n"
        "01/02/2024, 09:17 - Ana: <Media omitted>\n"
    )
    write_tree(tmp_path, {"WhatsApp Chat with Ana.txt": chat, "IMG-20240201-WA0001.jpg": plain_photo()})
    source, focus = open_source(tmp_path / "WhatsApp Chat with Ana.txt")
    read = pick_reader(source, focus).read(source, focus)
    items = [i for i in read.items if i.kind == "message"]
    assert [m.path for m in items[0].media] == ["IMG-20240201-WA0001.jpg"]
    assert items[1].places[0].lat == pytest.approx(4.60971)
    assert any("left out" in note for note in read.notes)


def test_telegram_entities_and_whole_account_export(tmp_path):
    chat = {
        "name": "Teachers union",
        "type": "private_supergroup",
        "id": 7,
        "messages": [
            {
                "id": 1,
                "type": "message",
                "date": "2024-01-01T09:00:00",
                "from": "Ben",
                "text": ["go ", {"type": "hashtag", "text": "#Strike"}],
                "location_information": {"latitude": 4.6, "longitude": -74.1},
            }
        ],
    }
    account = {
        "about": "Here is the data you requested.",
        "personal_information": {"first_name": "Org"},
        "chats": {"about": "", "list": [chat]},
    }
    write_tree(tmp_path, {"result.json": json.dumps(account)})
    source, focus = open_source(tmp_path)
    read = pick_reader(source, focus).read(source, focus)
    items = {i.id: i for i in read.items}
    assert items["tg:7:1"].hashtags == ["Strike"]
    assert items["tg:7:1"].places[0].lat == pytest.approx(4.6)
    assert items["tg-chat:7"].kind == "group" and items["tg-chat:7"].groups == ["Teachers union"]


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("data/tweets.js", 'window.YTD.tweets.part0 = [ {"tweet": ', "not valid JSON"),
        ("data/tweets.js", "window.YTD.tweets.part0 = " + "[" * 100000 + "]" * 100000, "nested too deeply"),
        ("your_instagram_activity/content/posts_1.json", b"\xff\xfe{}", "not UTF-8"),
    ],
)
def test_malformed_documents_are_clear_input_errors(tmp_path, name, content, message):
    files = {"data/account.js": ytd("account", [])} if name.startswith("data/") else {}
    files[name] = content
    source, focus = open_source(write_zip(tmp_path / "bad.zip", files))
    with pytest.raises(InputError, match=message):
        pick_reader(source, focus).read(source, focus)
