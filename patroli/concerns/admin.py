from django.contrib import admin

from .models import Category, Concern, ConcernEvent


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
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


@admin.register(Concern)
class ConcernAdmin(admin.ModelAdmin):
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
    raw_id_fields = ["village", "site", "visit", "created_by"]
    readonly_fields = ["tracking_code", "status", "created_at", "updated_at"]
    list_select_related = ["category", "village", "unit"]
    inlines = [ConcernEventInline]
