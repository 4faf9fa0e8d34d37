"""Public news pages and the newsroom in /app/."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.sitemaps import Sitemap
from django.contrib.syndication.views import Feed
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.feedgenerator import Atom1Feed
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from patroli.core.access import get_visible_or_404, visible
from patroli.core.photos import PhotoError, clean_image
from patroli.core.ratelimit import client_ip, over_limit
from patroli.core.search import nothing_to_search
from patroli.patrols.models import Visit
from patroli.units.models import Officer, Unit

from .drafting import draft_release
from .forms import CommentForm, ReleaseForm
from .markup import render_markdown
from .models import Comment, Release
from .services import (
    NewsroomError,
    can_approve,
    can_write,
    create_release,
    moderate_comment,
    post_comment,
    publish_release,
    submit_for_review,
    unpublish_release,
    update_release,
)

# Public pages


def news_list(request):
    releases = Release.objects.live().select_related("unit")
    unit = None
    if code := request.GET.get("satuan", ""):
        unit = Unit.objects.filter(code=code).first()
        releases = releases.filter(unit__path__startswith=unit.path) if unit else releases.none()
    if query := request.GET.get("q", "").strip():
        releases = releases.search(query)
    page = Paginator(releases, 10).get_page(request.GET.get("page"))
    units = Unit.objects.filter(pk__in=Release.objects.live().values("unit"))
    return render(
        request,
        "news/list.html",
        {
            "page": page,
            "unit": unit,
            "units": units,
            "q": query,
            "nothing_to_search": nothing_to_search(query),
        },
    )


def _thread(release, request):
    """Approved comments, plus the reader's own held ones, as a nested list."""
    mine = set(request.session.get("my_comments", []))
    comments = [
        c
        for c in release.comments.order_by("created_at", "id")
        if c.status == Comment.Status.APPROVED
        or (c.pk in mine and c.status == Comment.Status.PENDING)
    ]
    children: dict[int | None, list] = {}
    for c in comments:
        children.setdefault(c.parent_id, []).append(c)
    for c in comments:
        c.children = children.get(c.pk, [])
        c.is_mine_pending = c.status == Comment.Status.PENDING

    def count(nodes) -> int:  # replies under a hidden comment are not shown, so not counted
        return sum(1 + count(n.children) for n in nodes)

    roots = children.get(None, [])
    return roots, count(roots)


@require_http_methods(["GET", "POST"])
def news_detail(request, slug):
    release = get_object_or_404(Release.objects.live().select_related("unit"), slug=slug)
    form = CommentForm()
    if request.method == "POST":
        form = CommentForm(request.POST)
        if form.data.get("url_confirm"):
            messages.error(request, _("Your comment could not be accepted."))
            return redirect(release)
        if over_limit("comment", client_ip(request), settings.PATROLI_COMMENT_RATE):
            form.add_error(None, _("Too many comments from your address. Try again later."))
            response = _detail_page(request, release, form)
            response.status_code = 429
            return response
        if form.is_valid():
            data = form.cleaned_data
            parent = None
            if data["parent"]:
                parent = release.comments.filter(pk=data["parent"]).first()
                if parent is None:
                    form.add_error(None, _("You can only reply to a published comment."))
                    response = _detail_page(request, release, form)
                    response.status_code = 400
                    return response
            try:
                comment = post_comment(
                    release=release,
                    name=data["name"],
                    email=data["email"],
                    body=data["body"],
                    website=data["website"],
                    parent=parent,
                    ip=client_ip(request) or None,
                )
            except NewsroomError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, str(exc))
                response = _detail_page(request, release, form)
                response.status_code = exc.status if exc.status == 429 else 400
                return response
            request.session["my_comments"] = [*request.session.get("my_comments", []), comment.pk]
            if comment.status == Comment.Status.PENDING:
                messages.info(request, _("Your comment is awaiting moderation."))
            return redirect(f"{release.get_absolute_url()}#komentar-{comment.pk}")
    return _detail_page(request, release, form)


def _detail_page(request, release, form):
    thread, count = _thread(release, request)
    return render(
        request,
        "news/detail.html",
        {"release": release, "thread": thread, "comment_count": count, "form": form},
    )


class LatestReleases(Feed):
    feed_type = Atom1Feed
    title = gettext_lazy("Patroli news")
    subtitle = gettext_lazy("Releases of the police units on Patroli")
    link = "/berita/"

    def items(self):
        return Release.objects.live().select_related("unit")[:30]

    def item_title(self, item):
        return item.title

    def item_description(self, item):
        return item.summary

    def item_pubdate(self, item):
        return item.published_at

    def item_updateddate(self, item):
        return item.updated_at

    def item_author_name(self, item):
        return item.unit.name


class ReleaseSitemap(Sitemap):
    changefreq = "weekly"

    def items(self):
        return Release.objects.live()

    def lastmod(self, item):
        return item.updated_at


# The newsroom (/app/berita/)


def _writer(request):
    if not can_write(request.user):
        raise Http404
    return request.user


@login_required
def desk(request):
    _writer(request)
    releases = visible(Release.objects.select_related("unit", "visit__site"), request.user)
    status = request.GET.get("status", "")
    if status in Release.Status.values:
        releases = releases.filter(status=status)
    visits = (
        visible(Visit.objects.select_related("site"), request.user)
        .filter(releases__isnull=True)
        .exclude(dialogue__isnull=True)[:10]
    )
    held = visible(Comment.objects.all(), request.user).filter(status=Comment.Status.PENDING)
    return render(
        request,
        "newsroom/desk.html",
        {
            "releases": Paginator(releases, 25).get_page(request.GET.get("page")),
            "visits": visits,
            "held": held.count(),
            "status": status,
            "statuses": Release.Status.choices,
        },
    )


@login_required
@require_POST
def draft_from_visit(request, visit_id):
    user = _writer(request)
    visit = get_visible_or_404(Visit.objects.with_details(), user, pk=visit_id)
    draft = draft_release(visit)
    release = create_release(
        author=user,
        unit=visit.unit,
        visit=visit,
        title=draft.title,
        dateline=draft.dateline,
        body=draft.body,
    )
    messages.success(request, _("A draft was written from the patrol. Check it before review."))
    return redirect("newsroom:edit", release_id=release.pk)


@login_required
@require_http_methods(["GET", "POST"])
def edit(request, release_id):
    user = _writer(request)
    release = get_visible_or_404(
        Release.objects.select_related("unit", "visit"), user, pk=release_id
    )
    form = ReleaseForm(instance=release)
    preview = None
    if request.method == "POST":
        action = request.POST.get("action", "save")
        form = ReleaseForm(request.POST, request.FILES, instance=Release.objects.get(pk=release.pk))
        if form.is_valid():
            data = form.cleaned_data
            try:
                cover = data.get("cover") or ""
                if cover and cover != release.cover:
                    try:  # stored re-encoded: no EXIF or GPS of the photographer's phone
                        cover = clean_image(cover)
                    except PhotoError as exc:
                        raise NewsroomError(str(exc), field="cover") from exc
                if action in ("publish", "unpublish") and not can_approve(user):
                    raise NewsroomError(_("You may not do this."), status=403)
                if action == "submit" and release.status != Release.Status.DRAFT:
                    raise NewsroomError(_("Only a draft can be sent for review."), status=409)
                if action == "preview":
                    preview = render_markdown(data["body"])
                else:
                    release = update_release(
                        release=release,
                        editor=user,
                        title=data["title"],
                        dateline=data["dateline"],
                        body=data["body"],
                        cover=cover,
                    )
                    if action == "submit":
                        submit_for_review(release=release, actor=user)
                    elif action == "publish":
                        at = parse_datetime(request.POST.get("publish_at", "") or "")
                        if at is not None and timezone.is_naive(at):
                            at = timezone.make_aware(at)
                        publish_release(release=release, actor=user, at=at)
                    elif action == "unpublish":
                        unpublish_release(release=release, actor=user)
                    messages.success(request, _("Saved."))
                    return redirect("newsroom:edit", release_id=release.pk)
            except NewsroomError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, str(exc))
    return render(
        request,
        "newsroom/edit.html",
        {
            "release": release,
            "form": form,
            "preview": preview,
            "revisions": release.revisions.select_related("editor").order_by("-created_at")[:20],
            "can_approve": can_approve(user),
            "approver": Officer.Role(settings.PATROLI_RELEASE_APPROVER).label,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def moderation(request):
    user = _writer(request)
    comments = visible(Comment.objects.select_related("release"), user)
    if request.method == "POST":
        status = request.POST.get("status", "")
        ids = [i for i in request.POST.getlist("ids") if i.isdigit()]
        done = 0
        for comment in comments.filter(pk__in=ids):
            try:
                moderate_comment(comment=comment, actor=user, status=status)
                done += 1
            except NewsroomError as exc:
                messages.error(request, str(exc))
                break
        if done:
            messages.success(request, _("%(n)d comments updated.") % {"n": done})
        return redirect(request.get_full_path())
    show = request.GET.get("status", Comment.Status.PENDING)
    if show in Comment.Status.values:
        comments = comments.filter(status=show)
    page = Paginator(comments.order_by("-created_at"), 50).get_page(request.GET.get("page"))
    return render(
        request,
        "newsroom/moderation.html",
        {"page": page, "show": show, "statuses": Comment.Status.choices},
    )
