"""The consent registry: people, events, consents, the consent check, CSV import and badges (C2-C4).

    from safepost.consent import people, events, registry
    decision = registry.check(ws, "P-7K3Q9X", "face", "instagram", "public", "advocacy", event_id="E-2026-forum")

Modules: ``people``, ``events``, ``registry`` (grant, refuse, withdraw, show, check), ``importer``
(``people import FILE.csv``) and ``badges`` (name-tag PDFs with the NO PHOTO marker). docs/consent.md
describes the model and the rules.
"""
