"""Every way one registry person's name may be written, as folded keys with a kind and a weight.

A person gives, for example, "Andrés Azpúrua Pérez" (nickname "Andy", handle "@aazpurua"):

* strong forms, which name someone on their own: the full name, given + first surname
  ("Andrés Azpúrua"), initial(s) + surname ("A. Azpúrua", "A Azpúrua"), nickname + surname
  ("Andy Azpúrua"), given + nickname + surname, alternative spellings (aliases);
* the bare nickname ("Andy"), matched only when written with a capital;
* contextual forms, the first name alone ("Andrés") and the surname alone ("Azpúrua"), which name
  this person only when the same post names them more fully elsewhere;
* handles, looked up separately (see :mod:`safepost.text.names`).

When only a display name is known, every split of it into given names (one or two words) and
surnames is tried: "Ana Lucía Pérez" may be Ana + Lucía Pérez or Ana Lucía + Pérez.
"""

from __future__ import annotations

from dataclasses import dataclass

from safepost.text.folding import fold_key

#: Lower-case words that belong to the surname that follows them (de la Fuente, dos Santos, Al Masri).
PARTICLES = frozenset(
    "de del la las los da das do dos di du des le van von der den ter ten al el ben bin ibn abu bint mac st".split()
)

# kinds of form
STRONG = "strong"
NICKNAME = "nickname"
FIRST = "first_name_only"
SURNAME = "surname_only"

#: how -> confidence that a form written this way means this person (before ambiguity).
WEIGHTS = {
    "full": 1.0,
    "alias": 0.95,
    "given+surname": 0.95,
    "nickname+surname": 0.9,
    "initials": 0.8,
    "initial+surname": 0.75,
    "nickname": 0.6,
    FIRST: 0.5,
    SURNAME: 0.5,
}


@dataclass(frozen=True)
class Form:
    key: str  # folded, e.g. "a azpurua"
    how: str  # "full", "initial+surname", ... (see WEIGHTS)
    kind: str  # STRONG, NICKNAME, FIRST or SURNAME
    weight: float


def surname_units(surnames: str) -> list[str]:
    """Split surnames into units, keeping particles with the word they introduce.

    "Trujillo Urdaneta" -> ["Trujillo", "Urdaneta"]; "de la Fuente" -> ["de la Fuente"];
    "dos Santos Ferreira" -> ["dos Santos", "Ferreira"].
    """
    units: list[str] = []
    pending: list[str] = []
    for word in surnames.split():
        pending.append(word)
        if word.lower() not in PARTICLES:
            units.append(" ".join(pending))
            pending = []
    if pending:
        if units:
            units[-1] = units[-1] + " " + " ".join(pending)
        else:
            units.append(" ".join(pending))
    return units


def _core(unit: str) -> str:
    """A surname unit without its particles ("de la Fuente" -> "Fuente"); hyphenated Al-X -> X."""
    words = [w for w in unit.split() if w.lower() not in PARTICLES]
    core = " ".join(words) if words else unit
    head, _, tail = core.partition("-")
    if tail and head.lower() in PARTICLES:
        return tail
    return core


def _given_words(given: str) -> list[str]:
    return [w for w in given.split() if w.lower() not in PARTICLES]


def _initials(given: str) -> list[str]:
    return [part[0] for word in _given_words(given) for part in word.split("-") if part]


def splits(display_name: str) -> list[tuple[str, str]]:
    """Plausible (given names, surnames) readings of a bare display name, most likely first."""
    words = display_name.split()
    if len(words) < 2:
        return [(display_name, "")]
    for i, word in enumerate(words[1:], start=1):
        if word.lower() in PARTICLES and i < len(words) - 1:
            return [(" ".join(words[:i]), " ".join(words[i:]))]
    out = [(" ".join(words[:1]), " ".join(words[1:]))]
    if len(words) >= 3:
        out.append((" ".join(words[:2]), " ".join(words[2:])))
    if len(words) >= 4:
        out.reverse()  # "María José Pérez Gómez": two given names and two surnames is the commoner reading
    return out


def key_variants(text: str) -> set[str]:
    """Folded keys of ``text``, also with hyphens and apostrophes joined or split (Al-Masri, AlMasri)."""
    keys = {fold_key(text)}
    if "-" in text:
        keys.add(fold_key(text.replace("-", "")))
    for mark in "'’":
        if mark in text:
            keys.add(fold_key(text.replace(mark, "")))
    return {k for k in keys if len(k) >= 2}  # a lone letter would match every "A" in a post


def person_forms(
    display_name: str,
    given_names: str | None,
    surnames: str | None,
    aliases: tuple[str, ...] = (),
    nicknames: tuple[str, ...] = (),
) -> list[Form]:
    """All forms of one person's name; a key appears once, with its strongest reading."""
    best: dict[str, Form] = {}

    def add(text: str, how: str, kind: str, scale: float = 1.0) -> None:
        weight = WEIGHTS[how] * scale
        for key in key_variants(text):
            old = best.get(key)
            if old is None or _rank(kind, weight) > _rank(old.kind, old.weight):
                best[key] = Form(key, how, kind, weight)

    if given_names and surnames:
        readings = [(given_names.strip(), surnames.strip())]
    else:
        readings = splits(display_name.strip())
    add(display_name, "full", STRONG)
    for n, (given, surnames_) in enumerate(readings):
        scale = 1.0 if n == 0 else 0.9
        _reading_forms(add, given, surnames_, nicknames, scale)
    for alias in aliases:
        add(alias, "alias", STRONG)
        for _, surnames_ in readings:
            if surnames_ and fold_key(alias).endswith(" " + fold_key(surnames_)):
                alias_given = alias.strip()[: -len(surnames_.strip())].strip()
                if alias_given:
                    for form_given in {alias_given, alias_given.split()[0]}:
                        for sur in _surname_variants(surnames_):
                            add(f"{form_given} {sur}", "alias", STRONG, 0.95)
                        add(form_given, FIRST, FIRST, 0.9)
    return list(best.values())


def _rank(kind: str, weight: float) -> tuple[int, float]:
    return ({STRONG: 3, NICKNAME: 2}.get(kind, 1), weight)


def _surname_variants(surnames: str) -> list[str]:
    units = surname_units(surnames)
    if not units:
        return []
    variants = [surnames, units[0]]
    if len(units) > 2:
        variants.append(" ".join(units[:2]))
    variants.extend(units[1:])  # people sometimes go by their second surname
    core = _core(units[0])
    if core != units[0]:
        variants.append(core)
    return list(dict.fromkeys(variants))


def _reading_forms(add, given: str, surnames: str, nicknames: tuple[str, ...], scale: float) -> None:
    given_words = given.split()
    if not given_words:
        return
    first = given_words[0]
    givens = list(dict.fromkeys([given, first]))
    if not surnames:  # a one-word name: only its contextual and nickname forms
        add(given, FIRST, FIRST, scale)
    sur_variants = _surname_variants(surnames)
    for g in givens:
        for sur in sur_variants:
            exact = g == given and sur == surnames
            add(f"{g} {sur}", "full" if exact else "given+surname", STRONG, scale if exact else scale * 0.98)
        add(g, FIRST, FIRST, scale)
    if "-" in first:
        add(first.split("-")[0], FIRST, FIRST, scale * 0.9)
    initials = _initials(given)
    if initials:
        for sur in sur_variants[:2]:
            add(f"{initials[0]} {sur}", "initial+surname", STRONG, scale)
            if len(initials) > 1:
                add(" ".join(initials) + " " + sur, "initials", STRONG, scale)
                add("".join(initials) + " " + sur, "initials", STRONG, scale)
    for nick in nicknames:
        add(nick, "nickname", NICKNAME, scale)
        for sur in sur_variants:
            add(f"{nick} {sur}", "nickname+surname", STRONG, scale)
            add(f"{first} {nick} {sur}", "nickname+surname", STRONG, scale)
            if given != first:
                add(f"{given} {nick} {sur}", "nickname+surname", STRONG, scale)
    for sur in sur_variants:
        add(sur, SURNAME, SURNAME, scale)
