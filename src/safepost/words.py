"""Plain words for the people who use safepost, in English and Spanish.

A :class:`Phrase` is a message in words with its values (``Phrase("{field} is missing", field="audience")``).
It *is* a ``str`` (the text in the language of the environment: ``LANGUAGE``, ``LC_ALL``,
``LC_MESSAGES``, ``LANG``; English by default), so every printer, JSON writer and error keeps working,
and it can be said again in another language with :meth:`Phrase.say` (the web app does this per
request). Spanish lives in ``locale/es/LC_MESSAGES/words.po``, read at run time with Babel.

This module also turns the two kinds of error a hand-edited YAML file gives (the YAML itself, and
the fields in it) into sentences that say the line, the field, what is wrong and what to write.
"""

from __future__ import annotations

import difflib
from typing import Any

from safepost.i18n import LANGS, locale_lang, read_catalogue

DOMAIN = "words"


def _catalogue(lang: str) -> dict[str, str]:
    if lang not in LANGS or lang == LANGS[0]:
        return {}
    return read_catalogue("safepost", lang, DOMAIN)


def say(message: str, lang: str | None = None, /, **values: Any) -> str:
    """``message`` (an English id with ``{name}`` placeholders) in ``lang``, values filled in.

    Values that are themselves :class:`Phrase` are said in ``lang`` too.
    """
    lang = lang or locale_lang()
    text = _catalogue(lang).get(message, message)
    if not values:
        return text
    filled = {k: (v.say(lang) if isinstance(v, Phrase | Lines) else v) for k, v in values.items()}
    return text.format(**filled)


class Phrase(str):
    """A message and its values; the string is the message in the environment's language."""

    msgid: str
    values: dict[str, Any]

    def __new__(cls, msgid: str, **values: Any) -> Phrase:
        obj = super().__new__(cls, say(msgid, None, **values))
        obj.msgid = msgid
        obj.values = values
        return obj

    def say(self, lang: str) -> str:
        """The same message in ``lang``."""
        return say(self.msgid, lang, **self.values)

    def __reduce__(self):  # pickled (batch workers): keep it a phrase
        return (_phrase, (self.msgid, self.values))


def _phrase(msgid: str, values: dict[str, Any]) -> Phrase:
    return Phrase(msgid, **values)


class Lines(str):
    """Several phrases joined by ``sep``, said again in another language as a whole."""

    parts: list[Any]
    sep: str

    def __new__(cls, parts: list[Any], sep: str = "; ") -> Lines:
        obj = super().__new__(cls, sep.join(str(p) for p in parts))
        obj.parts, obj.sep = list(parts), sep
        return obj

    def say(self, lang: str) -> str:
        return self.sep.join(p.say(lang) if isinstance(p, Phrase | Lines) else str(p) for p in self.parts)


def said(text: object, lang: str) -> str:
    """``text`` in ``lang`` when it is a phrase, else as it is (for templates: ``{{ say(f) }}``)."""
    return text.say(lang) if isinstance(text, Phrase | Lines) else str(text)


def closest(word: str, names: list[str]) -> str | None:
    """The name in ``names`` nearest to ``word`` (a typo), or None when none is near."""
    found = difflib.get_close_matches(str(word).lower(), [n.lower() for n in names], n=1, cutoff=0.6)
    if not found:
        return None
    return next(n for n in names if n.lower() == found[0])


#: how a registry name was written in a post (the forms of ``safepost.text.name_forms``), in words
NAME_FORM_WORDS = {
    "full": "the full name",
    "alias": "an alias",
    "given+surname": "first name and surname",
    "nickname+surname": "nickname and surname",
    "initials": "initials",
    "initial+surname": "initial and surname",
    "nickname": "a nickname",
    "first_name_only": "the first name only",
    "surname_only": "the surname only",
}


def name_form(how: str) -> Phrase:
    """'the full name', 'initials' ... for a name match's form (the form itself when it has no words)."""
    return Phrase(NAME_FORM_WORDS.get(how, how))


# ---- YAML files edited by hand -------------------------------------------------------------------


def yaml_problem(file: str, exc: Exception) -> Phrase:
    """What is wrong with a YAML text, in words, with the line (PyYAML's marks count from 0)."""
    problem = str(getattr(exc, "problem", "") or "")
    context = str(getattr(exc, "context", "") or "")
    mark = getattr(exc, "problem_mark", None)
    start = getattr(exc, "context_mark", None)
    line = mark.line + 1 if mark is not None else 0
    first = start.line + 1 if start is not None else line
    if "flow sequence" in context:
        return Phrase(
            "{file}, line {first}: the list that starts with '[' is not closed. Put ']' at its end, "
            "and a comma between two items, as in [instagram, x].",
            file=file,
            first=first,
        )
    if "flow mapping" in context:
        return Phrase(
            "{file}, line {first}: the group that starts with '{{' is not closed. Put '}}' at its end, "
            "and a comma between two entries.",
            file=file,
            first=first,
        )
    if "quoted scalar" in context:
        return Phrase(
            "{file}, line {first}: a quote is opened and never closed. Close it with the same quote mark.",
            file=file,
            first=first,
        )
    if "mapping values are not allowed" in problem:
        return Phrase(
            "{file}, line {line}: a second ':' on one line. Put a value that contains ': ' in quotes, "
            'as in text: "Today: march".',
            file=file,
            line=line,
        )
    if "'\\t'" in problem or "tab" in problem:
        return Phrase(
            "{file}, line {line}: a tab character. Indent with spaces only.",
            file=file,
            line=line,
        )
    if "block mapping" in context or "could not find expected ':'" in problem:
        return Phrase(
            "{file}, line {line}: this line does not line up with the ones above it, or is not "
            "written as 'name: value'. Check its spaces at the start and its ':'.",
            file=file,
            line=line,
        )
    if line:
        return Phrase(
            "{file}, line {line}: this line cannot be read. Compare it with the example in docs/post-check.md.",
            file=file,
            line=line,
        )
    return Phrase("{file} cannot be read as YAML. Compare it with the example in docs/post-check.md.", file=file)


def key_lines(text: str) -> dict[tuple[str | int, ...], int]:
    """{path of each key or list item: its line (from 1)} of a YAML text that parses."""
    import yaml

    lines: dict[tuple[str | int, ...], int] = {}
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return lines

    def walk(node, path: tuple[str | int, ...]) -> None:
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                here = (*path, str(key.value))
                lines[here] = key.start_mark.line + 1
                walk(value, here)
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                lines[(*path, i)] = item.start_mark.line + 1
                walk(item, (*path, i))

    if root is not None:
        walk(root, ())
    return lines


#: the example a date or a time is written as, by the kind of value the field holds
#: What each audit-log entry records (the ``action`` of ``Workspace.audit``), in words.
AUDIT_ACTIONS = {
    "workspace.create": "Workspace created",
    "schema.migrate": "Workspace format updated",
    "passphrase.change": "Passphrase changed",
    "workspace.backup": "Backup made",
    "workspace.restore": "Restored from a backup",
    "person.add": "Person added",
    "person.update": "Person's details changed",
    "event.add": "Event added",
    "event.update": "Event changed",
    "event.participants": "People added to an event",
    "consent.grant": "Consent recorded",
    "consent.refuse": "Refusal recorded",
    "consent.withdraw": "Consent withdrawn",
    "vault.put": "Original file stored, encrypted",
    "vault.delete": "Original file deleted",
    "post.prepare": "Post prepared",
    "publication.url": "Address of a published post saved",
    "publication.taken_down": "Published post marked as taken down",
    "web.unlock_failures": "Wrong passphrase typed in the web app",
}


def audit_action(action: str, lang: str | None = None) -> str:
    """An audit entry's action in words (the action name itself when it has none)."""
    return say(AUDIT_ACTIONS[action], lang) if action in AUDIT_ACTIONS else action


_DATE_EXAMPLES = {"datetime": "2026-12-01T18:00:00Z", "date": "2026-12-01"}


def field_problems(file: str, exc, model, text: str, limit: int = 5) -> Lines:
    """Each problem of a pydantic ValidationError in words: the field, its line, what to write.

    ``model`` is the pydantic model the data was checked against (for the allowed field names).
    """
    lines = key_lines(text)
    errors = exc.errors()
    # a field misspelt is also a field missing: say it once, as the misspelling
    typos = set()
    for err in errors:
        if err.get("type") == "extra_forbidden":
            loc = tuple(err.get("loc", ()))
            near = closest(str(loc[-1]), _allowed_fields(model, loc))
            if near:
                typos.add((*loc[:-1], near))
    errors = [e for e in errors if not (e.get("type") == "missing" and tuple(e.get("loc", ())) in typos)]
    out = [_field_problem(file, err, model, lines) for err in errors[:limit]]
    if len(errors) > limit:
        out.append(Phrase("And {count} more problem(s).", count=len(errors) - limit))
    return Lines(out, sep=" ")


def _allowed_fields(model, loc: tuple) -> list[str]:
    """The field names allowed at ``loc`` (a path into ``model``); empty when unknown."""
    current = model
    for part in loc[:-1]:
        fields = getattr(current, "model_fields", None)
        if not fields or not isinstance(part, str) or part not in fields:
            if isinstance(part, int):
                continue
            return []
        annotation = fields[part].annotation
        inner = getattr(annotation, "__args__", None)
        current = next((a for a in inner or (annotation,) if hasattr(a, "model_fields")), None)
        if current is None:
            return []
    return list(getattr(current, "model_fields", {}))


def _field_problem(file: str, err: dict, model, lines: dict) -> Phrase:
    loc = tuple(err.get("loc", ()))
    kind = err.get("type", "")
    field = ".".join(str(p) for p in loc) or "?"
    line = lines.get(loc) or next((lines[loc[:n]] for n in range(len(loc) - 1, 0, -1) if loc[:n] in lines), 0)
    value = err.get("input")
    where = Phrase("{file}, line {line}", file=file, line=line) if line else Phrase("{file}", file=file)
    if kind == "extra_forbidden":
        allowed = _allowed_fields(model, loc)
        near = closest(str(loc[-1]), allowed) if allowed else None
        if near:
            return Phrase(
                "{where}: '{name}' is not a field here. Did you mean '{near}'? The fields are: {allowed}.",
                where=where,
                name=loc[-1],
                near=near,
                allowed=", ".join(allowed),
            )
        return Phrase(
            "{where}: '{name}' is not a field here. The fields are: {allowed}.",
            where=where,
            name=loc[-1],
            allowed=", ".join(allowed) or "?",
        )
    if kind == "missing":
        return Phrase("{file}: '{field}' is missing; it must be given.", file=file, field=field)
    if kind == "enum":
        allowed = [a.strip(" '") for a in str(err.get("ctx", {}).get("expected", "")).replace(" or ", ", ").split(",")]
        allowed = [a for a in allowed if a]
        near = closest(str(value), allowed)
        if near:
            return Phrase(
                "{where}: '{value}' is not allowed for {field}. Did you mean '{near}'? Allowed: {allowed}.",
                where=where,
                value=value,
                field=field,
                near=near,
                allowed=", ".join(allowed),
            )
        return Phrase(
            "{where}: '{value}' is not allowed for {field}. Allowed: {allowed}.",
            where=where,
            value=value,
            field=field,
            allowed=", ".join(allowed),
        )
    if kind.startswith(("datetime", "date")):
        example = _DATE_EXAMPLES["datetime" if kind.startswith("datetime") else "date"]
        pattern = "YYYY-MM-DDTHH:MM:SSZ" if kind.startswith("datetime") else "YYYY-MM-DD"
        digits = str(value).translate(str.maketrans("OoIl", "0011"))
        if digits != str(value) and not any(c.isalpha() for c in digits.replace("T", "").replace("Z", "")):
            return Phrase(
                "{where}: '{value}' in {field} is not a date: it has a letter where a digit goes "
                "(a letter O for a zero?). Write it as {pattern}, for example {example}.",
                where=where,
                value=value,
                field=field,
                pattern=pattern,
                example=example,
            )
        return Phrase(
            "{where}: '{value}' in {field} is not a date. Write it as {pattern}, for example {example}.",
            where=where,
            value=value,
            field=field,
            pattern=pattern,
            example=example,
        )
    if kind == "bool_type" or kind == "bool_parsing":
        return Phrase("{where}: {field} must be true or false, not '{value}'.", where=where, field=field, value=value)
    if kind == "list_type":
        return Phrase("{where}: {field} must be a list, as in [first, second].", where=where, field=field)
    if kind in ("string_type", "int_type", "int_parsing", "float_type", "float_parsing"):
        what = Phrase("a number") if kind.startswith(("int", "float")) else Phrase("a text")
        return Phrase(
            "{where}: {field} must be {what}, not '{value}'.", where=where, field=field, what=what, value=value
        )
    if kind == "too_short":
        return Phrase("{where}: {field} must not be empty.", where=where, field=field)
    message = str(err.get("msg", "")).removeprefix("Value error, ")
    return Phrase("{where}: {field}: {message}", where=where, field=field, message=message)
