"""`manage.py policy export|check|import`: policy as YAML, so it can live in code review."""

import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from agentgov.errors import ApplicationError
from apps.accounts.models import User
from apps.governance import selectors, services
from apps.governance.policy import policy_from_yaml, policy_to_yaml


class Command(BaseCommand):
    help = "Export the policy in force as YAML, check a YAML file, or publish it as a new version."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="verb", required=True)
        export = sub.add_parser("export", help="Print (or write) the policy in force as YAML.")
        export.add_argument("--file", help="Write here instead of standard output.")
        export.add_argument("--version", type=int, help="An older version instead of the one in force.")
        check = sub.add_parser("check", help="Validate a YAML file; exit 1 naming the bad rule.")
        check.add_argument("path")
        publish = sub.add_parser("import", help="Publish a YAML file as a new policy version.")
        publish.add_argument("path")
        publish.add_argument("--user", required=True, help="The admin publishing it (username).")
        publish.add_argument("--comment", default="", help="Why it changes (kept with the version).")

    def handle(self, *args, verb: str, **options):
        try:
            getattr(self, f"_{verb}")(**options)
        except ApplicationError as exc:
            raise CommandError(exc.message) from None

    def _export(self, file=None, version=None, **_):
        versions = selectors.policy_versions()
        found = versions.filter(number=version).first() if version else versions.first()
        if found is None:
            raise CommandError(
                f"no policy version {version}" if version else "no policy has been published yet"
            )
        text = f"# agentgov policy v{found.number}\n" + policy_to_yaml(found.document)
        if file:
            Path(file).write_text(text)
            self.stdout.write(self.style.SUCCESS(f"Policy v{found.number} written to {file}."))
        else:
            sys.stdout.write(text)

    def _read(self, path: str) -> str:
        try:
            return Path(path).read_text()
        except OSError as exc:
            raise CommandError(f"cannot read {path}: {exc.strerror}") from None

    def _check(self, path: str, **_):
        document = policy_from_yaml(self._read(path))
        self.stdout.write(self.style.SUCCESS(f"{path}: valid, {len(document['rules'])} rules."))

    def _import(self, path: str, user: str, comment: str = "", **_):
        actor = User.objects.filter(username=user).first()
        if actor is None:
            raise CommandError(f"no user {user!r}")
        version = services.policy_publish(actor=actor, document=self._read(path), comment=comment)
        self.stdout.write(
            self.style.SUCCESS(f"Published policy v{version.number} ({len(version.rules)} rules).")
        )
