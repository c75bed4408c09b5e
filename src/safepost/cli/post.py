"""The post check: new-post, check, prepare (docs/post-check.md).

`safepost check` is a gate: it exits 0 Low, 1 Medium, 2 High, 3 Blocked. Its errors exit with
codes above 3: a usage error 64, an unreadable input 11, an internal error 70, any other error
its usual code (docs/cli.md).
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from safepost.cli import _fail, echo, echo_json, error, main, say, working
from safepost.termtext import json_safe

CHECK_USAGE_EXIT = 64
CHECK_INPUT_EXIT = 11
CHECK_INTERNAL_EXIT = 70


class GateCommand(click.Command):
    """A command whose exit codes 0-3 are results, so usage errors must not exit 2 (High)."""

    def parse_args(self, ctx, args):
        try:
            return super().parse_args(ctx, args)
        except click.UsageError as exc:
            exc.exit_code = CHECK_USAGE_EXIT
            raise


def _gate_error(exc: Exception) -> None:
    from safepost.core import SafepostError

    if isinstance(exc, SafepostError):
        _fail(str(exc), exc.exit_code if exc.exit_code > 3 else CHECK_INPUT_EXIT)
    error(f"internal error: {type(exc).__name__}: {exc} (please report this)")
    sys.exit(CHECK_INTERNAL_EXIT)


@main.command("new-post")
@click.argument("folder", type=click.Path(path_type=Path))
def new_post_command(folder: Path) -> None:
    """Make a post bundle FOLDER with post.yaml, post.txt and review.yaml to fill in."""
    from safepost.core import SafepostError
    from safepost.post import new_post

    try:
        new_post(folder)
    except SafepostError as exc:
        _fail(str(exc), exc.exit_code)
    say(
        f"created {folder}: put the photos there, list them in post.yaml, write post.txt, "
        f"then `safepost check {folder}`"
    )


_policy_option = click.option(
    "--policy",
    "policy_path",
    type=click.Path(path_type=Path),
    help="The organisation's policy.yaml (default: cautious).",
)


@main.command("check", cls=GateCommand)
@click.argument("post_folder", metavar="POST", type=click.Path(path_type=Path))
@_policy_option
@click.option(
    "--format", "fmt", type=click.Choice(["terminal", "json", "md", "html"]), default="terminal", show_default=True
)
@click.option("-o", "--output", type=click.Path(path_type=Path), help="Write the report to this file.")
@click.option(
    "--reveal-before",
    is_flag=True,
    help="HTML: show the original faces under the boxes in 'before' pictures (the report then identifies people).",
)
def check_command(post_folder: Path, policy_path: Path | None, fmt: str, output: Path | None, reveal_before: bool):
    """Say whether POST is safe to publish: Low (exit 0), Medium (1), High (2) or Blocked (3).

    Every finding comes with why it matters and how to fix it; `safepost prepare` applies the fixes.
    """
    try:
        report, rendered = _check(post_folder, policy_path, fmt, reveal_before)
        if output is not None:
            from safepost.media.atomic import atomic_write_bytes

            atomic_write_bytes(output, rendered.encode())
            say(f"report written to {output}: it names people and findings, keep it inside the organisation")
        elif rendered:
            echo(json_safe(rendered) if fmt == "json" else rendered)
        else:
            from safepost.report.terminal import print_report

            print_report(report)
    except SystemExit:
        raise
    except Exception as exc:  # noqa: BLE001 - every failure must exit above 3, never as a level
        _gate_error(exc)
    sys.exit(report.exit_code)


def _check(post_folder: Path, policy_path: Path | None, fmt: str, reveal: bool):
    from safepost.cli.workspace import open_workspace
    from safepost.decide.policy import load_policy
    from safepost.flows.post import analyse_post
    from safepost.flows.post_render import previews
    from safepost.post import load_post
    from safepost.report import render_report

    post = load_post(post_folder)
    policy = load_policy(policy_path)
    with open_workspace() as ws, working(f"Checking {post_folder} (faces, names, metadata)…", quiet=fmt == "json"):
        analysis = analyse_post(post, ws, policy=policy)
    report = analysis.report
    if fmt == "terminal":
        return report, ""
    before, after = previews(analysis, reveal=reveal) if fmt == "html" else ({}, {})
    return report, render_report(report, fmt, before=before, after=after)


@main.command("prepare")
@click.argument("post_folder", metavar="POST", type=click.Path(path_type=Path))
@click.option("-o", "--output", type=click.Path(path_type=Path), required=True, help="New folder for the safe bundle.")
@_policy_option
@click.option("--approve-by", help="Name of the second reviewer who approves a High post.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def prepare_command(post_folder: Path, output: Path, policy_path: Path | None, approve_by: str | None, as_json: bool):
    """Write a sanitised copy of POST to OUTPUT: masked media, clean files, safe text and time.

    It refuses (exit 14) when the post would still be Blocked, or High without --approve-by.
    The publication and the consents it relies on are recorded in the workspace's audit log.
    """

    from safepost.cli.workspace import open_workspace
    from safepost.core import SafepostError
    from safepost.decide.policy import load_policy
    from safepost.flows.prepare import prepare_post
    from safepost.post import load_post

    try:
        post = load_post(post_folder)
        policy = load_policy(policy_path)
        if output.exists() and (not output.is_dir() or any(output.iterdir())):
            _fail(f"{output} already exists and is not empty; choose a new folder", 7)
        with open_workspace() as ws, working(f"Preparing the safe version of {post_folder}…", quiet=as_json):
            result = prepare_post(post, ws, policy=policy, approve_by=approve_by, output=output)
    except SafepostError as exc:
        _fail(str(exc), exc.exit_code)
    if as_json:
        echo_json(result.to_dict())
    else:
        say(f"{post_folder}: {result.before.level} -> {result.after.level}; safe bundle written to {output}")
        for f in result.after.findings:
            if f.severity in ("medium", "high"):
                say(f"  still to look at: {f.title} ({f.fix})")
        numbers = ", ".join(str(i) for i in result.publication_ids)
        if numbers:
            say(f"recorded as publication {numbers}; once it is online: safepost published {post_folder} URL")


def _publication(ws, post: str, platform: str | None, url: str | None = None):
    from safepost.consent.publications import find_publication

    return find_publication(ws, post, platform, url)


@main.command("published")
@click.argument("post", metavar="POST")
@click.argument("url")
@click.option("--platform", help="Which platform's copy, when the post went to several (default: from the URL).")
@click.option("--json", "as_json", is_flag=True, help="Print the publication as JSON.")
def published_command(post: str, url: str, platform: str | None, as_json: bool) -> None:
    """Record that POST is online at URL (POST: the folder given to prepare, or a publication number).

    The address is kept only in the encrypted workspace; a takedown list then shows it.
    """
    from safepost.cli.registry import _registry
    from safepost.consent.publications import check_url, record_url

    with _registry(as_json) as ws:
        url = check_url(url)  # a wrong address is said first, whatever else is unclear
        found = _publication(ws, post, platform, url)
        pub = record_url(ws, found.id, url)
    if as_json:
        echo_json(pub.to_dict())
    else:
        say(f"publication {pub.id} ({pub.platform}) is online at {pub.url}")


@main.command("taken-down")
@click.argument("post", metavar="POST")
@click.option("--platform", help="Which platform's copy, when the post went to several.")
@click.option("--json", "as_json", is_flag=True, help="Print the publication as JSON.")
def taken_down_command(post: str, platform: str | None, as_json: bool) -> None:
    """Record that POST (a folder given to prepare, or a publication number) is no longer online.

    It then leaves every takedown list.
    """
    from safepost.cli.registry import _registry
    from safepost.consent.publications import mark_taken_down

    with _registry(as_json) as ws:
        found = _publication(ws, post, platform)
        pub = mark_taken_down(ws, found.id)
    if as_json:
        echo_json(pub.to_dict())
    else:
        say(f"publication {pub.id} ({pub.platform}) marked taken down on {pub.taken_down_at[:10]}")


@main.command("publications")
@click.argument("post", metavar="[POST]", required=False)
@click.option("--json", "as_json", is_flag=True, help="Print them as JSON.")
def publications_command(post: str | None, as_json: bool) -> None:
    """List what was published (of POST, when given): number, first words, when, where, address."""
    from safepost.cli.registry import _registry, takedown_table
    from safepost.consent.publications import list_publications

    with _registry(as_json) as ws:
        found = list_publications(ws, post)
    if as_json:
        echo_json([p.to_dict() for p in found])
        return
    if not found:
        say("no publication recorded yet (safepost prepare records them)")
        return
    takedown_table(found, status=True)
