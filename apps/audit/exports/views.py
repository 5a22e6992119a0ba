"""Export pages: pick a format for the trail's current filters, follow the job, download the bundle.

Every page needs the auditor role (Capability.EXPORT_AUDIT); a person sees only their own
exports, a superuser everyone's.
"""

from pathlib import Path

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from agentgov.errors import ApplicationError
from agentgov.forms import call_service
from agentgov.htmx import render_page_or_fragment
from apps.accounts.access import require
from apps.accounts.roles import Capability
from apps.audit.exports import offline, selectors, service
from apps.audit.exports.scope import describe_filters, export_filters
from apps.audit.models import AuditExport, ExportFormat

PAGE_SIZE = 25
# The trail page's paging parameters: where the reader was, not what to export.
PAGING = frozenset({"before", "cursor", "page", "page_size"})


class ExportForm(forms.Form):
    format = forms.ChoiceField(
        choices=ExportFormat.choices,
        initial=ExportFormat.JSONL,
        widget=forms.RadioSelect,
        help_text="JSON Lines keeps nested values as JSON; CSV opens in a spreadsheet.",
    )


def _export(request, uuid) -> AuditExport:
    try:
        return selectors.export_visible_to(request.user, uuid)
    except AuditExport.DoesNotExist:
        raise Http404("no export with that id among yours") from None


def _filter_error(filters: dict) -> str:
    try:
        export_filters(filters, now=timezone.now())
    except ApplicationError as exc:
        return exc.message
    return ""


@require(Capability.EXPORT_AUDIT)
@require_http_methods(["GET", "POST"])
def export_new(request):
    """The trail's filters arrive in the query string and are exported as they are."""
    filters = {name: request.GET.getlist(name) for name in request.GET if name not in PAGING}
    form = ExportForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        export = call_service(
            form,
            service.export_request,
            actor=request.user,
            filters=filters,
            format=form.cleaned_data["format"],
        )
        if export is not None:
            messages.success(
                request, "Export started. This page follows it; the bundle is ready when it says so."
            )
            return redirect("audit:export_detail", uuid=export.uuid)
    context = {
        "form": form,
        "described": describe_filters(filters),
        # Said before the button is pressed; a refused POST shows it among the form's errors.
        "filter_error": _filter_error(filters) if request.method == "GET" else "",
        "trail_url": f"{reverse('audit:trail')}?{request.GET.urlencode()}"
        if request.GET
        else reverse("audit:trail"),
    }
    return render(request, "audit/exports/new.html", context, status=400 if request.method == "POST" else 200)


@require(Capability.EXPORT_AUDIT)
@require_GET
def export_detail(request, uuid):
    """The export and its progress; htmx polls the progress fragment until the job ends."""
    export = _export(request, uuid)
    context = {"export": export, "described": describe_filters(export.filters)}
    return render_page_or_fragment(
        request, "audit/exports/detail.html", "audit/exports/partials/progress.html", context
    )


@require(Capability.EXPORT_AUDIT)
@require_GET
def export_download(request, uuid):
    export = _export(request, uuid)
    try:
        path = service.export_download(export=export, actor=request.user)
    except ApplicationError as exc:
        messages.error(request, f"Cannot download: {exc.message}.")
        return redirect("audit:export_detail", uuid=export.uuid)
    return FileResponse(
        path.open("rb"),
        as_attachment=True,
        filename=service.download_name(export),
        content_type="application/zip",
    )


@require(Capability.EXPORT_AUDIT)
@require_GET
def export_list(request):
    page = Paginator(selectors.exports_visible_to(request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    for export in page.object_list:
        export.described = describe_filters(export.filters)
    return render(request, "audit/exports/list.html", {"page": page})


@require(Capability.EXPORT_AUDIT)
@require_GET
def export_verifier(request):
    """The standalone verifier (standard library only), for an auditor working offline."""
    return FileResponse(
        Path(offline.__file__).open("rb"),
        as_attachment=True,
        filename="verify_bundle.py",
        content_type="text/x-python",
    )
