"""`python manage.py verify_audit [--agent SLUG]`: walk the hash chains; exit 1 if broken."""

from django.core.management.base import BaseCommand, CommandError

from apps.audit.integrity import chains_verify
from apps.registry.models import Agent


class Command(BaseCommand):
    help = "Verify the audit trail's hash chains and name the first broken or missing event."

    def add_arguments(self, parser):
        parser.add_argument("--agent", metavar="SLUG", help="verify only this agent's chain")

    def handle(self, *args, agent: str | None = None, **options):
        target = None
        if agent:
            target = Agent.objects.filter(slug=agent).first()
            if target is None:
                raise CommandError(f"no agent with slug {agent!r}")
        report = chains_verify(agent=target)
        for chain in report.chains:
            verdict = "ok" if not chain.problem else "BROKEN"
            self.stdout.write(f"{chain.key:<24} {chain.events:>10} events  {verdict}")
        self.stdout.write(f"checked {len(report.chains)} chains, {report.events} events")
        if not report.ok:
            raise CommandError(f"audit trail is broken: {report.first_problem}")
        self.stdout.write(self.style.SUCCESS("audit trail intact"))
