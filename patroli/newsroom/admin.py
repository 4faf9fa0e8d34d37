from django.contrib import admin, messages
from django.db import models
from django.utils.translation import gettext_lazy as _

from patroli.audit.adminlog import AuditedModelAdmin

from .models import BlockedTerm, Comment, Release, Revision
from .services import NewsroomError, moderate_comments


class RevisionInline(admin.TabularInline):
    model = Revision
    extra = 0
    can_delete = False
    fields = ["created_at", "editor", "action", "changed", "status"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Release)
class ReleaseAdmin(AuditedModelAdmin):
    list_display = ["title", "unit", "status", "published_at"]
    list_filter = ["status", "unit"]
    search_fields = ["title", "body"]
    readonly_fields = ["slug", "body_html", "summary", "created_by", "created_at", "updated_at"]
    raw_id_fields = ["visit"]
    inlines = [RevisionInline]


@admin.register(Comment)
class CommentAdmin(AuditedModelAdmin):
    list_display = ["name", "email", "release", "status", "held_because", "created_at"]
    list_filter = ["status"]
    search_fields = ["name", "email", "body"]
    raw_id_fields = ["release", "parent"]
    readonly_fields = ["ip", "depth", "moderated_by", "moderated_at"]
    actions = ["approve", "mark_spam"]
    # A website typed without its scheme is read as https, as the public comment form reads it.
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    @admin.action(description=_("Approve"))
    def approve(self, request, queryset):
        self._moderate(request, queryset, Comment.Status.APPROVED)

    @admin.action(description=_("Mark as spam"))
    def mark_spam(self, request, queryset):
        self._moderate(request, queryset, Comment.Status.SPAM)

    def _moderate(self, request, queryset, status):
        try:
            moderate_comments(comments=queryset, actor=request.user, status=status)
        except NewsroomError as exc:
            self.message_user(request, str(exc), messages.ERROR)


@admin.register(BlockedTerm)
class BlockedTermAdmin(AuditedModelAdmin):
    search_fields = ["term"]
