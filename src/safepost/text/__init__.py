"""The text check of a post (P2): registry names, personal data (PII) and quoted speech.

    from safepost.text import NameIndex, find_pii, find_quotes
    index = NameIndex.from_people(people)          # build once, reuse for every post
    names = index.find(post_text)                  # who from the registry is named, and how
                                                   # (score < REVIEW_SCORE: only a possible mention)
    pii = find_pii(post_text)                      # emails, phones, GPS, ID numbers, addresses, tracking links
    quotes = find_quotes(post_text)                # quoted speech and its speaker, if written

Everything here is a pure function of the text (and the registry for names): no network, no files.
docs/text-check.md explains what is matched and why every match needs a human look.
"""

from safepost.text.folding import Folded, fold
from safepost.text.names import REVIEW_SCORE, NameEntry, NameIndex, NameMatch
from safepost.text.ner import OtherName, find_other_names, ner_available
from safepost.text.pii import PII_KINDS, PiiMatch, find_pii
from safepost.text.quotes import Quote, find_quotes

__all__ = [
    "PII_KINDS",
    "REVIEW_SCORE",
    "Folded",
    "NameEntry",
    "NameIndex",
    "NameMatch",
    "OtherName",
    "PiiMatch",
    "Quote",
    "find_other_names",
    "find_pii",
    "find_quotes",
    "fold",
    "ner_available",
]
