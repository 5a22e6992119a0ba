"""Benchmarks: `make bench` (PostgreSQL when DATABASE_URL points to it), printing tables.

Every `tests/perf/bench_<name>.py` with a `report()` is run, in name order, each in a
throwaway test database of its own, through the entry points users use. Name some to run only
those: `python -m tests.perf verify trail`.
"""

import importlib
import os
import pkgutil
import sys
from pathlib import Path

import django


def _benches(names: list[str]) -> list:
    found = sorted(
        module.name.removeprefix("bench_")
        for module in pkgutil.iter_modules([str(Path(__file__).parent)])
        if module.name.startswith("bench_")
    )
    unknown = set(names) - set(found)
    if unknown:
        raise SystemExit(f"no such benchmark: {', '.join(sorted(unknown))} (there are: {', '.join(found)})")
    return [
        importlib.import_module(f"tests.perf.bench_{name}") for name in found if not names or name in names
    ]


def main() -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "agentgov.settings")
    django.setup()
    from django.db import connection
    from django.test.utils import setup_test_environment

    benches = _benches(sys.argv[1:])
    setup_test_environment()
    old_name = connection.settings_dict["NAME"]
    for bench in benches:
        # A database of its own: some seed rows with fake chain hashes (trail, exports),
        # which verify_audit, walking every chain, would rightly call broken.
        connection.creation.create_test_db(verbosity=0, autoclobber=True)
        try:
            bench.report()
        finally:
            connection.close()
            connection.creation.destroy_test_db(old_name, verbosity=0)
    return 0


if __name__ == "__main__":
    sys.exit(main())
