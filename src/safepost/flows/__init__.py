"""The flows: the only modules that call more than one stage (analyse, decide, render, report).

- ``flows.media``: redact, clean or inspect one file (``redact_file``, ``clean_file``,
  ``inspect_file``, ``list_tracks``); ``flows.video``: the analysis pass of a video redaction.
- ``flows.post``: check a post (``check_post``, ``analyse_post``); ``flows.prepare``: prepare it
  (``prepare_post``), with ``flows.recheck`` (the second look at the rendered files),
  ``flows.post_media`` (the analysis of a post's photos and videos) and ``flows.post_render``
  (masked photos and before / after previews).

The CLI, the web app and the batch runner call these; the stages below never call a flow.
docs/architecture.md has the layout.
"""
