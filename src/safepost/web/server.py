"""Run the web app on uvicorn: loopback only unless remote access is asked for explicitly."""

from __future__ import annotations

import contextlib
import socket
import threading
import webbrowser
from pathlib import Path

from safepost.core import SafepostError, WorkspaceError
from safepost.web.config import LOOPBACK_HOSTS, WebConfig
from safepost.web.security import is_loopback

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765


class HostRefused(SafepostError):
    """A non-loopback address without --allow-remote (a usage error)."""

    exit_code = 2


def check_host(host: str, allow_remote: bool) -> None:
    """Refuse an address other computers can reach, unless ``allow_remote``."""
    if not is_loopback(host) and not allow_remote:
        raise HostRefused(
            f"refusing to listen on {host}: other computers could reach safepost there. It listens on "
            "127.0.0.1 (this computer only) by default; add --allow-remote only if you really mean it."
        )


def url_for(host: str, port: int) -> str:
    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    return f"http://[{shown}]:{port}/" if ":" in shown else f"http://{shown}:{port}/"


def check_workspace(path: Path) -> None:
    """A clear error before starting when there is no workspace to unlock."""
    from safepost.workspace.keys import KEY_FILE

    if not (path / KEY_FILE).is_file():
        raise WorkspaceError(f"there is no workspace at {path}; create one with `safepost init`")


def check_port_free(host: str, port: int) -> None:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with contextlib.closing(socket.socket(family, socket.SOCK_STREAM)) as probe:
        try:
            probe.bind((host.strip("[]"), port))
        except OSError as exc:
            raise SafepostError(f"cannot listen on {host}:{port}: {exc.strerror or exc} (try another --port)") from None


def make_config(
    workspace: Path,
    host: str,
    allow_remote: bool,
    idle_minutes: float,
    max_upload_mb: int,
    policy_path: Path | None = None,
) -> WebConfig:
    """The app's settings; ``policy_path`` is read by the same ``load_policy`` as ``safepost check``."""
    from safepost.decide.policy import load_policy

    return WebConfig(
        workspace=workspace,
        policy=load_policy(policy_path),
        idle_lock_s=idle_minutes * 60,
        max_upload_bytes=max_upload_mb * 1024 * 1024,
        allowed_hosts=LOOPBACK_HOSTS if is_loopback(host) else None,
    )


def run(config: WebConfig, host: str, port: int, open_browser: bool) -> None:
    """Serve until interrupted (Ctrl+C); every session is locked on the way out."""
    import uvicorn

    from safepost.web.app import create_app

    server = uvicorn.Server(
        uvicorn.Config(
            create_app(config),
            host=host.strip("[]"),
            port=port,
            log_level="warning",
            access_log=False,  # paths name posts and people ids: keep them out of terminal logs
            server_header=False,
            proxy_headers=False,
        )
    )
    if open_browser:
        url = url_for(host, port)

        def open_when_ready() -> None:
            for _ in range(100):
                if server.started:
                    webbrowser.open(url)
                    return
                threading.Event().wait(0.1)

        threading.Thread(target=open_when_ready, daemon=True).start()
    server.run()
    if not server.started:
        raise SafepostError(f"the web app could not start on {host}:{port}")
