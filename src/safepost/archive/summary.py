"""What the archive reveals as a whole: locations over time, the people who appear most, affiliations."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from safepost.archive.analyse import ItemResult
from safepost.archive.items import ArchiveItem

TOP = 15


def summarise(items: Sequence[ArchiveItem], results: Sequence[ItemResult]) -> dict:
    dates = sorted(i.date for i in items if i.date)
    levels = Counter(r.level for r in results)
    return {
        "items": len(items),
        "by_kind": dict(Counter(i.kind for i in items).most_common()),
        "first_date": dates[0] if dates else None,
        "last_date": dates[-1] if dates else None,
        "levels": {name: levels.get(name, 0) for name in ("high", "medium", "low")},
        "with_faces": sum(1 for r in results if any(m.get("faces") for m in r.media)),
        "faces": sum(max((m.get("faces", 0) for m in r.media), default=0) for r in results),
        "with_gps": sum(
            1 for r in results if any(x.kind in ("gps_media", "location") for x in r.reasons + r.media_reasons)
        ),
        "locations": _locations(results),
        "places": _places(results),
        "people": _people(results),
        "affiliations": _affiliations(results),
    }


def _locations(results: Sequence[ItemResult]) -> list[dict]:
    """Every position or place, in date order (undated last)."""
    found = []
    for result in results:
        for place in result.places:
            found.append({"date": result.date, "label": place["label"], "source": place["source"], "item": result.id})
        for media in result.media:
            if media.get("gps"):
                lat, lon = media["gps"]
                found.append(
                    {
                        "date": result.date,
                        "label": f"{lat:.5f}, {lon:.5f}",
                        "source": f"GPS in {media['path']}",
                        "item": result.id,
                    }
                )
    return sorted(found, key=lambda p: (p["date"] is None, p["date"] or "", p["item"]))


def _places(results: Sequence[ItemResult]) -> list[dict]:
    """Places seen most often (positions rounded to about 1 km)."""
    counts: Counter[str] = Counter()
    for result in results:
        labels = {p["label"] if p["lat"] is None else f"{p['lat']:.2f}, {p['lon']:.2f}" for p in result.places}
        labels |= {f"{m['gps'][0]:.2f}, {m['gps'][1]:.2f}" for m in result.media if m.get("gps")}
        counts.update(labels)
    return [{"place": label, "items": n} for label, n in counts.most_common(TOP)]


def _people(results: Sequence[ItemResult]) -> dict:
    registry: dict[str, dict] = {}
    others: Counter[str] = Counter()
    contacts: Counter[str] = Counter()
    for result in results:
        for person in result.people:
            entry = registry.setdefault(
                person["person_id"],
                {"person_id": person["person_id"], "name": person["name"], "items": 0, "without_consent": 0},
            )
            entry["items"] += 1
            entry["without_consent"] += person["consent"] is not True
        if result.kind not in ("chat", "group"):
            others.update({*result.tagged, *("@" + m for m in result.mentions)})
        if result.author:
            contacts[result.author] += 1
    ranked = sorted(registry.values(), key=lambda p: (-p["without_consent"], -p["items"], p["person_id"]))
    return {
        "registry": ranked[:TOP],
        "tagged_or_mentioned": [{"name": n, "items": c} for n, c in others.most_common(TOP)],
        "chat_partners": [{"name": n, "messages": c} for n, c in contacts.most_common(TOP)],
    }


def _affiliations(results: Sequence[ItemResult]) -> list[dict]:
    found: dict[str, dict] = {}
    for result in results:
        for signal in result.affiliations:
            entry = found.setdefault(
                signal["label"].casefold(),
                {
                    "label": signal["label"],
                    "theme": signal["theme"],
                    "from_your_list": signal["configured"],
                    "items": 0,
                    "first": None,
                    "last": None,
                },
            )
            entry["items"] += 1
            if result.date:
                entry["first"] = min(filter(None, (entry["first"], result.date)))
                entry["last"] = max(filter(None, (entry["last"], result.date)))
    return sorted(found.values(), key=lambda a: (not a["from_your_list"], -a["items"], a["label"]))[: TOP * 2]
