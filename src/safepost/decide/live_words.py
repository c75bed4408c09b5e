"""Words that say "now" in a post published after its event ("Live from the march today!").

Posting late is how safepost keeps people safe (they have gone home); a delayed post that still
says "live", "today", "ahora", "hoy" reads wrongly and invites readers to go there now.
"""

from __future__ import annotations

import re
from datetime import datetime

from safepost.consent.events import Event
from safepost.core import Finding
from safepost.decide.timing import event_window
from safepost.words import Phrase

LIVE_WORDS = re.compile(
    r"(?<!\w)(?:live|right now|happening now|as we speak|at this moment|today|tonight|this (?:morning|afternoon|"
    r"evening)|en vivo|en directo|ahora mismo|ahora|en este momento|hoy|esta (?:noche|mañana|tarde)|ao vivo|"
    r"agora|hoje|esta noite|en direct|maintenant|aujourd'hui|ce soir)(?!\w)",
    re.IGNORECASE,
)


def live_word_findings(text: str, event: Event | None, at: datetime) -> list[Finding]:
    """A finding per "now" word when ``at`` (publication) is after the day the event ended."""
    if event is None:
        return []
    _, day_after = event_window(event, 0)
    if day_after is None or at < day_after:
        return []
    return [
        Finding(
            "live_words_delayed",
            "low",
            Phrase("'{word}' in a post published after the event", word=m.group(0)),
            Phrase(
                "The post goes out after the event, but this word says it is happening now: readers (and anyone "
                "watching) may take it that people are still there."
            ),
            Phrase("Say when it happened instead ('on Saturday', 'el sábado')."),
            span=[m.start(), m.end()],
        )
        for m in LIVE_WORDS.finditer(text)
    ]
