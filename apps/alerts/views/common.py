from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods

GET_POST = require_http_methods(["GET", "POST"])
PAGE_SIZE = 25


def posted(request):
    # Not `request.POST or None`: an empty POST must still bind, and fail, the form.
    return request.POST if request.method == "POST" else None


def form_page(request, template: str, context: dict):
    """A form page; on POST it is only reached when the input was refused, hence 400."""
    return render(request, template, context, status=400 if request.method == "POST" else 200)


def back_to(request) -> str:
    """The page a form came from (`next`), if it is one of ours; "" otherwise."""
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return ""
