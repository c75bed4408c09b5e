"""Registry names in post text: NameEntry (one person's names), NameIndex (built once), NameMatch.

    index = NameIndex.from_people(people)     # or NameIndex([NameEntry(...), ...])
    for m in index.find(text):
        print(m.text, m.person_id, m.how, m.ambiguous, m.candidates)

How a post is searched:

1. The text is folded (:func:`safepost.text.fold`): accents, case, curly apostrophes and
   possessives no longer matter, and every folded character maps back to the original text.
2. One Aho-Corasick pass finds every form of every person (:mod:`.name_forms`) at word
   boundaries; @handles (and distinctive bare handles such as ana_r88) are looked up in a table.
3. Capitalised word runs that no exact form covers are checked for typos (:mod:`.name_typos`).
4. Overlaps keep the longest, strongest match. A lone first name, surname or nickname must stand
   alone (:mod:`.name_context`: not "Santa Lucía", not "in Trujillo", not "Pedro Ruiz").
5. Linking: a lone first name or surname, and any form several people share, goes to the person
   the same post names more fully. Without such a mention it is reported as ambiguous with every
   candidate and a low score (below :data:`REVIEW_SCORE`): a possible mention for a human to check.

Names inside emails, links, hashtags and unregistered @handles are not reported as names (emails
and links are personal data of their own, see :mod:`safepost.text.pii`).
"""

from __future__ import annotations

import hashlib
import re
import threading
from bisect import bisect_left
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field

import ahocorasick

from safepost.core import InputError
from safepost.text import name_marks
from safepost.text._input import checked_text
from safepost.text.folding import Folded, fold
from safepost.text.name_context import (
    COMMON_WORDS,
    UNLINKED_PLACE_CUES,
    capitalised,
    capitalised_runs,
    continues_as_other_name,
    everyday_at_sentence_start,
    lowercase_runs,
    stands_alone,
    word_before,
)
from safepost.text.name_forms import FIRST, NICKNAME, STRONG, SURNAME, Form, person_forms
from safepost.text.name_typos import TypoIndex

_INITIALS = ("initial+surname", "initials")
#: Strong forms that leave part of the name out: another surname after them means another person.
_PARTIAL = frozenset({"given+surname", "initial+surname", "initials", "nickname+surname"})
_KIND_RANK = {STRONG: 3, "typo": 3, "handle": 3, NICKNAME: 2, FIRST: 1, SURNAME: 1}
#: A candidate this close to the best weight is still plausible (so the match is ambiguous).
PLAUSIBLE_GAP = 0.1
#: Score of a lone first name or surname that no fuller mention in the post explains.
UNLINKED_SCORE = 0.3
#: Matches scoring below this are possible mentions for a human to look at (a lone first name or
#: surname with no fuller mention in the post), not claims that a registry person is named.
REVIEW_SCORE = 0.5
#: The longest run of words checked for a typo (given names, particles and two surnames).
_MAX_WINDOW = 6

_HANDLE = re.compile(r"(?<![\w@./])@([A-Za-z0-9_](?:[A-Za-z0-9_.]*[A-Za-z0-9_])?)")
#: A bare handle must hold a digit, "_" or an inner "." (see _distinctive): only such tokens are looked up.
_BARE_TOKEN = re.compile(
    r"(?<![\w@./#])(?=[A-Za-z0-9_.]*(?:\d|[_.][A-Za-z0-9]))([A-Za-z0-9_](?:[A-Za-z0-9_.]*[A-Za-z0-9_])?)(?![\w@])"
)
_LINK = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)
_MARK = re.compile(r"[@#]")
_HANDLE_JOINS = re.compile(r"[_.@]")
_AFTER_AT = re.compile(r"[\w.\-]+")
_EMAIL_LOCAL = frozenset("._%+-")


@dataclass(frozen=True)
class NameEntry:
    """The names one registry person may be written as; ``person_id`` is what a match reports.

    ``given_names``/``surnames`` are optional: without them every split of ``display_name`` is tried.
    ``handles`` are written "@ana_r", "ana_r" or "x:@ana_r".
    """

    person_id: str
    display_name: str
    aliases: tuple[str, ...] = ()
    nicknames: tuple[str, ...] = ()
    handles: tuple[str, ...] = ()
    given_names: str | None = None
    surnames: str | None = None


@dataclass
class NameMatch:
    """A registry name found in the text. ``start``/``end`` are offsets into the original text.

    ``person_id`` is the best candidate; ``candidates`` lists every plausible person, best first;
    ``ambiguous`` is True when more than one is plausible (a human must decide). ``how`` says how it
    matched: full, given+surname, initial+surname, initials, nickname, nickname+surname, alias,
    handle, typo, first_name_only or surname_only. ``score`` (0..1) is the confidence that this text
    names a registry person (``person_id``, or another candidate when ambiguous); below
    :data:`REVIEW_SCORE` it is only a possible mention (a lone first name or surname that no fuller
    mention in the post explains).
    """

    start: int
    end: int
    text: str
    person_id: str
    candidates: list[str] = field(default_factory=list)
    how: str = "full"
    score: float = 1.0
    ambiguous: bool = False

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class _Hit:
    fstart: int  # folded offsets
    fend: int
    kind: str  # STRONG, NICKNAME, FIRST, SURNAME, "typo", "handle"
    refs: dict[int, tuple[str, float]]  # person index -> (how, weight)
    start: int = 0  # original offsets
    end: int = 0
    in_mark: bool = False  # inside a #hashtag or a link: the words around it say nothing
    weak: bool = False  # a possible mention at most: an everyday word alone in a hashtag, "Ana Ruiz Soto"

    @property
    def rank(self) -> tuple[int, int, float]:
        """Longest first, then the strongest kind, then the best weight."""
        return (self.fend - self.fstart, _KIND_RANK[self.kind], max(w for _, w in self.refs.values()))


def _checked_entry(entry: object) -> NameEntry:
    """``entry`` when it is a usable NameEntry; a clear InputError otherwise."""
    if not isinstance(entry, NameEntry):
        raise InputError(f"A name index is built from NameEntry objects, not {type(entry).__name__}.")
    if not isinstance(entry.person_id, str) or not entry.person_id.strip():
        raise InputError(f"A registry entry has no person id (name: {entry.display_name!r}).")
    texts = [entry.display_name, *entry.aliases, *entry.nicknames, *entry.handles]
    texts += [t for t in (entry.given_names, entry.surnames) if t is not None]
    if not all(isinstance(t, str) for t in texts) or not entry.display_name.strip():
        raise InputError(f"Person {entry.person_id} needs a display name, and every name must be text.")
    return entry


def handle_key(handle: str) -> str:
    """ "x:@Ana_R" / "@Ana_R" / "ana_r" -> "ana_r" (the platform prefix and @ dropped, lower case)."""
    handle = handle.strip()
    platform, sep, rest = handle.partition(":")
    if sep and platform.isalpha() and rest:
        handle = rest
    return handle.strip().lstrip("@").rstrip(".").lower()


def _distinctive(handle: str) -> bool:
    """A handle safe to look for without its @: long enough and not a plain word."""
    return len(handle) >= 5 and any(not c.isalpha() for c in handle)


class NameIndex:
    """All the written forms of every registry person, ready to search any number of posts.

    Building takes about a second per 10,000 people; :meth:`cached` keeps recent indexes in memory
    (never on disk: an index is registry data). Searching is a pure function of the text.
    """

    def __init__(self, entries: Iterable[NameEntry]) -> None:
        self.entries: list[NameEntry] = [_checked_entry(e) for e in entries]
        self.person_ids: list[str] = [e.person_id for e in self.entries]
        forms_by_key: dict[str, dict[int, Form]] = {}
        self._vocab: set[str] = set()  # every word of every name, folded
        self._given_vocab: set[str] = set()
        self._typos = TypoIndex()
        self._handles: dict[str, list[int]] = {}
        for idx, entry in enumerate(self.entries):
            forms = person_forms(
                entry.display_name,
                entry.given_names,
                entry.surnames,
                tuple(entry.aliases),
                tuple(entry.nicknames),
            )
            for form in forms:
                slot = forms_by_key.setdefault(form.key, {})
                old = slot.get(idx)
                if old is None or (_KIND_RANK[form.kind], form.weight) > (_KIND_RANK[old.kind], old.weight):
                    slot[idx] = form
                words = form.key.split()
                self._vocab.update(words)
                if form.kind == FIRST:
                    self._given_vocab.update(words)
                if form.kind == STRONG and len(words) >= 2:
                    self._typos.add(idx, words)
            for handle in entry.handles:
                key = handle_key(handle)
                if key:
                    self._handles.setdefault(key, []).append(idx)
        self._automaton = ahocorasick.Automaton()
        joined: dict[str, list[tuple[str, bool, dict[int, tuple[str, float]]]]] = {}
        for key, slot in forms_by_key.items():
            groups: dict[tuple[str, bool], dict[int, tuple[str, float]]] = {}
            for idx, f in slot.items():
                lower_ok = f.kind == STRONG and f.how not in _INITIALS and " " in key
                groups.setdefault((f.kind, lower_ok), {})[idx] = (f.how, f.weight)
            value = tuple((kind, lower_ok, refs) for (kind, lower_ok), refs in groups.items())
            self._automaton.add_word(f" {key} ", (len(key), value))
            bare = key.replace(" ", "")
            if len(bare) >= 3:
                joined.setdefault(bare, []).extend((kind, " " in key, refs) for kind, _, refs in value)
        if len(self._automaton):
            self._automaton.make_automaton()
        self._joined = ahocorasick.Automaton()  # forms written without spaces, for hashtags
        for bare, value in joined.items():
            self._joined.add_word(bare, (len(bare), tuple(value)))
        if len(self._joined):
            self._joined.make_automaton()
        self._typos.freeze()

    # ------------------------------------------------------------------ construction helpers
    @classmethod
    def from_people(cls, people: Iterable) -> NameIndex:
        """An index of :class:`safepost.consent.people.Person` objects (handles "x:@ana_r" match "@ana_r")."""
        return cls(entries_of(people))

    _cache: OrderedDict[str, NameIndex] = OrderedDict()
    _cache_lock = threading.Lock()

    @classmethod
    def cached(cls, entries: Iterable[NameEntry], size: int = 4) -> NameIndex:
        """An index for ``entries``, reused from memory when the same registry was indexed recently."""
        entries = list(entries)
        digest = hashlib.sha256(repr(entries).encode("utf-8")).hexdigest()
        with cls._cache_lock:
            if digest in cls._cache:
                cls._cache.move_to_end(digest)
                return cls._cache[digest]
        index = cls(entries)
        with cls._cache_lock:
            cls._cache[digest] = index
            while len(cls._cache) > size:
                cls._cache.popitem(last=False)
        return index

    def __len__(self) -> int:
        return len(self.entries)

    # ------------------------------------------------------------------ search
    def find(self, text: str) -> list[NameMatch]:
        """Registry names in ``text``: non-overlapping, sorted by start, offsets into ``text``."""
        checked_text(text)
        if not text or not self.entries:
            return []
        folded = fold(text)
        protected = _protected_spans(text)
        links = name_marks.links(text)
        hits = self._handle_hits(text, folded, links)
        hits += self._exact_hits(text, folded, protected, links, name_marks.hashtags(text))
        hits += self._hashtag_hits(text, folded)
        hits += self._typo_hits(text, folded, hits, protected)
        chosen = _without_overlaps(hits)
        chosen = [
            h
            for h in chosen
            if h.kind in (STRONG, "typo", "handle")
            or h.in_mark
            or stands_alone(text, h.start, h.end, h.kind == SURNAME, self._given_vocab)
        ]
        for h in chosen:
            partial = h.kind == STRONG and all(how in _PARTIAL for how, _ in h.refs.values())
            if partial and not h.in_mark and continues_as_other_name(text, h.start, h.end):
                h.weak = True
        return self._link(text, chosen)

    def _handle_hits(self, text: str, folded: Folded, links: list[tuple[int, int]]) -> list[_Hit]:
        hits = []
        for m in _HANDLE.finditer(text):
            people = self._handles.get(m.group(1).lower())
            if people:
                hits.append(self._span_hit(folded, m.start(), m.end(), "handle", {i: ("handle", 0.95) for i in people}))
        for m in _BARE_TOKEN.finditer(text):
            key = m.group(1).lower()
            people = self._handles.get(key)
            if people and _distinctive(key) and key not in self._vocab:
                hits.append(self._span_hit(folded, m.start(), m.end(), "handle", {i: ("handle", 0.7) for i in people}))
        for link_start, link_end in links:  # x.com/rafa_t/status/1
            for start, end, key, social in name_marks.link_handles(text, link_start, link_end):
                people = self._handles.get(key)
                if people and (social or _distinctive(key)):
                    refs = {i: ("handle", 0.95 if social else 0.7) for i in people}
                    hit = self._span_hit(folded, start, end, "handle", refs)
                    hit.in_mark = True
                    hits.append(hit)
        return hits

    def _hashtag_hits(self, text: str, folded: Folded) -> list[_Hit]:
        """Names written inside hashtags without spaces (see :mod:`.name_marks`)."""
        hits = []
        if not len(self._joined):
            return hits
        for start, end in name_marks.hashtags(text):
            fs, fe = folded.folded_offset(start), folded.folded_offset(end)
            cuts = name_marks.word_splits(text, start, end)
            for last, (length, values) in self._joined.iter(folded.text[fs:fe]):
                hfe = fs + last + 1
                hfs = hfe - length
                ostart, oend = folded.original_span(hfs, hfe)
                aligned = ostart in cuts and oend in cuts
                by_kind: dict[str, dict[int, tuple[str, float]]] = {}
                for kind, several_words, refs in values:
                    if aligned or (several_words and length >= 8):
                        by_kind[kind] = {**by_kind.get(kind, {}), **refs}
                weak = folded.text[hfs:hfe] in COMMON_WORDS
                for kind, refs in by_kind.items():
                    hits.append(_Hit(hfs, hfe, kind, refs, ostart, oend, in_mark=True, weak=weak))
        return hits

    @staticmethod
    def _span_hit(folded: Folded, start: int, end: int, kind: str, refs: dict) -> _Hit:
        """A hit given by original offsets: find the folded characters that come from that span."""
        fs = folded.folded_offset(start)
        fe = folded.folded_offset(end)
        return _Hit(fs, max(fe, fs + 1), kind, refs, start, end)

    def _exact_hits(
        self,
        text: str,
        folded: Folded,
        protected: list[tuple[int, int]],
        links: list[tuple[int, int]],
        hashtags: list[tuple[int, int]],
    ) -> list[_Hit]:
        """Forms found by the automaton; inside a hashtag or a link's slug (free-ana-ruiz) only names of
        two words or more: a link's ana_ruiz or ana.ruiz is an account, read as a handle or not at all."""
        hits = []
        padded = f" {folded} "
        for last, (length, refs) in self._automaton.iter(padded):
            fend = last - 1
            fstart = fend - length
            start, end = folded.original_span(fstart, fend)
            in_mark = False
            if protected and _inside(start, end, protected):
                in_tag = _within(start, end, hashtags)
                in_slug = _within(start, end, links) and not _HANDLE_JOINS.search(text, start, end)
                if " " not in folded.text[fstart:fend] or not (in_tag or in_slug):
                    continue
                in_mark = True
            by_kind: dict[str, dict[int, tuple[str, float]]] = {}
            capital = capitalised(text, start, end)
            for kind, lower_ok, group in refs:
                if in_mark and kind != STRONG:
                    continue
                if capital or lower_ok or in_mark:
                    if kind in by_kind:
                        by_kind[kind] = {**by_kind[kind], **group}
                    else:
                        by_kind[kind] = group
            if not by_kind:
                continue
            kind = max(by_kind, key=lambda k: _KIND_RANK[k])
            hits.append(_Hit(fstart, fend, kind, by_kind[kind], start, end, in_mark))
            for other, refs_ in by_kind.items():  # e.g. a nickname of one person, a first name of another
                if other != kind:
                    hits.append(_Hit(fstart, fend, other, refs_, start, end))
        return hits

    def _typo_hits(self, text: str, folded: Folded, hits: list[_Hit], protected: list[tuple[int, int]]) -> list[_Hit]:
        covered = bytearray(len(folded) + 1)
        for h in hits:
            if h.kind in (STRONG, "handle"):
                covered[h.fstart : h.fend] = b"\x01" * (h.fend - h.fstart)
        out = []
        for run in capitalised_runs(text, folded) + lowercase_runs(text, folded, self._vocab):
            for size in range(min(len(run), _MAX_WINDOW), 1, -1):
                for i in range(len(run) - size + 1):
                    fstart, fend = run[i][0], run[i + size - 1][1]
                    if covered.find(0, fstart, fend) < 0:
                        continue  # an exact form already covers the window
                    people = self._typos.lookup([folded[s:e] for s, e in run[i : i + size]], self._vocab)
                    if people:
                        start, end = folded.original_span(fstart, fend)
                        if not _inside(start, end, protected):
                            refs = {p: ("typo", w) for p, w in people.items()}
                            out.append(_Hit(fstart, fend, "typo", refs, start, end))
        return out

    # ------------------------------------------------------------------ linking
    def _link(self, text: str, hits: list[_Hit]) -> list[NameMatch]:
        hits.sort(key=lambda h: h.fstart)
        sure: set[int] = set()  # people this post names unambiguously
        possible: set[int] = set()  # people some strong form could mean
        for h in hits:
            if h.kind in (STRONG, "typo", "handle", NICKNAME) and not h.weak:
                plausible = _plausible(h.refs)
                possible.update(plausible)
                if len(plausible) == 1 and h.kind != NICKNAME:
                    sure.update(plausible)
        # a lone first name or surname confirms one of the people a fuller (ambiguous) form could mean
        for h in hits:
            if h.kind in (FIRST, SURNAME):
                context = set(h.refs) & possible
                if len(context) == 1:
                    sure.update(context)
        out = []
        for h in hits:
            match = self._match(text, h, sure, possible)
            if match is not None:
                out.append(match)
        return out

    def _match(self, text: str, h: _Hit, sure: set[int], possible: set[int]) -> NameMatch | None:
        contextual = h.kind in (FIRST, SURNAME)
        refs = h.refs
        linked = False
        if contextual or len(_plausible(refs)) > 1:
            for pool in (sure, possible):
                in_context = {i: r for i, r in refs.items() if i in pool}
                if in_context:
                    refs, linked = in_context, True
                    break
        ordered = sorted(refs, key=lambda i: (-refs[i][1], i))
        plausible = [i for i in ordered if refs[i][1] >= refs[ordered[0]][1] - PLAUSIBLE_GAP]
        best = plausible[0]
        how, weight = refs[best]
        everyday = h.kind in (FIRST, SURNAME, NICKNAME) and everyday_at_sentence_start(text, h.start, h.end)
        if contextual:
            if linked:
                score = 0.85 if len(plausible) == 1 else 0.7
            elif everyday:
                return None  # "Grace period ends Friday", with no Grace named in the post
            else:  # halved after "a", "to", "de"...: "viaja a Valencia" is more likely a place
                score = UNLINKED_SCORE / (2 if word_before(text, h.start) in UNLINKED_PLACE_CUES else 1)
        else:
            score = weight
        if h.weak or (everyday and h.kind == NICKNAME and best not in sure):
            score = min(score, UNLINKED_SCORE)
        return NameMatch(
            start=h.start,
            end=h.end,
            text=text[h.start : h.end],
            person_id=self.person_ids[best],
            candidates=[self.person_ids[i] for i in plausible],
            how=how,
            score=round(score, 3),
            ambiguous=len(plausible) > 1,
        )


def _protected_spans(text: str) -> list[tuple[int, int]]:
    """Sorted, merged spans of links, emails, @handles and #hashtags: no name is reported inside them."""
    spans = [m.span() for m in _LINK.finditer(text)] if ("http" in text or "www." in text) else []
    for m in _MARK.finditer(text):
        at = m.start()
        rest = _AFTER_AT.match(text, at + 1)
        if rest is None:
            continue
        start = at
        if text[at] == "@":  # an email: take in the part before the @
            while start > 0 and (text[start - 1].isalnum() or text[start - 1] in _EMAIL_LOCAL):
                start -= 1
        elif at > 0 and text[at - 1].isalnum():
            continue  # "C#" is not a hashtag
        spans.append((start, rest.end()))
    spans.sort()
    merged: list[tuple[int, int]] = []
    for s, e in spans:
        if merged and s <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(e, merged[-1][1]))
        else:
            merged.append((s, e))
    return merged


def _plausible(refs: dict[int, tuple[str, float]]) -> set[int]:
    top = max(w for _, w in refs.values())
    return {i for i, (_, w) in refs.items() if w >= top - PLAUSIBLE_GAP}


def _inside(start: int, end: int, spans: list[tuple[int, int]]) -> bool:
    """Does [start, end) overlap one of ``spans`` (sorted, not overlapping each other)?"""
    i = bisect_left(spans, (end, end))
    return i > 0 and spans[i - 1][1] > start


def _within(start: int, end: int, spans: list[tuple[int, int]]) -> bool:
    """Is [start, end) wholly inside one of ``spans``?"""
    return any(s <= start and end <= e for s, e in spans)


def _without_overlaps(hits: list[_Hit]) -> list[_Hit]:
    """Longest, strongest first; a hit overlapping one already kept is dropped."""
    kept: list[_Hit] = []
    size = max((h.fend for h in hits), default=0)
    used = bytearray(size + 1)
    for h in sorted(hits, key=lambda h: h.rank, reverse=True):
        if not any(used[h.fstart : h.fend]):
            kept.append(h)
            used[h.fstart : h.fend] = b"\x01" * (h.fend - h.fstart)
    return kept


def entries_of(people: Iterable) -> list[NameEntry]:
    """:class:`NameEntry` objects for :class:`safepost.consent.people.Person` objects."""
    return [
        NameEntry(
            person_id=p.id,
            display_name=p.display_name,
            aliases=tuple(p.aliases),
            nicknames=tuple(p.nicknames),
            handles=tuple(p.handles),
        )
        for p in people
    ]
