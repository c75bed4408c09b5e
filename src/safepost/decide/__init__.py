"""The decide stage: every rule that turns findings into mask / keep / block, once (docs/architecture.md).

``consent`` (THE consent question asked of the registry's records, ``may_keep``), ``media`` (the
review's keep / drop / add, what a post's media reveal), ``nophoto`` (NO PHOTO and text masking of a
frame), ``regions`` (manual regions and ignored detections), ``text`` and ``source_links`` (names,
personal data, quotes and links in the post text, and the edits that mask them), ``timing`` and
``live_words`` (live posting), ``risk`` and ``policy`` (the risk model and ``policy.yaml``),
``scoring`` (the archive audit's points). The flows run them between the detectors and the
renderers (``safepost.flows``).
"""
