"""The audit log: the latest entries and the verification of the whole chain."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from safepost.web.render import lang_of, render
from safepost.web.state import require_session
from safepost.words import audit_action

router = APIRouter()
SHOWN = 200


def _audit(ws) -> dict:
    return {"entries": list(reversed(ws.audit_log(SHOWN))), "verification": ws.verify_audit()}


@router.get("/audit")
async def audit(request: Request) -> Response:
    session = require_session(request)
    data = await session.worker.call(_audit)
    lang = lang_of(request)
    for entry in data["entries"]:
        entry["what"] = audit_action(entry["action"], lang)
    return render(request, "audit.html", nav="audit", shown=SHOWN, **data)
