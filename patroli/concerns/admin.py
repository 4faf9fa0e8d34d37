from django.contrib import admin

from patroli.audit.adminlog import AuditedModelAdmin

from .models import Category, Concern, ConcernEvent, ConcernPhoto, Open311Key


@admin.register(Category)
class CategoryAdmin(AuditedModelAdmin):
    list_display = ["name", "code", "group", "severity", "verify_days", "respond_days", "active"]
    list_filter = ["group", "severity", "active"]
    search_fields = ["name", "code"]


class ConcernEventInline(admin.TabularInline):
    model = ConcernEvent
    extra = 0
    can_delete = False
    readonly_fields = ["created_at", "actor", "from_status", "to_status", "note", "public"]

    def has_add_permission(self, request, obj=None):
        return False  # append-only: events are written by the lifecycle services


class ConcernPhotoInline(admin.TabularInline):
    model = ConcernPhoto
    extra = 0
    can_delete = True
    readonly_fields = ["image", "thumbnail", "content_type", "width", "height", "uploaded_at"]

    def has_add_permission(self, request, obj=None):
        return False  # photos are added through the forms, which strip their metadata


@admin.register(Open311Key)
class Open311KeyAdmin(AuditedModelAdmin):
    list_display = ["name", "active", "created_at", "last_used_at"]
    list_editable = ["active"]
    readonly_fields = ["key_hash", "created_at", "last_used_at"]

    def has_add_permission(self, request):
        return False  # `patroli create-open311-key NAME` shows the secret once


@admin.register(Concern)
class ConcernAdmin(AuditedModelAdmin):
    list_display = [
        "tracking_code",
        "category",
        "status",
        "source",
        "village",
        "unit",
        "created_at",
    ]
    list_filter = ["status", "source", "category", "unit"]
    search_fields = ["tracking_code", "description"]
    readonly_fields = [
        "tracking_code",
        "status",
        "created_at",
        "updated_at",
        "due_at",
        "resolved_at",
        "duplicate_of",
        "rating",
        "rating_comment",
    ]
    list_select_related = ["category", "village", "unit"]
    raw_id_fields = ["village", "site", "visit", "created_by", "assigned_to"]
    inlines = [ConcernEventInline, ConcernPhotoInline]
