"""The Django admin's changes in the audit trail: mix ``AuditedAdmin`` into every ModelAdmin of
the project (``AuditedModelAdmin`` is the plain one). The event is written in the admin's own
transaction, next to its LogEntry."""

from __future__ import annotations

import json

from django.contrib import admin
from django.db import models, router, transaction

from .services import changes, jsonable, record


def _changed_labels(message) -> tuple[list, list]:
    """(labels of the object's own changed fields, entries about inline objects) of a change
    message (a list, or its JSON)."""
    if isinstance(message, str):
        try:
            message = json.loads(message)
        except ValueError:
            return [], []
    own, related = [], []
    for entry in message if isinstance(message, list) else []:
        for verb, details in entry.items() if isinstance(entry, dict) else ():
            if isinstance(details, dict) and "name" in details:
                related.append({verb: details})
            elif isinstance(details, dict):
                own.extend(details.get("fields", []))
    return jsonable(own), jsonable(related)


def _all_fields(obj) -> dict:
    """What a deleted record held (its editable fields; secrets are masked by ``record``)."""
    return {
        field.name: jsonable(getattr(obj, field.attname))
        for field in obj._meta.concrete_fields
        if field.editable or field.primary_key
    }


def _initial(value):
    """A many-to-many field's initial list of records, as the set its cleaned value is."""
    if isinstance(value, list | tuple) and all(isinstance(item, models.Model) for item in value):
        return set(value)
    return value


class AuditedAdmin:
    def save_model(self, request, obj, form, change):
        names = [name for name in form.changed_data if name in form.cleaned_data]
        after = {name: form.cleaned_data[name] for name in names}
        if change:
            before = {name: _initial(form.initial.get(name)) for name in names}
            obj._audit_diff = changes(before, after)
        else:
            obj._audit_diff = ({}, jsonable(after))
        super().save_model(request, obj, form, change)

    def _audit(self, request, action: str, obj, message) -> None:
        before, after = obj.__dict__.pop("_audit_diff", ({}, {}))
        own, related = _changed_labels(message)
        if not (before or after) and own:
            after = {"changed": own}  # a form of its own, e.g. the password: names only
        if related:
            after = {**after, "related": related}
        if action == "admin.change" and not (before or after):
            return  # saved without a change
        record(request.user, action, obj, before=before, after=after, request=request)

    def log_addition(self, request, obj, message):
        self._audit(request, "admin.add", obj, message)
        return super().log_addition(request, obj, message)

    def log_change(self, request, obj, message):
        self._audit(request, "admin.change", obj, message)
        return super().log_change(request, obj, message)

    def delete_model(self, request, obj):
        with transaction.atomic(using=router.db_for_write(self.model), savepoint=False):
            record(request.user, "admin.delete", obj, before=_all_fields(obj), request=request)
            super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        """One event for the batch (the delete action), naming each record."""
        with transaction.atomic(using=router.db_for_write(self.model), savepoint=False):
            deleted = [{"id": jsonable(obj.pk), "repr": str(obj)} for obj in queryset]
            record(
                request.user,
                "admin.delete",
                self.model,
                before={"deleted": deleted},
                request=request,
            )
            super().delete_queryset(request, queryset)


class AuditedModelAdmin(AuditedAdmin, admin.ModelAdmin):
    pass
