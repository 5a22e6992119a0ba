"""One simulated agent: a thread doing runs through the SDK, and one sending heartbeats.

Only `agentgov.client` talks to agentgov here, as a real agent would: nothing in this module
touches the database, so it runs the same against a local or a remote server.
"""

import logging
import math
import random
import threading
import time
from dataclasses import dataclass, field

from agentgov.client import ActionDenied, AgentgovError, Client, GovernanceUnavailable
from apps.audit.demo_events import DECISIONS, TOOL_SHAPES
from apps.audit.demo_events import _fill as fill_template  # the seeded history's shapes, reused
from apps.registry.simulator.profiles import Profile, drifted

log = logging.getLogger("agentgov.simulate_fleet")


class ToolFailed(Exception):
    """A simulated upstream failure inside a tool call."""


@dataclass
class Tally:
    runs: int = 0
    asked: int = 0
    allowed: int = 0
    denied: int = 0
    waiting: int = 0  # governed calls waiting for a decision right now
    heartbeats: int = 0
    drifting: bool = False
    last_denial: str = ""
    denied_resources: dict[str, float] = field(default_factory=dict)  # resource → retry after


@dataclass
class Settings:
    pace: float = 1.0  # 1: real-time sleeps between runs and inside tools; 0: as fast as possible
    wait_timeout: float = 900.0  # how long a governed call waits for a person
    heartbeat_interval: float = 15.0
    denial_backoff: float = 300.0  # after a denial, leave that resource alone this long
    drift_at: float | None = None  # time.monotonic() after which this agent drifts


class SimulatedAgent:
    def __init__(self, slug: str, client: Client, profile: Profile, settings: Settings, seed: int) -> None:
        self.slug = slug
        self.client = client
        self.profile = profile
        self.settings = settings
        self.rng = random.Random(seed)
        self.tally = Tally()
        self.stop = threading.Event()
        self.governance = True  # turned off if the server has no action-check API
        self._threads = [
            threading.Thread(target=self._work, name=f"sim-{slug}", daemon=True),
            threading.Thread(target=self._beat, name=f"sim-{slug}-heartbeat", daemon=True),
        ]
        self._governed = {tool: self._governed_tool(tool) for tool in profile.risky}

    def start(self) -> None:
        for thread in self._threads:
            thread.start()

    def join(self, timeout: float) -> None:
        for thread in self._threads:
            thread.join(timeout)

    # -- loops -----------------------------------------------------------------------------

    def _work(self) -> None:
        while not self.stop.is_set():
            try:
                self.run_once()
            except Exception:  # a demo agent must keep going whatever happens
                log.exception("%s: run failed", self.slug)
            self.stop.wait(self._pause(60 / self._profile().runs_per_minute))

    def _beat(self) -> None:
        while not self.stop.is_set():
            if self.client.heartbeat(
                status="ok", metrics={"runs": self.tally.runs, "waiting": self.tally.waiting}
            ):
                self.tally.heartbeats += 1
            self.stop.wait(self.settings.heartbeat_interval)

    def _pause(self, seconds: float) -> float:
        return max(0.0, seconds * self.settings.pace * self.rng.uniform(0.5, 1.5))

    def _profile(self) -> Profile:
        at = self.settings.drift_at
        self.tally.drifting = at is not None and time.monotonic() >= at
        return drifted(self.profile) if self.tally.drifting else self.profile

    # -- one run ---------------------------------------------------------------------------

    def run_once(self) -> None:
        """A trace: a decision, a few tool calls (maybe a governed one), a reply."""
        profile = self._profile()
        number = self.rng.randint(1000, 99999)
        family = profile.tools[0].split(".")[0]
        topic, options, rationale = DECISIONS.get(
            family, ("next step", ["proceed", "wait"], "inputs look complete")
        )
        # The run's name is its topic, the same every time: drift counts each distinct action
        # name as a tool, so a name per run would read as "started calling" new tools.
        with self.client.trace(topic, attributes={"run": number}) as run:
            run.set(tokens_in=profile.tokens_in, tokens_out=profile.tokens_out)
            run.set(cost_usd=round(profile.cost_per_run * self.rng.uniform(0.6, 1.4), 6))
            chosen = options[0] if self.rng.random() < 0.8 else self.rng.choice(options)
            self.client.decision(
                name=topic,
                chosen=chosen,
                alternatives=[{"option": o, "score": round(self.rng.uniform(0.1, 0.95), 2)} for o in options],
                rationale=rationale,
            )
            for _ in range(self.rng.randint(1, 3)):
                self._tool(self.rng.choice(profile.tools), profile)
            if profile.risky and self.governance and self.rng.random() < profile.risky_share:
                self._risky(self.rng.choice(profile.risky), rationale)
            self.client.event(
                "message",
                name="reply",
                tokens_in=self.rng.randint(300, 1200),
                tokens_out=self.rng.randint(80, 300),
            )
        self.tally.runs += 1

    def _tool(self, tool: str, profile: Profile, **given) -> dict:
        resource, tool_input, tool_output = TOOL_SHAPES.get(tool.split(".")[0], ("service:internal", {}, {}))
        number = self.rng.randint(100, 9999)
        try:
            with self.client.span(tool, type="tool_call") as span:
                span.resource = given.pop("resource", None) or fill_template(resource, number)
                span.input = {**fill_template(tool_input, number), **given}
                time.sleep(self._pause(self.rng.lognormvariate(math.log(profile.latency_ms), 0.5) / 1000))
                if self.rng.random() < profile.error_rate:
                    raise ToolFailed("upstream timeout")
                span.output = fill_template(tool_output, number)
                return span.fields["output"]
        except ToolFailed:
            return {}  # recorded as an error by the span; the agent carries on

    # -- governed actions ------------------------------------------------------------------

    def _governed_tool(self, tool: str):
        def act(resource: str, **params):
            return self._tool(tool, self._profile(), resource=resource, **params)

        return self.client.governed(
            action=tool, resource="{resource}", wait_timeout=self.settings.wait_timeout
        )(act)

    def _risky(self, tool: str, rationale: str) -> None:
        resource_template, tool_input, _ = TOOL_SHAPES.get(tool.split(".")[0], ("service:internal", {}, {}))
        number = self.rng.randint(100, 9999)
        resource = fill_template(resource_template, number)
        if self.tally.denied_resources.get(resource, 0) > time.monotonic():
            return  # denied recently: respect it rather than asking again and again
        params = fill_template(tool_input, number)
        if "amount" in params:  # some small, some large enough for a policy on params.amount
            params["amount"] = self.rng.choice([20, 40, 120, 800, 2500])
        self.tally.asked += 1
        self.tally.waiting += 1
        try:
            self._governed[tool](resource, rationale=rationale, **params)
            self.tally.allowed += 1
        except GovernanceUnavailable as exc:
            self._denied(resource, str(exc))
        except ActionDenied as denial:
            self._denied(resource, denial.reason)
        except AgentgovError as exc:
            # A server without the action-check API: go on without governed actions.
            log.warning("%s: governed actions switched off: %s", self.slug, exc)
            self.governance = False
        finally:
            self.tally.waiting -= 1

    def _denied(self, resource: str, reason: str) -> None:
        self.tally.denied += 1
        self.tally.last_denial = reason
        self.tally.denied_resources[resource] = time.monotonic() + self.settings.denial_backoff
        self.client.event("log", name="action.not_taken", resource=resource, status="denied", output=reason)
