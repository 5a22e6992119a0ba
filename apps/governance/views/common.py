"""Small pieces every governance page shares."""

from django.shortcuts import render
from django.views.decorators.http import require_http_methods

GET_POST = require_http_methods(["GET", "POST"])


def posted(request):
    # Not `request.POST or None`: an empty POST must still bind, and fail, the form.
    return request.POST if request.method == "POST" else None


def form_page(request, template: str, context: dict, *, refused: bool | None = None):
    """A page with a form; a POST reaching it was refused (400), so nothing was written."""
    refused = request.method == "POST" if refused is None else refused
    return render(request, template, context, status=400 if refused else 200)
