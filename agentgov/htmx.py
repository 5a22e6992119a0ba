"""Pages that htmx refreshes in part: the same view serves the page and its fragment."""

from django.shortcuts import render
from django.utils.cache import patch_vary_headers


def wants_fragment(request) -> bool:
    # htmx restoring history after a cache miss needs the whole page, not the fragment.
    return bool(request.headers.get("HX-Request") and not request.headers.get("HX-History-Restore-Request"))


def render_page_or_fragment(request, page: str, fragment: str, context: dict):
    """The fragment for htmx, the full page otherwise, so every page works without JS."""
    response = render(request, fragment if wants_fragment(request) else page, context)
    # Browsers and proxies must not serve a cached fragment as the page, or vice versa.
    patch_vary_headers(response, ["HX-Request"])
    return response
