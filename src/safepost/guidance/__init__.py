"""Guidance (G1-G5): risk self-assessment, trace my exposure, audience guides, organisation kit.

The Python API the CLI and the web app call::

    from safepost import guidance
    plan = guidance.assess(answers, "es")            # answers: a dict, as in an answers YAML file
    html = guidance.render_plan(plan, "html")        # "md" / "html": str, "pdf": bytes
    policy_yaml = plan.policy.to_yaml()              # organisation plans only (else None)
    report = guidance.exposure(["whatsapp", "android"], "high", "en")
    text = guidance.guide("supporters", "es")        # Markdown
    form = questions("es")                           # QUESTIONS translated (safepost.guidance.questions)

Everything is offline: the knowledge base (``kb/``) and the translations (``locale/``) ship in the
package. Names are imported on first use, so ``import safepost.guidance`` stays cheap for the CLI.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

# ``exposure`` is both a function of this API and the name of its module: importing the function
# here binds the package attribute to the function for good (the module is light: it loads the
# knowledge base and pydantic on first use).
from safepost.guidance.exposure import exposure

_EXPORTS = {
    "AUDIENCES": "constants",
    "LEVELS": "constants",
    "LANGS": "i18n",
    "detect_lang": "i18n",
    "translator": "i18n",
    "QUESTIONS": "questions",
    "Question": "questions",
    "Answers": "answers",
    "dump_answers": "answers",
    "load_answers": "answers",
    "parse_answers": "answers",
    "load_kb": "kb",
    "Plan": "plan",
    "assess": "plan",
    "render_plan": "plan",
    "ExposureReport": "exposure",
    "render_exposure": "exposure",
    "guide": "guides",
    "kit_event": "guides",
    "kit_guidelines": "guides",
}
__all__ = [
    "AUDIENCES",
    "LANGS",
    "LEVELS",
    "QUESTIONS",
    "Answers",
    "ExposureReport",
    "Plan",
    "Question",
    "assess",
    "detect_lang",
    "dump_answers",
    "exposure",
    "guide",
    "kit_event",
    "kit_guidelines",
    "load_answers",
    "load_kb",
    "parse_answers",
    "render_exposure",
    "render_plan",
    "translator",
]

if TYPE_CHECKING:
    from safepost.guidance.answers import Answers, dump_answers, load_answers, parse_answers
    from safepost.guidance.constants import AUDIENCES, LEVELS
    from safepost.guidance.exposure import ExposureReport, render_exposure
    from safepost.guidance.guides import guide, kit_event, kit_guidelines
    from safepost.guidance.i18n import LANGS, detect_lang, translator
    from safepost.guidance.kb import load_kb
    from safepost.guidance.plan import Plan, assess, render_plan
    from safepost.guidance.questions import QUESTIONS, Question


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'safepost.guidance' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"safepost.guidance.{_EXPORTS[name]}"), name)
    globals()[name] = value
    return value
