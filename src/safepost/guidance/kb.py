"""Load the knowledge base (``kb/*.yaml``), validate it, and give one language's view of it."""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from importlib.resources.abc import Traversable
from typing import Any

import yaml
from pydantic import ValidationError

from safepost.core import SafepostError
from safepost.guidance.constants import AUDIENCES
from safepost.guidance.i18n import LANGS, check_lang
from safepost.guidance.schema import KnowledgeBase, Text, localize


def _read(item: Traversable) -> Any:
    try:
        return yaml.safe_load(item.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise SafepostError(f"cannot read the guidance file {item.name}: {exc}") from exc


def raw_data() -> dict[str, Any]:
    """Every KB file as plain data, every text still in all languages."""
    root = resources.files("safepost.guidance").joinpath("kb")
    services = [
        _read(f) for f in sorted(root.joinpath("services").iterdir(), key=lambda f: f.name) if f.name.endswith(".yaml")
    ]
    audiences = {aid: _read(root.joinpath("audiences", f"{aid}.yaml")) for aid in AUDIENCES}
    return {
        "services": {s["id"]: s for s in services if isinstance(s, dict) and "id" in s},
        "audiences": audiences,
        "event": _read(root.joinpath("event.yaml")),
        "guidelines": _read(root.joinpath("guidelines.yaml")),
        "steps": _read(root.joinpath("steps.yaml")),
        "extras": _read(root.joinpath("extras.yaml")),
    }


@lru_cache(maxsize=1)
def load_all() -> KnowledgeBase[Text]:
    """The whole KB, validated, with every language (a damaged install raises SafepostError, exit 1)."""
    data = raw_data()
    try:
        return KnowledgeBase[Text].model_validate({"lang": "*", **data})
    except ValidationError as exc:
        raise SafepostError(f"the guidance knowledge base is invalid: {exc}") from exc


@lru_cache(maxsize=len(LANGS))
def load_kb(lang: str) -> KnowledgeBase[str]:
    """The knowledge base in one language: the same structure with plain strings for texts."""
    check_lang(lang)
    everything = load_all().model_dump(mode="json")
    everything["lang"] = lang
    return KnowledgeBase[str].model_validate(localize(everything, lang))


def service_ids() -> list[str]:
    return sorted(load_all().services)


__all__ = ["AUDIENCES", "load_all", "load_kb", "raw_data", "service_ids"]
