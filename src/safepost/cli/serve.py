"""The local web app: ``safepost serve`` (docs/web.md)."""

from __future__ import annotations

from pathlib import Path

import click

from safepost.cli import _fail, main, say, warn
from safepost.cli.post import _policy_option
from safepost.core import SafepostError


@main.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on (this computer only).")
@click.option("--port", type=click.IntRange(1, 65535), default=8765, show_default=True, help="Port to listen on.")
@click.option("--no-browser", is_flag=True, help="Do not open the web browser.")
@click.option(
    "--allow-remote",
    is_flag=True,
    help="Allow an address other computers can reach. Dangerous: plain HTTP, anyone there can try passphrases.",
)
@click.option(
    "--idle-lock",
    "idle_minutes",
    type=click.FloatRange(min=0.1),
    default=15,
    show_default=True,
    help="Lock the workspace after this many minutes without use.",
)
@click.option(
    "--max-upload-mb", type=click.IntRange(1, 4096), default=256, show_default=True, help="Largest upload, in MB."
)
@_policy_option
def serve_command(
    host: str,
    port: int,
    no_browser: bool,
    allow_remote: bool,
    idle_minutes: float,
    max_upload_mb: int,
    policy_path: Path | None,
) -> None:
    """Open the web app for people who prefer a browser to the command line. It runs on this computer only."""
    from safepost.cli.workspace import _workspace_path
    from safepost.web import server
    from safepost.web.security import is_loopback

    try:
        server.check_host(host, allow_remote)
    except SafepostError as exc:
        _fail(str(exc), exc.exit_code)
    if not is_loopback(host):
        warn("=" * 70)
        warn(f"safepost will listen on {host}: OTHER COMPUTERS CAN REACH IT.")
        warn("The connection is plain HTTP (not encrypted) and anyone on the network can try passphrases.")
        warn("Use this only on a network you trust, and lock the workspace when you are done.")
        warn("=" * 70)
    path = _workspace_path()
    try:
        server.check_workspace(path)
        server.check_port_free(host, port)
        config = server.make_config(path, host, allow_remote, idle_minutes, max_upload_mb, policy_path)
        say(f"safepost is running at {server.url_for(host, port)} (press Ctrl+C to stop)")
        server.run(config, host, port, open_browser=not no_browser)
    except SafepostError as exc:
        _fail(str(exc), exc.exit_code)
