import uuid
from datetime import datetime

from django.conf import settings
from django.shortcuts import get_object_or_404
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate

from patroli.core.access import get_visible_or_404, visible
from patroli.core.api_errors import FieldErrors
from patroli.core.api_types import Moment
from patroli.core.ratelimit import client_ip, over_limit
from patroli.patrols.models import Visit
from patroli.units.auth import AUTH
from patroli.units.models import Unit

from .drafting import draft_release
from .models import Comment, Release
from .services import (
    NewsroomError,
    can_write,
    create_release,
    moderate_comment,
    post_comment,
    publish_release,
    update_release,
)

router = Router(tags=["newsroom"], auth=AUTH)
public_router = Router(tags=["public news"], auth=None)


class DraftOut(Schema):
    title: str
    body: str
    dateline: str


class ReleaseIn(Schema):
    title: str = Field(min_length=3, max_length=200)
    body: str = Field(min_length=1, max_length=50000)
    dateline: str = Field("", max_length=120)
    visit: uuid.UUID | None = None
    unit: int | None = Field(None, description="Default: the visit's unit, else yours")


class ReleasePatch(Schema):
    title: str | None = Field(None, min_length=3, max_length=200)
    body: str | None = Field(None, min_length=1, max_length=50000)
    dateline: str | None = Field(None, max_length=120)


class PublishIn(Schema):
    at: Moment | None = Field(None, description="A future time schedules the publication")


class ReleaseOut(Schema):
    id: int
    title: str
    slug: str
    dateline: str
    body: str
    body_html: str
    summary: str
    status: str
    unit: int
    visit: uuid.UUID | None
    published_at: datetime | None
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_unit(obj) -> int:
        return obj.unit_id

    @staticmethod
    def resolve_visit(obj):
        return obj.visit_id


class PublicReleaseOut(Schema):
    title: str
    slug: str
    dateline: str
    body_html: str
    summary: str
    unit: str
    published_at: datetime
    url: str

    @staticmethod
    def resolve_unit(obj) -> str:
        return obj.unit.name

    @staticmethod
    def resolve_url(obj) -> str:
        return obj.get_absolute_url()


class PublicCommentOut(Schema):
    id: int
    parent: int | None
    name: str
    website: str
    body: str
    created_at: datetime

    @staticmethod
    def resolve_parent(obj):
        return obj.parent_id


class PublicReleaseDetailOut(PublicReleaseOut):
    comments: list[PublicCommentOut]

    @staticmethod
    def resolve_comments(obj):
        shown = list(obj.comments.visible_to_public())
        ids = {c.pk for c in shown}
        # A reply whose parent is hidden (spam, removed, held) is hidden with it.
        while True:
            kept = [c for c in shown if c.parent_id is None or c.parent_id in ids]
            if len(kept) == len(shown):
                return kept
            shown, ids = kept, {c.pk for c in kept}


class CommentIn(Schema):
    name: str = Field(min_length=1, max_length=80)
    email: str = Field(min_length=3, max_length=254)
    body: str = Field(min_length=1, max_length=3000)
    website: str = Field("", max_length=200)
    parent: int | None = None


class CommentCreatedOut(Schema):
    id: int
    status: str


class ModerateIn(Schema):
    status: str


class ErrorOut(Schema):
    detail: str


def _fail(exc: NewsroomError):
    if exc.status in (400, 422) and exc.field:
        errors = FieldErrors()
        errors.add((exc.field,), str(exc))
        errors.raise_if_any()
    return Status(exc.status, {"detail": str(exc)})


@router.post("/visits/{visit_id}/draft-release", response={200: DraftOut, 403: ErrorOut})
def draft_for_visit(request, visit_id: uuid.UUID):
    """A draft written from the patrol record; nothing is saved."""
    if not can_write(request.auth):
        return Status(403, {"detail": "Only humas and commanders draft releases."})
    visit = get_visible_or_404(Visit.objects.with_details(), request.auth, pk=visit_id)
    draft = draft_release(visit)
    return Status(200, {"title": draft.title, "body": draft.body, "dateline": draft.dateline})


class ReleaseFilter(Schema):
    q: str = Field(
        "",
        description="Words to find in the title and text (all of them, any word form), best "
        "match first. Only common words: none.",
    )


@router.get("/releases", response=list[ReleaseOut])
@paginate
def list_releases(request, filters: Query[ReleaseFilter]):
    return visible(Release.objects.all(), request.auth).search(filters.q)


@router.post("/releases", response={201: ReleaseOut, 403: ErrorOut})
def create(request, payload: ReleaseIn):
    user = request.auth
    if not can_write(user):
        return Status(403, {"detail": "Only humas and commanders write releases."})
    errors = FieldErrors()
    visit = None
    if payload.visit:
        visit = visible(Visit.objects.all(), user).filter(pk=payload.visit).first()
        if visit is None:
            errors.add(("visit",), "Unknown visit")
    unit = visit.unit if visit else user.unit
    if payload.unit is not None:
        unit = visible(Unit.objects.all(), user).filter(pk=payload.unit).first()
        if unit is None:
            errors.add(("unit",), "Unknown unit")
    if unit is None and not errors.errors:
        errors.add(("unit",), "Name the unit of the release")
    errors.raise_if_any()
    release = create_release(
        author=user,
        unit=unit,
        visit=visit,
        title=payload.title,
        body=payload.body,
        dateline=payload.dateline,
    )
    return Status(201, release)


@router.get("/releases/{release_id}", response=ReleaseOut)
def get_release(request, release_id: int):
    return get_visible_or_404(Release.objects.all(), request.auth, pk=release_id)


@router.patch("/releases/{release_id}", response={200: ReleaseOut, 403: ErrorOut})
def patch_release(request, release_id: int, payload: ReleasePatch):
    release = get_visible_or_404(Release.objects.all(), request.auth, pk=release_id)
    try:
        fields = payload.dict(exclude_none=True)
        return Status(200, update_release(release=release, editor=request.auth, **fields))
    except NewsroomError as exc:
        return _fail(exc)


@router.post(
    "/releases/{release_id}/publish", response={200: ReleaseOut, 403: ErrorOut, 409: ErrorOut}
)
def publish(request, release_id: int, payload: PublishIn | None = None):
    release = get_visible_or_404(Release.objects.all(), request.auth, pk=release_id)
    try:
        at = payload.at if payload else None
        return Status(200, publish_release(release=release, actor=request.auth, at=at))
    except NewsroomError as exc:
        return _fail(exc)


@router.post("/comments/{comment_id}/moderate", response={200: CommentCreatedOut, 403: ErrorOut})
def moderate(request, comment_id: int, payload: ModerateIn):
    comment = get_visible_or_404(Comment.objects.all(), request.auth, pk=comment_id)
    try:
        comment = moderate_comment(comment=comment, actor=request.auth, status=payload.status)
    except NewsroomError as exc:
        return _fail(exc)
    return Status(200, {"id": comment.pk, "status": comment.status})


@public_router.get("/public/releases", response=list[PublicReleaseOut])
@paginate
def public_releases(request, filters: Query[ReleaseFilter]):
    return Release.objects.live().select_related("unit").search(filters.q)


@public_router.get("/public/releases/{slug}", response=PublicReleaseDetailOut)
def public_release(request, slug: str):
    return get_object_or_404(Release.objects.live().select_related("unit"), slug=slug)


@public_router.post(
    "/public/releases/{slug}/comments",
    response={201: CommentCreatedOut, 400: ErrorOut, 404: ErrorOut, 429: ErrorOut},
)
def public_comment(request, slug: str, payload: CommentIn):
    """Comment as on the page: held for moderation by the same rules; the e-mail stays private."""
    release = get_object_or_404(Release.objects.live(), slug=slug)
    if over_limit("comment", client_ip(request), settings.PATROLI_COMMENT_RATE):
        return Status(429, {"detail": "Too many comments from your address. Try again later."})
    errors = FieldErrors()
    if "@" not in payload.email or "." not in payload.email.rsplit("@", 1)[-1]:
        errors.add(("email",), "Enter a valid e-mail address.")
    if payload.website and not payload.website.startswith(("http://", "https://")):
        errors.add(("website",), "Enter a web address starting with http:// or https://.")
    parent = None
    if payload.parent is not None:
        parent = release.comments.filter(pk=payload.parent).first()
        if parent is None:
            errors.add(("parent",), "Unknown comment")
    errors.raise_if_any()
    try:
        comment = post_comment(
            release=release,
            name=payload.name,
            email=payload.email,
            body=payload.body,
            website=payload.website,
            parent=parent,
            ip=client_ip(request) or None,
        )
    except NewsroomError as exc:
        return _fail(exc)
    return Status(201, {"id": comment.pk, "status": comment.status})
