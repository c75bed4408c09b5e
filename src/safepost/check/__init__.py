"""The post check's rules (decide stage): what a post's findings become (docs/post-check.md).

``decide`` (faces, consent, review keep / drop / add, metadata), ``text`` (names, personal data,
quotes in the post text, and the edits that mask them), ``timing`` and ``live_words`` (live posting),
``rewrite`` and ``source_links`` (readable text after masking). The flow that runs them, with the
detectors and the renderers, is ``safepost.flows.post`` (``check_post``) and
``safepost.flows.prepare`` (``prepare_post``).
"""
