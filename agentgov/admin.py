"""Shared admin base: the admin shows what only services may write."""

from django.contrib import admin


class ReadOnlyModelAdmin(admin.ModelAdmin):
    """No add, change or delete, whoever asks; `read_only_note` says where changes happen."""

    read_only_note = "Read-only."

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def changelist_view(self, request, extra_context=None):
        extra_context = {"subtitle": self.read_only_note, **(extra_context or {})}
        return super().changelist_view(request, extra_context)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {"subtitle": self.read_only_note, **(extra_context or {})}
        return super().change_view(request, object_id, form_url, extra_context)
