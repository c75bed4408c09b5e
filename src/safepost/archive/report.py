"""What an archive audit is asked (``AuditOptions``) and what it answers (``AuditReport``)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field

from safepost.archive.affiliation import AffiliationConfig
from safepost.archive.analyse import ItemResult
from safepost.archive.source import Limits


@dataclass
class AuditOptions:
    """Choices that change the results (their fingerprint is part of the resume key)."""

    affiliations: AffiliationConfig = field(default_factory=AffiliationConfig)
    media: bool = True
    faces_mode: str = "fast"
    thumbnails: bool = True
    purpose: str = "advocacy"
    limits: Limits = field(default_factory=Limits)
    #: save progress after this many items, or this many seconds, whichever comes first
    checkpoint_items: int = 2000
    checkpoint_seconds: float = 15.0

    def fingerprint(self) -> str:
        chosen = {
            "affiliations": self.affiliations.model_dump(),
            "media": self.media,
            "faces_mode": self.faces_mode,
            "thumbnails": self.thumbnails,
            "purpose": self.purpose,
            "limits": asdict(self.limits),
        }
        return hashlib.sha256(json.dumps(chosen, sort_keys=True).encode()).hexdigest()


@dataclass
class AuditReport:
    """The result: export facts, the summary, ranked items (score above zero), notes and figures."""

    export: dict
    summary: dict
    items: list[ItemResult]
    notes: list[str]
    stats: dict
    resume_key: str = ""
    #: items read / found, media analysed / found, and every file not analysed with its reason
    coverage: dict = field(default_factory=dict)
    #: what the platform holds about the account that no post shows (upload IPs, devices)
    platform_data: list[dict] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {
            "export": self.export,
            "coverage": self.coverage,
            "summary": self.summary,
            "items": [r.to_dict() for r in self.items],
            "platform_data": self.platform_data,
            "notes": self.notes,
            "stats": self.stats,
        }
