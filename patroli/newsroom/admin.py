from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from .models import BlockedTerm, Comment, Release, Revision


class RevisionInline(admin.TabularInline):
    model = Revision
    extra = 0
    can_delete = False
    fields = ["created_at", "editor", "action", "changed", "status"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Release)
class ReleaseAdmin(admin.ModelAdmin):
    list_display = ["title", "unit", "status", "published_at"]
    list_filter = ["status", "unit"]
    search_fields = ["title", "body"]
    readonly_fields = ["slug", "body_html", "summary", "created_by", "created_at", "updated_at"]
    raw_id_fields = ["visit"]
    inlines = [RevisionInline]


@admin.register(Comment)
class CommentAdmin(admin.ModelAdmin):
    list_display = ["name", "email", "release", "status", "held_because", "created_at"]
    list_filter = ["status"]
    search_fields = ["name", "email", "body"]
    raw_id_fields = ["release", "parent"]
    readonly_fields = ["ip", "depth", "moderated_by", "moderated_at"]
    actions = ["approve", "mark_spam"]

    @admin.action(description=_("Approve"))
    def approve(self, request, queryset):
        queryset.update(status=Comment.Status.APPROVED)

    @admin.action(description=_("Mark as spam"))
    def mark_spam(self, request, queryset):
        queryset.update(status=Comment.Status.SPAM)


@admin.register(BlockedTerm)
class BlockedTermAdmin(admin.ModelAdmin):
    search_fields = ["term"]
