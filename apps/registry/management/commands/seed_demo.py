"""Seed a believable demo fleet. Idempotent: an agent that exists is left alone."""

from django.core.management.base import BaseCommand
from django.db import transaction

from apps.accounts.models import User
from apps.accounts.services import user_create
from apps.alerts.demo import demo_alerts_seed
from apps.audit.demo_events import demo_events_seed
from apps.audit.integrity import chains_verify
from apps.governance.demo import governance_demo_seed
from apps.monitoring.demo import monitoring_demo_seed
from apps.registry import services
from apps.registry.demo_fleet import FLEET, PEOPLE
from apps.registry.models import Agent

STEPS = {
    "deploy": services.agent_deploy,
    "pause": services.agent_pause,
    "quarantine": services.agent_quarantine,
    "retire": services.agent_retire,
}


class Command(BaseCommand):
    help = "Create demo people and a demo fleet of agents with versions and history (idempotent)."

    def handle(self, *args, **options):
        people = {
            username: self._person(username, first, last, roles) for username, first, last, roles in PEOPLE
        }
        created = 0
        for spec in FLEET:
            if Agent.objects.filter(slug=spec["slug"]).exists():
                continue
            self._agent(spec, people)
            created += 1
        self.stdout.write(
            self.style.SUCCESS(f"Demo fleet: {created} agents created, {len(FLEET) - created} already there.")
        )
        events = demo_events_seed()
        self.stdout.write(self.style.SUCCESS(f"Demo activity: {events} events over the last 30 days."))
        alerts = demo_alerts_seed()
        self.stdout.write(self.style.SUCCESS(f"Demo alerts: {alerts} created, with channels and a rule."))
        self.stdout.write(self.style.SUCCESS(f"Demo monitoring: {monitoring_demo_seed()}."))
        requests = governance_demo_seed()
        self.stdout.write(self.style.SUCCESS(f"Demo governance: {requests} action requests."))
        # The trail page shows the last verification; without this it says "never" until
        # the nightly beat run.
        report = chains_verify()
        verdict = "intact" if report.ok else f"BROKEN: {report.first_problem}"
        self.stdout.write(
            f"Audit trail verified: {report.events} events in {len(report.chains)} chains, {verdict}."
        )

    def _person(self, username, first, last, roles) -> User:
        user = User.objects.filter(username=username).first()
        if user is None:
            user = user_create(
                actor=None,
                username=username,
                roles=roles,
                first_name=first,
                last_name=last,
                email=f"{username}@example.com",
            )
        return user

    @transaction.atomic
    def _agent(self, spec: dict, people: dict[str, User]) -> None:
        owner = people[spec["owner"]]
        fields = {k: v for k, v in spec.items() if k not in ("story", "owner")}
        agent = services.agent_register(actor=owner, owner=owner, **fields)
        for step, arguments in spec["story"]:
            agent = STEPS[step](agent=agent, actor=owner, **arguments)
        if agent.may_act:
            services.agent_key_create(agent=agent, actor=owner, name="demo")
