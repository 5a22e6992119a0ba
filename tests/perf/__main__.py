"""Benchmarks: `make bench` (PostgreSQL when DATABASE_URL points to it), printing tables.

Every benchmark runs in one throwaway test database, through the entry points users use.
"""

import os
import sys

import django


def _chosen(benches):
    """All benchmarks, or those named on the command line: `python -m tests.perf verify`."""
    names = sys.argv[1:]
    return [b for b in benches if not names or b.__name__.rsplit(".bench_", 1)[1] in names]


def main() -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "agentgov.settings")
    django.setup()
    from django.db import connection
    from django.test.utils import setup_test_environment

    from tests.perf import bench_exports, bench_ingest, bench_registry, bench_trail, bench_verify

    setup_test_environment()
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        for bench in _chosen((bench_registry, bench_ingest, bench_exports, bench_verify, bench_trail)):
            bench.report()
    finally:
        connection.close()
        connection.creation.destroy_test_db(old_name, verbosity=0)
    return 0


if __name__ == "__main__":
    sys.exit(main())
