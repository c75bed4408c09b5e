"""New post, Review (the canvas), Report and the sanitised bundle."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from safepost.consent import publications as publications_api
from safepost.core import InputError
from safepost.media.sniff import IMAGE
from safepost.web.checking import bundle_zip
from safepost.web.drafts import (
    ACCOUNTS,
    AUDIENCES,
    PURPOSES,
    SENSITIVITIES,
    SOURCE_CONSENTS,
    Draft,
    MediaItem,
    context_from_form,
    platforms,
)
from safepost.web.i18n import translator
from safepost.web.preview import preview_jpeg
from safepost.web.render import is_hx, lang_of, redirect, render
from safepost.web.sessions import Session
from safepost.web.state import require_session, session_form, web_state

router = APIRouter(prefix="/posts")


def _draft(session: Session, draft_id: str) -> Draft:
    draft = session.drafts.get(draft_id)
    if draft is None:
        raise HTTPException(404, "This post is not open any more (the session was locked); start it again.")
    return draft


def _registry(ws) -> tuple[list, list]:
    from safepost.consent.events import list_events
    from safepost.consent.people import list_people

    return list_people(ws), list_events(ws)


@router.get("/new")
async def new_post(request: Request) -> Response:
    session = require_session(request)
    people, events = await session.worker.call(_registry)
    return render(
        request,
        "post_new.html",
        nav="post",
        people=people,
        events=events,
        platforms=platforms(),
        audiences=AUDIENCES,
        accounts=ACCOUNTS,
        sensitivities=SENSITIVITIES,
        purposes=PURPOSES,
        source_consents=SOURCE_CONSENTS,
        drafts=list(session.drafts.values()),
        max_mb=web_state(request).config.max_upload_bytes // (1024 * 1024),
    )


@router.post("")
async def create_post(request: Request) -> Response:
    """Read the form as a stream, check every field, then encrypt each file into the vault."""
    session = require_session(request)
    form = await session_form(request, session, files=True)
    people, events = await session.worker.call(_registry)
    text, context = context_from_form(form, {e.id for e in events}, {p.id for p in people})
    if not form.files:
        raise InputError("Add at least one photo or video.")
    draft = Draft(text=text, context=context)
    for upload in form.files:
        name = draft.unique_name(upload.filename)
        provenance = {"via": "web upload", "post": f"web:{draft.id}", "name": name}
        vault_id = await session.worker.call(_store_original, upload.data, name, provenance)
        draft.media[name] = MediaItem(name, vault_id, upload.family, len(upload.data))
    session.drafts[draft.id] = draft
    return redirect(request, f"/posts/{draft.id}/review")


def _store_original(ws, data: bytes, name: str, provenance: dict) -> str:
    return ws.vault.put(data, kind="post-original", name=name, provenance=provenance)


async def _report(request: Request, session: Session, draft: Draft) -> Any:
    """The check of ``draft`` with its current review (cached until something changes)."""
    if draft.report is not None:
        return draft.report
    version = draft.version
    report = await session.worker.call(web_state(request).checker.check, draft)
    if draft.version == version:  # nothing changed meanwhile: keep it
        draft.report = report
    return report


async def _picture(session: Session, draft: Draft, name: str) -> tuple[bytes, int, int]:
    if name not in draft.previews:
        item = draft.media[name]
        data = await session.worker.call(lambda ws: ws.vault.get(item.vault_id))
        draft.previews[name] = preview_jpeg(name, data)
    return draft.previews[name]


async def _review_context(request: Request, session: Session, draft: Draft, **extra: Any) -> dict[str, Any]:
    report = await _report(request, session, draft)
    data = report.to_dict(thumbnails=True)
    sizes = {}
    for name, item in draft.media.items():
        if item.family == IMAGE:
            _, width, height = await _picture(session, draft, name)
            sizes[name] = (width, height)
    people, _ = await session.worker.call(_registry)
    return {
        "draft": draft,
        "report": data,
        "auto_fixable": _auto_fixable(data),
        "sizes": sizes,
        "people": people,
        "names": {p.id: p.display_name for p in people},
        "droppable": _droppable(report),
        "keepable": _keepable(report),
        "nav": "post",
        **extra,
    }


def _keepable(report: Any) -> dict[str, set[str]]:
    from safepost.flows.review import keepable

    return keepable(report)


def _droppable(report: Any) -> dict[str, set[str]]:
    from safepost.flows.review import droppable

    return droppable(report)


def _auto_fixable(report: dict) -> bool:
    """Blocked, but only by problems that preparing the post fixes (masking faces, cleaning metadata)."""
    blocking = [f for f in report["findings"] if f.get("blocks")]
    return report["level"] == "blocked" and all(f.get("fixed_by_prepare") for f in blocking)


async def _review_response(request: Request, session: Session, draft: Draft, notice: str = "", status: int = 200):
    fragment = is_hx(request)
    context = await _review_context(request, session, draft, notice=notice, fragment=fragment)
    return render(request, "_review.html" if fragment else "review.html", status, **context)


@router.get("/{draft_id}/review")
async def review(request: Request, draft_id: str) -> Response:
    session = require_session(request)
    return await _review_response(request, session, _draft(session, draft_id))


@router.get("/{draft_id}/media/{name}/before")
async def before_picture(request: Request, draft_id: str, name: str) -> Response:
    """The original, upright and re-encoded in memory, for this session's screen only (never cached)."""
    session = require_session(request)
    draft = _draft(session, draft_id)
    if name not in draft.media or draft.media[name].family != IMAGE:
        raise HTTPException(404, "No such picture in this post.")
    jpeg, _, _ = await _picture(session, draft, name)
    return Response(jpeg, media_type="image/jpeg", headers={"Content-Disposition": "inline"})


def _may_keep(ws, draft: Draft, person_id: str, media_kind: str, policy, nophoto: bool) -> tuple[bool, str]:
    """The check's own keep rule (``safepost.flows.review.may_keep_face``) for this draft, under the app's policy."""
    from safepost.flows.review import may_keep_face

    return may_keep_face(ws, draft.meta(), person_id, media_kind, policy.block_identifiable_minors, bool(nophoto))


def _region(report: Any, media: str, region_id: str) -> dict:
    for item in report.to_dict()["media"]:
        if item["name"] == media:
            for region in item["regions"]:
                if region["id"] == region_id:
                    return {**region, "media_kind": item["kind"]}
    raise InputError(f"There is no region {region_id} in {media} any more; reload the page.")


@router.post("/{draft_id}/keep")
async def keep(request: Request, draft_id: str) -> Response:
    """Keep a face visible, only if the chosen person's consent covers this post; else say why not."""
    session = require_session(request)
    draft = _draft(session, draft_id)
    form = await session_form(request, session)
    _ = translator(lang_of(request))
    media, region_id, person_id = form.get("media"), form.get("region"), form.get("person_id")
    if not person_id:
        raise InputError(_("Choose the person whose consent allows showing this face."))
    region = _region(await _report(request, session, draft), media, region_id)
    from safepost.flows.review import is_face

    if not is_face(region["kind"]):
        raise InputError(_("Only faces can be kept."))
    if region.get("nophoto"):
        return await _review_response(
            request, session, draft, _("Not kept: this person wears a NO PHOTO tag."), status=200
        )
    policy = web_state(request).config.policy
    allowed, reason = await session.worker.call(
        _may_keep, draft, person_id, region["media_kind"], policy, region.get("nophoto")
    )
    if not allowed:
        notice = _("Not kept: {person}'s consent does not cover this post ({reason}).", person=person_id, reason=reason)
        return await _review_response(request, session, draft, notice)
    draft.keep_face(media, region_id, person_id)
    return await _review_response(request, session, draft, _("{region} will stay visible.", region=region_id))


def _box(form) -> list[int]:
    try:
        x0, y0, x1, y1 = (round(float(form.get(k))) for k in ("x0", "y0", "x1", "y1"))
    except ValueError:
        raise InputError("The corners of the region must be numbers.") from None
    x0, x1 = sorted((x0, x1))
    y0, y1 = sorted((y0, y1))
    if x1 - x0 < 2 or y1 - y0 < 2 or x0 < 0 or y0 < 0:
        raise InputError("The region is empty or outside the picture: draw it again.")
    return [x0, y0, x1, y1]


@router.post("/{draft_id}/add")
async def add_region(request: Request, draft_id: str) -> Response:
    session = require_session(request)
    draft = _draft(session, draft_id)
    form = await session_form(request, session)
    media = form.get("media")
    box = _box(form)
    size = await _picture(session, draft, media) if media in draft.media else None
    if size is not None and (box[0] >= size[1] or box[1] >= size[2]):
        raise InputError("The region is outside the picture: draw it again.")
    if size is not None:
        box = [box[0], box[1], min(box[2], size[1]), min(box[3], size[2])]
    label = " ".join(form.get("label").split())[:60]
    draft.add_box(media, box, label or "manual")
    _ = translator(lang_of(request))
    return await _review_response(request, session, draft, _("The region will be covered."))


@router.post("/{draft_id}/drop")
async def drop_region(request: Request, draft_id: str) -> Response:
    session = require_session(request)
    draft = _draft(session, draft_id)
    form = await session_form(request, session)
    media, region_id = form.get("media"), form.get("region")
    checked = await _report(request, session, draft)
    _region(checked, media, region_id)  # says so when the region is gone
    _ = translator(lang_of(request))
    if region_id not in _droppable(checked).get(media, set()):
        raise InputError(_("This region cannot be dropped: it protects someone who asked not to be shown."))
    draft.drop_region(media, region_id)
    return await _review_response(request, session, draft, _("{region} will be left as it is.", region=region_id))


@router.post("/{draft_id}/undo")
async def undo(request: Request, draft_id: str) -> Response:
    session = require_session(request)
    draft = _draft(session, draft_id)
    form = await session_form(request, session)
    try:
        index = int(form.get("index"))
    except ValueError:
        raise InputError("Reload the page and try again.") from None
    draft.undo(form.get("kind"), index)
    _ = translator(lang_of(request))
    return await _review_response(request, session, draft, _("Change undone."))


@router.get("/{draft_id}/report")
async def report(request: Request, draft_id: str) -> Response:
    session = require_session(request)
    draft = _draft(session, draft_id)
    checked = await _report(request, session, draft)
    prepared = draft.prepared
    data = checked.to_dict()
    publications = []
    if prepared is not None:
        publications = await session.worker.call(publications_api.list_publications, f"web:{draft.id}")
    return render(
        request,
        "report.html",
        nav="post",
        draft=draft,
        report=data,
        auto_fixable=_auto_fixable(data),
        unfixable=[f for f in data["findings"] if f.get("blocks") and not f.get("fixed_by_prepare")],
        prepared=prepared.to_dict() if prepared is not None else None,
        after_names=_after_pictures(prepared),
        images=[n for n, m in draft.media.items() if m.family == IMAGE],
        publications=publications,
    )


def _after_pictures(prepared: Any) -> list[str]:
    if prepared is None:
        return []
    from safepost.media.sniff import family_of

    return [name for name, data in prepared.files.items() if family_of(data[:64]) == IMAGE]


@router.post("/{draft_id}/prepare")
async def prepare(request: Request, draft_id: str) -> Response:
    """Make the sanitised bundle (masks, clean metadata, safer text) and record the publication."""
    session = require_session(request)
    draft = _draft(session, draft_id)
    form = await session_form(request, session)
    approve_by = " ".join(form.get("approve_by").split())[:100] or None
    version = draft.version
    prepared = await session.worker.call(web_state(request).checker.prepare, draft, approve_by)
    if draft.version != version:
        raise InputError("The review changed while the post was being prepared; prepare it again.")
    draft.prepared = prepared
    return redirect(request, f"/posts/{draft.id}/report#after")


@router.get("/{draft_id}/after/{name}")
async def after_picture(request: Request, draft_id: str, name: str) -> Response:
    """A picture of the prepared (sanitised) bundle, re-encoded small for the screen."""
    session = require_session(request)
    draft = _draft(session, draft_id)
    if name not in _after_pictures(draft.prepared):
        raise HTTPException(404, "No such picture in the prepared post.")
    jpeg, _, _ = preview_jpeg(name, draft.prepared.files[name])
    return Response(jpeg, media_type="image/jpeg")


@router.get("/{draft_id}/bundle.zip")
async def bundle(request: Request, draft_id: str) -> Response:
    """The prepared bundle as one zip, made in memory."""
    session = require_session(request)
    draft = _draft(session, draft_id)
    if draft.prepared is None:
        raise InputError("Prepare the post first.")
    data = bundle_zip(draft.prepared.files)
    return Response(
        data,
        media_type="application/zip",
        headers={"Content-Disposition": f'attachment; filename="safepost-post-{draft.id}.zip"'},
    )
