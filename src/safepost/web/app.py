"""The app factory: routes, security middleware, static files, idle locking."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path

from fastapi import FastAPI
from starlette.staticfiles import StaticFiles

from safepost.web.checking import Checker, PostChecker
from safepost.web.config import WebConfig
from safepost.web.errors import HANDLERS
from safepost.web.limits import UploadBudget, UploadBudgetMiddleware
from safepost.web.render import make_environment
from safepost.web.routes import audit, guidance, people, posts, unlock
from safepost.web.security import SecurityMiddleware
from safepost.web.sessions import SessionStore
from safepost.web.state import AppState

STATIC = Path(__file__).parent / "static"


def create_app(
    config: WebConfig, checker: Checker | None = None, clock: Callable[[], float] = time.monotonic
) -> FastAPI:
    """A new app serving the workspace ``config.workspace`` (locked until a passphrase is given)."""
    sessions = SessionStore(config.idle_lock_s, clock)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async def sweep() -> None:
            while True:
                await asyncio.sleep(config.sweep_every_s)
                sessions.sweep()

        task = asyncio.create_task(sweep())
        try:
            yield
        finally:
            task.cancel()
            sessions.lock_all()

    # No /docs, /redoc or /openapi.json: those pages load scripts from a CDN, and nothing here may.
    app = FastAPI(title="safepost", docs_url=None, redoc_url=None, openapi_url=None, lifespan=lifespan)
    app.state.web = AppState(
        config=config,
        sessions=sessions,
        checker=checker or PostChecker(config.policy, config.job_memory_bytes, config.job_timeout_s),
        templates=make_environment(),
        uploads=UploadBudget(config.max_upload_total_bytes),
    )
    app.add_middleware(UploadBudgetMiddleware, budget=app.state.web.uploads)
    app.add_middleware(SecurityMiddleware, allowed_hosts=config.allowed_hosts)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    for module in (unlock, posts, people, guidance, audit):
        app.include_router(module.router)
    for exc_class, handler in HANDLERS.items():
        app.add_exception_handler(exc_class, handler)
    return app
