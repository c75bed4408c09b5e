"""The flows: the only modules that call more than one stage (analyse, decide, render, report).

- ``flows.media``: redact, clean or inspect one file (``redact_file``, ``clean_file``,
  ``inspect_file``, ``list_tracks``); ``flows.video``: the analysis pass of a video redaction.

The CLI, the web app and the batch runner call these; the stages below never call a flow.
docs/architecture.md has the layout.
"""
