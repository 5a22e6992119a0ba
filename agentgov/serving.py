"""What a web process does once, after loading and before its first request."""

import gc

from django.urls import get_resolver


def ready_to_serve() -> None:
    """Import every view now (Django would on the first request), then hide everything loaded
    so far from the cyclic garbage collector. Django, the apps and plotly's figure classes
    live as long as the process; left in sight, each full collection walked all of them in
    the middle of some request: the trail page's 95th percentile was 150-175 ms at 10M
    events with them, 36-38 ms without (tests/perf/bench_trail)."""
    get_resolver().url_patterns  # noqa: B018 - imports the URLconf and every view module
    gc.collect()  # what is garbage already need not be kept forever
    gc.freeze()
