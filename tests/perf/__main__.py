"""Benchmarks: `make bench` (uses DATABASE_URL if set, else SQLite), prints a table.

Each benchmark runs in a throwaway test database, through the same entry points users use.
"""

import os
import sys

import django

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "agentgov.settings")
    django.setup()
    from tests.perf.bench_registry import main

    sys.exit(main())
