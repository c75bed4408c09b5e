"""The risk score of an item: a sum of points, one line per reason, so every rank can be explained.

A reason is a ``core.Finding`` with its ``points`` and, as its ``fix``, the action ("delete", "edit",
...); the audit's JSON keeps the keys ``kind``, ``points``, ``why``, ``action``, ``evidence``
(``core.ARCHIVE_KEYS``).

| reason | points | example |
| --- | --- | --- |
| ``name_no_consent`` | 40 (+10 for a minor) | a registry person named without consent for this use |
| ``name_possible`` | 25 | a name that may be one of several registry people |
| ``name_consented`` | 5 | a registry person named, with consent |
| ``gps_media`` | 35 | GPS coordinates inside a photo or video file |
| ``pii`` | 20-35 | ID number 35, GPS in text 30, phone 25, address 25, email 20, tracking link 5 |
| ``location`` | 25 | exact coordinates the platform kept (check-in, shared location, upload position) |
| ``face`` | 20, +5 per extra face (to +15), +10 when one is large | people recognisable in a photo or video |
| ``affiliation`` | 20 (+5 per extra, to 30) | a hashtag, group, follow or keyword from your list |
| ``affiliation_generic`` | 10 | a protest, strike, election, union or LGBTQ+ hashtag or group |
| ``unchecked`` | 15 | a photo or video that could not be read: check it by hand |
| ``tagged`` | 10 | people tagged by the platform |
| ``place`` | 10 | a named place (check-in, profile location) |
| ``metadata`` | 10 (3 for device only) | owner name, serial number or device inside a file |
| ``media_missing`` | 5 | the export lists a photo or video it does not hold |
| ``unsupported`` | 5 | an attached file that is not a photo or video (a PDF, a voice note) |

Levels: high >= 60, medium >= 30, low >= 10, none below.
"""

from __future__ import annotations

from safepost.core import Finding

PII_POINTS = {"ID_NUMBER": 35, "GPS": 30, "PHONE": 25, "ADDRESS": 25, "EMAIL": 20, "TRACKING_URL": 5}
LEVELS = ((60, "high"), (30, "medium"), (10, "low"))
DELETE, EDIT, PRIVATE, UNTAG, CHECK = "delete", "edit", "make private", "untag", "check by hand"

#: item kinds that the platform lets the owner edit after posting
EDITABLE = {
    "facebook": {"post", "comment"},
    "instagram": {"post", "reel"},
    "telegram": {"post"},
}
#: item kinds whose "delete" is an unfollow, a leave or an unlike
RELATION_KINDS = {"follow", "like", "group", "page"}


def level_of(score: int) -> str:
    for threshold, name in LEVELS:
        if score >= threshold:
            return name
    return "none"


def edit_or_delete(platform: str, kind: str) -> str:
    return EDIT if kind in EDITABLE.get(platform, set()) else DELETE


def actions_for(reasons: list[Finding], platform: str, kind: str) -> list[dict]:
    """What to do, most urgent first, each with a how-to sentence for this platform."""
    ordered: list[str] = []
    for reason in sorted(reasons, key=lambda r: -r.points):
        if reason.fix and reason.fix not in ordered:
            ordered.append(reason.fix)
    return [{"action": a, "how": how_to(a, platform, kind)} for a in ordered]


def how_to(action: str, platform: str, kind: str) -> str:
    if kind in RELATION_KINDS and action in (DELETE, PRIVATE):
        verb = {
            "follow": "Unfollow the account",
            "like": "Remove the like",
            "group": "Leave the group",
            "page": "Unlike or unfollow the page",
        }[kind]
        return f"{verb}; on {platform.title()} lists of follows, likes and groups can be seen by others."
    if kind == "file":
        if action == CHECK:
            return "Open the file in the export and look at it yourself: safepost could not check it."
        return (
            f"The file is in your {_platform_name(platform)} export but safepost found no post or message that "
            "refers to it: find it on the platform by its date or name, and delete it there."
        )
    if action == CHECK:
        return "Open the item on the platform and look at it yourself: safepost could not check it."
    if action == UNTAG:
        return "Remove the tags of people (or ask them to remove themselves) on the post."
    if platform in ("whatsapp", "telegram") and kind != "post":
        if action == DELETE:
            return (
                "Delete the message for everyone if the app still allows it; otherwise ask the chat members "
                "to delete it, and delete it from your own phone and backups."
            )
        return "Messages cannot be made private after sending: delete them, or leave the chat."
    if action == DELETE:
        return f"Delete the {kind} on {_platform_name(platform)}; copies others made are not removed."
    if action == EDIT:
        return f"Edit the {kind} on {_platform_name(platform)}: remove the name, number, place or tag shown here."
    if action == PRIVATE:
        hints = {
            "x": "protect your posts (Settings, Privacy, Audience)",
            "facebook": "change the post's audience to Only me or Friends",
            "instagram": "archive the post, or make the account private",
        }
        return f"Make it private: {hints.get(platform, 'limit who can see it')}."
    return ""


def _platform_name(platform: str) -> str:
    return {"x": "X", "facebook": "Facebook", "instagram": "Instagram"}.get(platform, platform.title())
