"""Archive audit (issue 22): every export layout read, every media file accounted for in coverage.

Fixtures are written here, by hand, one per layout the issue names: X archives of 2019-2020
(``tweet_media/``, tweets without the ``"tweet"`` wrapper), ``community-tweet.js``, tweets whose
video is missing; media no item refers to; platform export metadata kept apart from posts.
"""

from __future__ import annotations

import json

import pytest

from safepost.archive import open_source, pick_reader
from safepost.archive.coverage import line
from safepost.flows.archive import AuditOptions, audit_archive
from tests.archive.test_archive_formats import (
    FakeTextCheck,
    face_photo,
    gps_photo,
    plain_photo,
    write_tree,
    write_zip,
    ytd,
)


def audit(path, **options):
    return audit_archive(path, options=AuditOptions(**options), text_check=FakeTextCheck)


def read(path):
    source, focus = open_source(path)
    with source:
        return pick_reader(source, focus).read(source, focus)


def tweet(tweet_id: str, text: str, media: list | None = None, wrapped: bool = True) -> dict:
    body = {"id_str": tweet_id, "full_text": text, "created_at": "Tue Mar 10 10:00:00 +0000 2020"}
    if media:
        body["extended_entities"] = {"media": media}
    return {"tweet": body} if wrapped else body


def photo_entry(name: str) -> dict:
    return {"type": "photo", "media_url_https": f"https://pbs.twimg.com/media/{name}"}


def video_entry(name: str) -> dict:
    variants = [
        {"bitrate": "256000", "url": f"https://video.twimg.com/ext_tw_video/1/pu/vid/320x180/small_{name}"},
        {"bitrate": "2176000", "url": f"https://video.twimg.com/ext_tw_video/1/pu/vid/1280x720/{name}?tag=12"},
    ]
    return {"type": "video", "media_url_https": "https://pbs.twimg.com/thumb.jpg", "video_info": {"variants": variants}}


def x_2019() -> dict:
    """A 2019-2020 archive: tweet.js without wrappers, media in data/tweet_media/, a missing video."""
    tweets = [
        tweet("2001", "Evening walk", [photo_entry("EGps1.jpg")], wrapped=False),
        tweet("2002", "Our team", [photo_entry("EFace2.jpg")], wrapped=False),
        tweet("2003", "Watch the march", [video_entry("Vid3.mp4")], wrapped=False),
        tweet("2004", "plain words", wrapped=False),
        {"full_text": "a tweet the export wrote without an id"},
    ]
    return {
        "data/account.js": ytd("account", [{"account": {"username": "org2019", "accountId": "7007"}}]),
        "data/tweet.js": ytd("tweet", tweets),
        "data/tweet_media/2001-EGps1.jpg": gps_photo(),
        "data/tweet_media/2002-EFace2.jpg": face_photo(),
        "data/community-tweet.js": "window.YTD.community_tweet.part0 = "
        + json.dumps([tweet("3001", "community post", [photo_entry("C1.jpg")])]),
        "data/community_tweet_media/3001-C1.jpg": plain_photo(),
        "data/profile_media/7007-avatar.jpg": plain_photo(),
        "assets/images/twemoji/1f600.png": plain_photo(),  # the archive viewer's icons: not content
    }


def test_x_2019_tweet_media_community_tweets_and_missing_video(tmp_path):
    report = audit(write_zip(tmp_path / "x.zip", x_2019()))
    items = {r.id: r for r in report.items}
    assert "gps_media" in {x.kind for x in items["tweet:2001"].media_reasons}
    assert "face" in {x.kind for x in items["tweet:2002"].media_reasons}
    missing = next(x for x in items["tweet:2003"].media_reasons if x.kind == "media_missing")
    assert missing.value == "data/tweet_media/2003-Vid3.mp4" and "video" in missing.why
    cov = report.coverage
    # 2 tweet photos + community photo + avatar (unlinked, analysed on its own) + the missing video
    assert (cov["media_analysed"], cov["media_found"]) == (4, 5)
    assert cov["media_not_analysed"] == [
        {
            "path": "data/tweet_media/2003-Vid3.mp4",
            "item": "tweet:2003",
            "where": "data/tweet.js#2003",
            "reason": "missing from the export (the tweet lists this video but the archive does not hold it)",
        }
    ]
    assert cov["items_not_read"] == [{"where": "data/tweet.js#4", "reason": "a tweet without an id"}]
    assert cov["items_found"] == cov["items_read"] + 1
    assert "media analysed 4 / 5 found (1 missing from the export)" in line(cov)
    assert any(i.startswith("community-tweet:3001") for i in [r.id for r in read(tmp_path / "x.zip").items])
    assert not any("twemoji" in n["path"] for n in cov["media_not_analysed"])


def test_x_media_named_differently_from_its_url_is_not_flagged_missing(tmp_path):
    files = {
        "data/account.js": ytd("account", [{"account": {"username": "org"}}]),
        "data/tweets.js": ytd("tweets", [tweet("5", "hi", [photo_entry("Other.jpg")])]),
        "data/tweets_media/5-Renamed.jpg": plain_photo(),
    }
    items = {i.id: i for i in read(write_tree(tmp_path / "x", files)).items}
    assert [m.path for m in items["tweet:5"].media] == ["data/tweets_media/5-Renamed.jpg"]


def test_unlinked_photo_is_analysed_on_its_own_and_no_media_still_counts(tmp_path):
    files = x_2019()
    files["data/tweet_media/9999-stray.jpg"] = gps_photo()  # no tweet 9999
    path = write_tree(tmp_path / "x", files)
    report = audit(path)
    stray = next(r for r in report.items if r.id == "file:data/tweet_media/9999-stray.jpg")
    assert stray.kind == "file" and "gps_media" in {x.kind for x in stray.media_reasons}
    assert "delete it there" in stray.actions[0]["how"]
    off = audit(path, media=False).coverage
    assert off["media_analysed"] == 0 and off["media_found"] == 6
    assert off["media_not_analysed_by_reason"] == {"missing from the export": 1, "not analysed (--no-media)": 5}


def test_own_handle_and_id_are_not_personal_data():
    from safepost.archive.affiliation import AffiliationConfig, AffiliationMatcher
    from safepost.archive.analyse import ConsentLookup, ItemAnalyser
    from safepost.archive.items import ArchiveItem
    from safepost.text import PiiMatch

    class Digits:
        def names(self, text):
            return []

        def pii(self, text):
            import re

            return [PiiMatch("ID_NUMBER", m.start(), m.end(), m.group(), "t") for m in re.finditer(r"\d{6,}", text)]

    analyser = ItemAnalyser(
        Digits(), ConsentLookup(None), AffiliationMatcher(AffiliationConfig()), owner_ids=["ana_1020304", "99887766"]
    )
    own = analyser.text(ArchiveItem("t", "x", "post", "w", text="RT @Ana_1020304: new report, account 99887766"))
    assert not own.reasons
    other = analyser.text(ArchiveItem("u", "x", "post", "w", text="@ana_10203045 ID 1020304"))
    assert [r.value for r in other.reasons] == ["10203045; 1020304"]


@pytest.mark.parametrize("fmt", ["json", "html"])
def test_coverage_and_platform_data_are_in_the_written_report(tmp_path, fmt):
    from safepost.archive import write_report

    report = audit(write_zip(tmp_path / "x.zip", x_2019()))
    report.platform_data = [{"what": "upload IP address", "value": "190.25.100.7", "where": "posts.json#0"}]
    text = write_report(report, tmp_path / f"r.{fmt}").read_text("utf-8")
    assert "2003-Vid3.mp4" in text and "190.25.100.7" in text
    if fmt == "json":
        data = json.loads(text)
        assert data["coverage"]["media_found"] == 5 and data["platform_data"][0]["what"] == "upload IP address"
    else:
        assert "media analysed 4 / 5 found" in text and "What the platform holds about you" in text


# -- WhatsApp: attachment styles, locales, clear errors ---------------------------------------------


def wa_read(tmp_path, lines: list[str], files: dict | None = None, name: str = "_chat.txt"):
    write_tree(tmp_path, {name: "\n".join(lines) + "\n", **(files or {})})
    return read(tmp_path / name)


@pytest.mark.parametrize(
    "line",
    [
        "[14/02/2024, 08:00:00] Ben: \u200e<attached: 00000012-PHOTO-2024-02-14-08-00-00.jpg>",
        "[14/02/2024, 08:00:00] Ben: < attached: 00000012-PHOTO-2024-02-14-08-00-00.jpg >",
        "[14/02/2024, 08:00:00] Ben: 00000012-PHOTO-2024-02-14-08-00-00.jpg \u2039attached>",
        "[14/02/2024, 08:00:00] Ben: 00000012-PHOTO-2024-02-14-08-00-00.jpg <\u200eattached>",
        "[14.02.24, 08:00:00] Ben: <Anhang: 00000012-PHOTO-2024-02-14-08-00-00.jpg>",
        "[14/2/24 8:00:00] Ben: <pièce jointe : 00000012-PHOTO-2024-02-14-08-00-00.jpg>",
        "14/02/2024, 08:00 - Ben: 00000012-PHOTO-2024-02-14-08-00-00.jpg (file attached)",
        "14.02.24, 08:00 - Ben: 00000012-PHOTO-2024-02-14-08-00-00.jpg (Datei angehängt)",
        "14/02/2024 08:00 - Ben: 00000012-PHOTO-2024-02-14-08-00-00.jpg (archivo adjunto)",
        "14/02/2024 08:00 - Ben: 00000012-PHOTO-2024-02-14-08-00-00.jpg (fichier joint)",
        "14/02/2024 08:00 - Ben: 00000012-PHOTO-2024-02-14-08-00-00.jpg (arquivo anexado)",
        "14.2.2024 klo 8.00 - Ben: 00000012-PHOTO-2024-02-14-08-00-00.jpg (tiedosto liitetty)",
    ],
)
def test_whatsapp_attachment_styles_open_the_photo(tmp_path, line):
    name = "00000012-PHOTO-2024-02-14-08-00-00.jpg"
    first = "[14/02/2024, 07:59:00] Ana: first" if line.startswith("[") else "14/02/2024, 07:59 - Ana: first"
    lines = [first, line]
    result = wa_read(tmp_path, lines, {name: gps_photo()})
    message = [i for i in result.items if i.kind == "message"][1]
    assert [m.path for m in message.media] == [name]
    assert message.text == "" and message.date.startswith("2024-02-14T08:00")
    report = audit(tmp_path / "_chat.txt")
    assert report.coverage["media_analysed"] == report.coverage["media_found"] == 1
    assert "gps_media" in {r.kind for x in report.items for r in x.media_reasons}


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("[12.3.2022 klo 14.08.18] Matias: moi", "2022-03-12T14:08:18"),  # Finnish iPhone
        ("12.3.2022 klo 14.08 - Matias: moi", "2022-03-12T14:08:00"),  # Finnish Android
        ("13. 3. 2022. 14:08 - Ivana: bok", "2022-03-13T14:08:00"),  # Croatian, d. m. yyyy.
        ("13. 3. 2022 14:08 - Jana: ahoj", "2022-03-13T14:08:00"),  # Czech/Slovak
        ("2022. 03. 13. 14:08 - Anna: szia", "2022-03-13T14:08:00"),  # Hungarian, year first
        ("[13.03.22, 14:08:18.] Ana: hola", "2022-03-13T14:08:18"),  # a dot after the time
        ("2022. 3. 13. 오후 2:08 - 민수: 안녕", "2022-03-13T14:08:00"),  # Korean, clock word first
        ("13/03/2022, 2:08\u202fp.\u00a0m. - Ana: hola", "2022-03-13T14:08:00"),  # Spanish Android
    ],
)
def test_whatsapp_date_locales(tmp_path, line, expected):
    message = next(i for i in wa_read(tmp_path, [line]).items if i.kind == "message")
    assert message.date == expected
    assert message.text and ":" not in message.author


def test_whatsapp_unknown_date_format_names_file_line_and_formats(tmp_path):
    path = tmp_path / "WhatsApp Chat with Ana.txt"
    write_tree(tmp_path, {path.name: "Messages are end-to-end encrypted\n2022年3月13日 14:08 - Ana: hola\n"})
    from safepost.core import InputError

    with pytest.raises(InputError) as caught:
        audit(path)
    message = str(caught.value)
    assert "WhatsApp Chat with Ana.txt, line 2" in message and "2022年3月13日 14:08" in message
    assert "Formats read:" in message and "klo" in message
    assert path.read_text("utf-8").startswith("Messages")  # nothing lost


def test_whatsapp_odd_lines_are_noted_and_empty_or_dot_messages_kept(tmp_path):
    lines = [
        "[01/02/2024, 09:15:22] Ana: hi",
        "[01/02/2024, 09:16:22] Ben:.",
        "[01/02/2024, 09:17:22] Ben:",
        "2024/02/01 9h17 - Ana: a line in another format",
        "[01/02/2024, 09:18:22] Ana: \u200eimage omitted",
        "[01/02/2024, 09:19:22] Ana: <Medien ausgeschlossen>",
    ]
    result = wa_read(tmp_path, lines)
    messages = [i for i in result.items if i.kind == "message"]
    assert [m.author for m in messages] == ["Ana", "Ben", "Ben", "Ana", "Ana"]
    assert messages[1].text == "."
    assert messages[3].media[0].kind == "photo" and messages[3].media[0].note
    report = audit(tmp_path / "_chat.txt")
    cov = report.coverage
    assert cov["media_found"] == 2 and cov["media_analysed"] == 0
    reasons = [n["reason"] for n in cov["media_not_analysed"]]
    assert all(r.startswith("missing from the export (the chat was exported") for r in reasons)
    flagged = {r.id for r in report.items if "media_missing" in {x.kind for x in r.media_reasons}}
    assert flagged == {"wa:_chat.txt:L5", "wa:_chat.txt:L6"}


# -- Telegram, Facebook, refusals, causes -----------------------------------------------------------


def test_telegram_idless_messages_text_entities_and_files_not_included(tmp_path):
    messages = [
        {"type": "message", "date": "2018-05-01T10:00:00", "date_unixtime": "1525168800", "from": "Ben",
         "text": "an old message without an id"},
        {"id": 9, "type": "message", "date": "2024-01-01T09:00:00", "from": "Ben", "text": "",
         "text_entities": [{"type": "plain", "text": "meet at "}, {"type": "hashtag", "text": "#Strike"}]},
        {"id": 10, "type": "message", "date": "2024-01-01T09:01:00", "from": "Ben", "media_type": "video_file",
         "file": "(File not included. Change data exporting settings to download.)",
         "thumbnail": "video_files/v.mp4_thumb.jpg"},
        {"id": 11, "type": "service", "date": "2024-01-01T09:02:00", "actor": "Ben", "action": "pin_message"},
    ]  # fmt: skip
    chat = {"name": "Ben", "type": "personal_chat", "id": 5, "messages": messages}
    write_tree(tmp_path, {"result.json": json.dumps(chat), "video_files/v.mp4_thumb.jpg": face_photo()})
    items = {i.id: i for i in read(tmp_path).items}
    assert items["tg:5:n0"].text == "an old message without an id"
    assert items["tg:5:n0"].date == "2018-05-01T10:00:00"
    assert items["tg:5:9"].text == "meet at #Strike" and items["tg:5:9"].hashtags == ["Strike"]
    report = audit(tmp_path)
    cov = report.coverage
    assert (cov["media_analysed"], cov["media_found"]) == (1, 2)
    assert cov["media_not_analysed"][0]["reason"].startswith("missing from the export (not included")
    video = next(r for r in report.items if r.id == "tg:5:10")
    assert {"face", "media_missing"} <= {x.kind for x in video.media_reasons}


def test_facebook_upload_ip_is_platform_data_not_a_post_finding(tmp_path):
    media = {
        "uri": "posts/media/a.jpg",
        "media_metadata": {"photo_metadata": {"exif_data": [{"upload_ip": "190.25.100.7"}]}},
    }
    posts = [{"timestamp": 1700000000, "data": [{"post": "Our fair"}], "attachments": [{"data": [{"media": media}]}]}]
    files = {"posts/your_posts_1.json": json.dumps(posts), "posts/media/a.jpg": plain_photo()}
    report = audit(write_zip(tmp_path / "fb.zip", files))
    assert report.platform_data == [
        {
            "what": "IP address Facebook recorded for an upload",
            "value": "190.25.100.7",
            "where": "posts/your_posts_1.json#0",
        }
    ]
    assert not any("190.25.100.7" in r.excerpt or "190.25" in x.value for r in report.items for x in r.reasons)


@pytest.mark.parametrize(
    ("files", "words"),
    [
        ({"messages.html": "<html>Exported Data</html>", "css/style.css": "", "js/script.js": ""},
         ["Telegram Desktop export in HTML", "Machine-readable JSON"]),
        ({"your_facebook_activity/messages/inbox/ana_123/message_1.json": "{}", "files/x.txt": ""},
         ["only Messenger conversations", "select at least Posts", "format JSON"]),
        ({"your_instagram_activity/messages/inbox/ana_1/message_1.json": "{}"},
         ["only Instagram direct messages", "Content (posts)"]),
        ({"your_facebook_activity/posts/your_posts__check_ins__photos_and_videos_1.html": "<html></html>"},
         ["Facebook export in HTML", "format JSON"]),
    ],
)  # fmt: skip
def test_known_but_unread_exports_are_refused_with_what_to_do(tmp_path, files, words):
    from safepost.core import UnsupportedFormatError

    with pytest.raises(UnsupportedFormatError) as caught:
        audit(write_zip(tmp_path / "export.zip", files))
    assert all(w in str(caught.value) for w in words), str(caught.value)
    assert caught.value.exit_code == 4


@pytest.mark.parametrize(
    ("tag", "cause"),
    [("FreeKickFriday", None), ("AllStarVote", None), ("StrikerOfTheMonth", None), ("FreeShipping", None),
     ("HuelgaGeneral", "strike"), ("FreeAna", "campaign"), ("VoteNo", "elections")],
)  # fmt: skip
def test_sport_hashtags_are_not_causes(tag, cause):
    from safepost.archive.affiliation import AffiliationConfig, AffiliationMatcher
    from safepost.archive.items import ArchiveItem

    item = ArchiveItem("t", "x", "post", "w", hashtags=[tag])
    assert [s.theme for s in AffiliationMatcher(AffiliationConfig()).signals(item)] == ([cause] if cause else [])
    mine = AffiliationMatcher(AffiliationConfig(hashtags=[tag])).signals(item)
    assert [s.configured for s in mine] == [True]


def test_x_spaces_are_read_and_their_missing_recordings_noted(tmp_path):
    spaces = [
        {
            "space": {
                "id": "1yNxaNvaLkEJj",
                "createdAt": "2022-03-01T18:00:00.000Z",
                "startedAt": "2022-03-01T18:05:00.000Z",
                "title": "Call with the family of a detained journalist, +34 612 345 678",
                "speakers": [{"userId": "111"}],
            }
        },
        {"space": {"createdAt": "2022-03-02T18:00:00.000Z"}},  # no id: listed as not read
    ]
    files = {
        "data/account.js": ytd("account", [{"account": {"username": "org", "accountId": "7"}}]),
        "data/tweets.js": ytd("tweets", [tweet("5", "hi")]),
        "data/spaces-metadata.js": ytd("spaces_metadata", spaces),
    }
    path = write_tree(tmp_path / "x", files)
    result = read(path)
    space = next(i for i in result.items if i.id == "space:1yNxaNvaLkEJj")
    assert space.url == "https://x.com/i/spaces/1yNxaNvaLkEJj" and space.date.startswith("2022-03-01T18:05")
    assert any("no recording of a Space" in n for n in result.notes)
    report = audit(path)
    scored = next(r for r in report.items if r.id == "space:1yNxaNvaLkEJj")
    assert scored.score > 0  # the phone number in the title is a risk like in any post
    unread = {"where": "data/spaces-metadata.js#1", "reason": "a Space without an id"}
    assert unread in report.coverage["items_not_read"]
