"""`python manage.py verify_audit [--agent SLUG]`: walk the hash chains; exit 1 if broken."""

import os

from django.core.management.base import BaseCommand, CommandError

from apps.audit.integrity import chains_verify
from apps.registry.models import Agent


class Command(BaseCommand):
    help = "Verify the audit trail's hash chains and name the first broken or missing event."

    def add_arguments(self, parser):
        parser.add_argument("--agent", metavar="SLUG", help="verify only this agent's chain")
        parser.add_argument(
            "--jobs",
            type=int,
            default=os.cpu_count() or 1,
            metavar="N",
            help="walk chains in N processes at once (default: one per CPU)",
        )

    def handle(self, *args, agent: str | None = None, jobs: int = 1, **options):
        if jobs < 1:
            raise CommandError(f"--jobs must be at least 1, not {jobs}")
        target = None
        if agent:
            target = Agent.objects.filter(slug=agent).first()
            if target is None:
                raise CommandError(f"no agent with slug {agent!r}")
        report = chains_verify(agent=target, jobs=jobs)
        for chain in report.chains:
            verdict = "ok" if not chain.problem else "BROKEN"
            self.stdout.write(f"{chain.key:<24} {chain.events:>10} events  {verdict}")
        self.stdout.write(f"checked {len(report.chains)} chains, {report.events} events")
        if not report.ok:
            raise CommandError(f"audit trail is broken: {report.first_problem}")
        self.stdout.write(self.style.SUCCESS("audit trail intact"))
