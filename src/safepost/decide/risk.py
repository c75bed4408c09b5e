"""The risk model (P3): for each person, likelihood x impact, each from 1 to 5.

Likelihood that someone hostile identifies and reaches the person:
  1, plus 1 for each identifier left in the post (face, name, voice; at most +2), plus 1 when the
  place is revealed (GPS, address), plus 1 when posted live (during the event or while people are
  still on site), plus 1 against a capable, willing threat actor (capability x intent >= 6);
  minus 1 for a closed audience, minus 2 for an internal one; minus 1 when the person consented to
  every identifier shown (they chose it and can prepare: their capacity).
Impact if they are: the civic-space score of the policy (open 1 ... closed 5), plus 1 for a highly
  sensitive location, plus 1 for a minor. Both are clamped to 1..5.

The post's score is the highest person score; the policy's thresholds turn it into Low, Medium or
High. Hard blocks (findings that block) make it Blocked whatever the score.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from safepost.core.report import PersonRisk
from safepost.decide.policy import Policy
from safepost.post.schema import Audience, PostMeta, Sensitivity
from safepost.words import Lines, Phrase

_AUDIENCE_SHIFT = {Audience.PUBLIC: 0, Audience.CLOSED: -1, Audience.INTERNAL: -2}


@dataclass
class Exposure:
    """What the post shows of one person (or group)."""

    who: str
    identifiers: set[str] = field(default_factory=set)  # face, name, voice
    consented: bool = False
    minor: bool = False


def _clamp(value: int) -> int:
    return max(1, min(5, value))


#: what each step of the civic-space scale means for the people shown, in words
CIVIC_SPACE_WORDS = {
    "open": "where they live, people can organise and speak out freely",
    "narrowed": "where they live, people can mostly organise and speak out, but some face harassment",
    "obstructed": "where they live, the authorities often get in the way of protests, organising and speaking out",
    "repressed": "where they live, people who speak out risk surveillance, arrest or violence",
    "closed": "where they live, any criticism can lead to prison, violence or worse",
}

#: how each identifier is said in a sentence
_SHOWN_BY = {"face": "their face", "name": "their name", "voice": "their voice", "device": "the device used"}


def _listed(words: list[str]) -> Phrase | str:
    if len(words) == 1:
        return Phrase(words[0])
    return Phrase("{first} and {last}", first=Lines([Phrase(w) for w in words[:-1]], ", "), last=Phrase(words[-1]))


def assess(exposure: Exposure, meta: PostMeta, policy: Policy, live: bool, location: bool) -> PersonRisk:
    """Likelihood x impact for one person, with the reason behind every step (in words)."""
    reasons: list[str] = []
    likelihood = 1 + min(2, len(exposure.identifiers))
    if exposure.identifiers:
        shown = [_SHOWN_BY.get(i, i) for i in sorted(exposure.identifiers)]
        reasons.append(Phrase("they can be recognised by {what}", what=_listed(shown)))
    if location:
        likelihood += 1
        reasons.append(Phrase("the post shows where it happened"))
    if live:
        likelihood += 1
        reasons.append(Phrase("it goes out while people are still there"))
    if policy.threat_score >= 6:
        likelihood += 1
        reasons.append(Phrase("your policy names someone able and willing to harm them"))
    shift = _AUDIENCE_SHIFT[meta.audience]
    if shift:
        likelihood += shift
        reasons.append(
            Phrase("only a closed group sees it")
            if meta.audience == Audience.CLOSED
            else Phrase("only your own organisation sees it")
        )
    if exposure.consented and exposure.identifiers:
        likelihood -= 1
        reasons.append(Phrase("they agreed to be shown"))
    impact = policy.context.score
    reasons.append(Phrase(CIVIC_SPACE_WORDS[policy.context.value]))
    if meta.location_sensitivity == Sensitivity.HIGH:
        impact += 1
        reasons.append(Phrase("the place is a very sensitive one to reveal"))
    if exposure.minor:
        impact += 1
        reasons.append(Phrase("they are a child"))
    return PersonRisk(exposure.who, sorted(exposure.identifiers), _clamp(likelihood), _clamp(impact), reasons)


def level_for(score: int, blocked: bool, policy: Policy) -> str:
    if blocked:
        return "blocked"
    if score >= policy.thresholds.high:
        return "high"
    if score >= policy.thresholds.medium:
        return "medium"
    return "low"
