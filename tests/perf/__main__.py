"""Benchmarks: `make bench` (PostgreSQL when DATABASE_URL points to it), printing tables.
`python -m tests.perf actions ingest` runs only the named ones.

Every benchmark runs in one throwaway test database, through the entry points users use.
"""

import os
import sys

import django


def main() -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "agentgov.settings")
    django.setup()
    from django.db import connection
    from django.test.utils import setup_test_environment

    from tests.perf import bench_actions, bench_exports, bench_ingest, bench_registry

    benches = {
        "registry": bench_registry,
        "ingest": bench_ingest,
        "exports": bench_exports,
        "actions": bench_actions,
    }
    wanted = sys.argv[1:] or list(benches)

    setup_test_environment()
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        for name in wanted:
            benches[name].report()
    finally:
        connection.close()
        connection.creation.destroy_test_db(old_name, verbosity=0)
    return 0


if __name__ == "__main__":
    sys.exit(main())
