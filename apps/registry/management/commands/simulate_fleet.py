"""Run demo agents against a running agentgov through the SDK, so the dashboard moves."""

import logging
import os
import time

from django.core.management.base import BaseCommand, CommandError

from agentgov.client import Client
from apps.registry.simulator.agent import Settings, SimulatedAgent
from apps.registry.simulator.keys import simulated_agents, simulator_key
from apps.registry.simulator.profiles import profile_for

DEFAULT_DRIFTER = "support-concierge"


class Command(BaseCommand):
    help = (
        "Simulate the demo fleet against a running agentgov (start it beside `make run`): events, "
        "heartbeats, decisions, governed risky actions that wait for a person, and one agent that "
        "starts drifting after a few minutes. Ctrl-C stops it."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--base-url",
            default=f"http://{os.environ.get('AGENTGOV_BIND', '127.0.0.1:8000')}",
            help="agentgov to talk to (default: where `make run` serves, http://$AGENTGOV_BIND)",
        )
        parser.add_argument(
            "--agent", action="append", dest="agents", help="simulate this agent (repeatable)"
        )
        parser.add_argument(
            "--key",
            action="append",
            default=[],
            help="SLUG=KEY: use this key, for a server whose database this is not (repeatable)",
        )
        parser.add_argument("--duration", type=float, default=0, help="seconds to run; 0 runs until Ctrl-C")
        parser.add_argument("--drift-after", type=float, default=180, help="seconds before one agent drifts")
        parser.add_argument("--drifting-agent", default=None, help=f"which one (default {DEFAULT_DRIFTER})")
        parser.add_argument("--pace", type=float, default=1.0, help="1 is real time; 0 as fast as possible")
        parser.add_argument("--wait-timeout", type=float, default=900, help="how long a risky action waits")
        parser.add_argument("--heartbeat-interval", type=float, default=15)
        parser.add_argument("--report-every", type=float, default=30, help="seconds between status lines")
        parser.add_argument("--seed", type=int, default=None)

    def handle(self, *args, **options):
        logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per request drowns the report
        keys = self._keys(options)
        drifter = options["drifting_agent"] or (
            DEFAULT_DRIFTER if DEFAULT_DRIFTER in keys else sorted(keys)[0]
        )
        started = time.monotonic()
        fleet = []
        for index, (slug, (key, tools)) in enumerate(sorted(keys.items())):
            settings = Settings(
                pace=options["pace"],
                wait_timeout=options["wait_timeout"],
                heartbeat_interval=options["heartbeat_interval"],
                drift_at=started + options["drift_after"] if slug == drifter else None,
            )
            client = Client(options["base_url"], key)
            seed = (options["seed"] if options["seed"] is not None else int(time.time())) + index
            fleet.append(SimulatedAgent(slug, client, profile_for(slug, tools), settings, seed))
        self.stdout.write(
            f"Simulating {len(fleet)} agents against {options['base_url']}; "
            f"{drifter} drifts after {options['drift_after']:g}s. Ctrl-C stops."
        )
        for agent in fleet:
            agent.start()
        try:
            self._watch(fleet, started, options)
        except KeyboardInterrupt:
            self.stdout.write("Stopping…")
        finally:
            self._stop(fleet)

    def _keys(self, options) -> dict[str, tuple[str, list[str]]]:
        """slug → (key, declared tools)."""
        if options["key"]:
            pairs = [item.split("=", 1) for item in options["key"]]
            if any(len(pair) != 2 for pair in pairs):
                raise CommandError("--key takes SLUG=KEY")
            return {slug: (key, []) for slug, key in pairs}
        agents = simulated_agents(options["agents"])
        if not agents:
            raise CommandError("no active agents to simulate: run `python manage.py seed_demo` first")
        return {
            agent.slug: (simulator_key(agent), list(agent.current_version.declared_tools or []))
            for agent in agents
        }

    def _watch(self, fleet: list[SimulatedAgent], started: float, options) -> None:
        next_report = started + options["report_every"]
        while options["duration"] <= 0 or time.monotonic() - started < options["duration"]:
            time.sleep(0.2)
            if time.monotonic() >= next_report:
                self._report(fleet)
                next_report += options["report_every"]

    def _report(self, fleet: list[SimulatedAgent]) -> None:
        for agent in fleet:
            tally, stats = agent.tally, agent.client.stats
            line = (
                f"{agent.slug:24} runs {tally.runs:5}  events {stats.sent:6}  dropped {stats.dropped:4}  "
                f"asked {tally.asked:3} allowed {tally.allowed:3} denied {tally.denied:3} "
                f"waiting {tally.waiting}  heartbeats {tally.heartbeats:4}"
            )
            if tally.drifting:
                line += "  DRIFTING"
            self.stdout.write(line)

    def _stop(self, fleet: list[SimulatedAgent]) -> None:
        for agent in fleet:
            agent.stop.set()
        deadline = time.monotonic() + 5  # an agent waiting for a person is not waited for
        for agent in fleet:
            agent.join(timeout=max(0.0, deadline - time.monotonic()))
        for agent in fleet:
            agent.client.close(timeout=10)
        self._report(fleet)
