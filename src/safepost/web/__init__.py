"""The local web app (U2, R6): a thin FastAPI layer over the same API the CLI uses.

    from safepost.web import WebConfig, create_app
    app = create_app(WebConfig(workspace=Path("~/ws")))

Security model (docs/web.md): it listens on 127.0.0.1 only unless told otherwise; nothing works
before the workspace passphrase unlocks a session; the unlocked workspace lives in this process's
memory only, behind a random session id in an HttpOnly, SameSite=Strict cookie; every change
needs the session's CSRF token; an idle session locks itself. Uploads are parsed as a stream into
memory (capped) and go straight into the encrypted vault: nothing un-anonymised touches the disk.
"""

from safepost.web.app import create_app
from safepost.web.config import WebConfig

__all__ = ["WebConfig", "create_app"]
