"""Affiliation signals: what an item says about the groups, causes or parties the owner belongs to.

Two sources of signals:

* the organisation's own list (``--affiliations FILE``, YAML): keywords, hashtags, accounts and
  group names that reveal membership in *their* context (a party, a union, a campaign);
* built-in generic signals (on unless ``generic: false``): hashtags and group names that speak of
  protest, strikes, elections, unions or LGBTQ+ identity, in English and Spanish.

Matching is on folded text (accents, case and punctuation ignored), whole words only.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from safepost.archive.items import ArchiveItem
from safepost.core import InputError
from safepost.text import fold

#: (stem, theme): a folded hashtag or group name containing the stem is a generic signal.
GENERIC_STEMS: tuple[tuple[str, str], ...] = (
    ("protest", "protest"),
    ("manifestacion", "protest"),
    ("marcha", "protest"),
    ("huelga", "strike"),
    ("strike", "strike"),
    ("paronacional", "strike"),
    ("boycott", "protest"),
    ("boicot", "protest"),
    ("resist", "protest"),
    ("solidari", "solidarity"),
    ("activis", "activism"),
    ("humanrights", "human rights"),
    ("derechoshumanos", "human rights"),
    ("justicefor", "campaign"),
    ("justiciapara", "campaign"),
    ("niunamenos", "campaign"),
    ("blacklivesmatter", "campaign"),
    ("metoo", "campaign"),
    ("election", "elections"),
    ("eleccion", "elections"),
    ("vota", "elections"),
    ("vote", "elections"),
    ("referendum", "elections"),
    ("oposicion", "politics"),
    ("opposition", "politics"),
    ("sindica", "trade union"),
    ("tradeunion", "trade union"),
    ("laborunion", "trade union"),
    ("workersunion", "trade union"),
    ("lgbt", "LGBTQ+"),
    ("queer", "LGBTQ+"),
    ("pride", "LGBTQ+"),
    ("orgullo", "LGBTQ+"),
    ("transrights", "LGBTQ+"),
)
#: hashtag prefixes of campaigns for a person or cause: #FreeAna, #StopEviction, #NoALaReforma
GENERIC_PREFIXES: tuple[str, ...] = ("free", "stop", "noala", "noal", "fuera")
#: words of sport and shopping: a hashtag holding one is not a built-in cause (#FreeKickFriday,
#: #AllStarVote, #StrikerOfTheMonth, #FreeShipping); your own list still matches it
NOT_A_CAUSE: tuple[str, ...] = (
    "football", "futbol", "soccer", "rugby", "cricket", "baseball", "basketball", "hockey", "tennis", "golf",
    "nba", "nfl", "mlb", "nhl", "fifa", "uefa", "premierleague", "laliga", "worldcup", "olympic", "marathon",
    "league", "kick", "allstar", "mvp", "striker", "goalkeeper", "champions", "playoff", "superbowl", "derby",
    "fantasy", "bowling", "shipping", "freestyle", "freebie", "download", "giveaway", "stopmotion",
)  # fmt: skip


class AffiliationConfig(BaseModel):
    """The YAML file: every list optional; matching ignores case, accents and a leading # or @."""

    model_config = ConfigDict(extra="forbid")

    keywords: list[str] = []
    hashtags: list[str] = []
    accounts: list[str] = []
    groups: list[str] = []
    generic: bool = True

    @field_validator("keywords", "hashtags", "accounts", "groups")
    @classmethod
    def _no_blanks(cls, values: list[str]) -> list[str]:
        if any(not str(v).strip() for v in values):
            raise ValueError("empty entries are not allowed")
        if any(len(str(v)) > 200 for v in values):
            raise ValueError("entries are limited to 200 characters")
        return values


def load_affiliations(path: str | Path | None) -> AffiliationConfig:
    """The configuration at ``path`` (None: the built-in signals only); InputError when malformed."""
    if path is None:
        return AffiliationConfig()
    path = Path(path)
    try:
        text = path.read_text("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read the affiliations file {path}: {getattr(exc, 'strerror', None) or exc}") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        where = getattr(exc, "problem_mark", None)
        line = f" (line {where.line + 1})" if where else ""
        raise InputError(f"the affiliations file {path} is not valid YAML{line}") from None
    if data is None:
        return AffiliationConfig()
    if not isinstance(data, dict):
        raise InputError(f"the affiliations file {path} must be a mapping with keywords, hashtags, accounts, groups")
    try:
        return AffiliationConfig.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
        raise InputError(f"the affiliations file {path} is not valid: {problems}") from None


@dataclass(frozen=True)
class Signal:
    """One affiliation signal: its label ("#HuelgaGeneral", "Teachers' Union"), and why."""

    label: str
    theme: str
    configured: bool
    where: str  # hashtag, text, follow, group, mention


def _key(value: str) -> str:
    return str(fold(value.lstrip("#@"))).strip()


class AffiliationMatcher:
    """Finds affiliation signals in items, with one configuration."""

    def __init__(self, config: AffiliationConfig) -> None:
        self.config = config
        self._keywords = {_key(k): k for k in config.keywords if _key(k)}
        self._tags = {_key(h).replace(" ", ""): h for h in config.hashtags if _key(h)}
        self._accounts = {_key(a).replace(" ", ""): a for a in config.accounts if _key(a)}
        self._groups = {_key(g): g for g in config.groups if _key(g)}

    def signals(self, item: ArchiveItem) -> list[Signal]:
        found: dict[str, Signal] = {}

        def add(signal: Signal) -> None:
            found.setdefault(signal.label.casefold(), signal)

        for tag in item.hashtags:
            key = _key(tag).replace(" ", "")
            if key in self._tags:
                add(Signal("#" + tag, "your list", True, "hashtag"))
            elif self.config.generic and (theme := _generic_theme(key)):
                add(Signal("#" + tag, theme, False, "hashtag"))
        for handle in item.mentions + item.groups:
            if _key(handle).replace(" ", "") in self._accounts:
                add(Signal(handle if item.groups else "@" + handle, "your list", True, "account"))
        for group in item.groups:
            key = _key(group)
            if key in self._groups or any(k in f" {key} " for k in (f" {g} " for g in self._groups)):
                add(Signal(group, "your list", True, item.kind))
            elif self.config.generic and (theme := _generic_theme(key.replace(" ", ""))):
                add(Signal(group, theme, False, item.kind))
        if self._keywords:
            text = f" {_key(' '.join([item.text, *item.groups, *item.tagged]))} "
            for key, original in self._keywords.items():
                if f" {key} " in text:
                    add(Signal(original, "your list", True, "text"))
        return list(found.values())


def _generic_theme(key: str) -> str | None:
    if any(word in key for word in NOT_A_CAUSE):
        return None
    for stem, theme in GENERIC_STEMS:
        if stem in key:
            return theme
    for prefix in GENERIC_PREFIXES:
        if key.startswith(prefix) and len(key) > len(prefix) + 2:
            return "campaign"
    return None
