"""The drift check: one run over the active fleet, a report per agent, and alerts on a
change of verdict."""

from collections import defaultdict
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from apps.alerts.models import AlertKind, Severity
from apps.alerts.services import alert_fire, alert_resolve
from apps.audit.models import EventType
from apps.audit.services import SYSTEM, record
from apps.monitoring.drift.aggregates import WindowCounts, Windows, names_used_before, window_counts
from apps.monitoring.drift.metrics import MEASURE_OF, Evaluation, MetricResult
from apps.monitoring.models import AgentMonitor, Baseline, DriftReport, DriftRun, DriftVerdict
from apps.monitoring.services import effective_drift_thresholds, monitors_ensure
from apps.registry.models import Agent, AgentStatus

KEEP_RUNS_DAYS = 90
TOP_TOOLS = 12
SUMMARY_METRICS = 3  # the most severe, so the summary stays a readable sentence


def windows_for(agent: Agent, now: datetime) -> tuple[str, Windows]:
    current = timedelta(hours=settings.MONITORING_DRIFT_CURRENT_HOURS)
    baseline = timedelta(days=settings.MONITORING_DRIFT_BASELINE_DAYS)
    monitor = getattr(agent, "monitor", None)
    version = agent.current_version
    deployed = version.deployed_at if version else None
    if monitor and monitor.drift_baseline == Baseline.DEPLOY and deployed and deployed < now:
        return Baseline.DEPLOY, Windows(deployed - baseline, deployed, max(deployed, now - current), now)
    return Baseline.ROLLING, Windows(now - current - baseline, now - current, now - current, now)


def _verdict(results: list[MetricResult]) -> str:
    verdicts = {r.verdict for r in results}
    if DriftVerdict.DRIFT in verdicts:
        return DriftVerdict.DRIFT
    return DriftVerdict.OK if DriftVerdict.OK in verdicts else DriftVerdict.NOT_ENOUGH_DATA


def _summary(verdict: str, results: list[MetricResult], counts: tuple[WindowCounts, WindowCounts]) -> str:
    if verdict == DriftVerdict.DRIFT:
        drifting = sorted((r for r in results if r.verdict == DriftVerdict.DRIFT), key=lambda r: -r.severity)
        text = "; ".join(r.sentence for r in drifting[:SUMMARY_METRICS])
        if len(drifting) > SUMMARY_METRICS:
            more = len(drifting) - SUMMARY_METRICS
            text += f"; and {more} more metric{'s' if more > 1 else ''} ({', '.join(r.label.lower() for r in drifting[SUMMARY_METRICS:])})"
    elif verdict == DriftVerdict.OK:
        text = "behaves as in the baseline"
    else:
        text = (
            f"not enough data: {counts[1].events} events in the recent window, {counts[0].events} in the "
            f"baseline (needs {settings.MONITORING_DRIFT_MIN_EVENTS} in each)"
        )
    return text[:500]


def _details(counts: tuple[WindowCounts, WindowCounts]) -> dict:
    """The small aggregates the agent's drift tab draws."""
    baseline, current = counts
    names = sorted(
        set(baseline.mix) | set(current.mix),
        key=lambda n: -(baseline.mix.get(n, 0) + current.mix.get(n, 0)),
    )[:TOP_TOOLS]
    return {
        "mix": {
            "names": names,
            "baseline": [baseline.mix.get(n, 0) for n in names],
            "current": [current.mix.get(n, 0) for n in names],
        },
        "histograms": {
            metric: {"baseline": baseline.histogram(m), "current": current.histogram(m)}
            for metric, m in MEASURE_OF.items()
        },
        "events": [baseline.events, current.events],
    }


def _report(run: DriftRun, agent: Agent, kind: str, windows: Windows, counts) -> DriftReport:
    baseline, current = counts
    seen = set()
    new = set(current.mix) - set(baseline.mix)
    if new:
        seen = names_used_before(agent.pk, new, windows.baseline_start)
    results = Evaluation(
        baseline, current, windows, effective_drift_thresholds(agent.monitor), seen
    ).results()
    verdict = _verdict(results)
    severities = [r.severity for r in results if r.severity is not None]
    return DriftReport(
        run=run,
        agent=agent,
        as_of=run.as_of,
        baseline=kind,
        baseline_start=windows.baseline_start,
        baseline_end=windows.baseline_end,
        current_start=windows.current_start,
        current_end=windows.current_end,
        baseline_events=baseline.events,
        current_events=current.events,
        verdict=verdict,
        severity=max(severities, default=0.0),
        summary=_summary(verdict, results, counts),
        metrics=[r.as_json() for r in results],
        details=_details(counts),
    )


def drift_check(*, now: datetime | None = None, follow: bool = True) -> DriftRun:
    """Compare each active agent's recent window with its baseline; store one report per
    agent; on a change of verdict, audit it and fire or resolve its drift alert.
    `follow=False` stores reports only (to fill in history, as the demo seed does)."""
    now = now or timezone.now()
    monitors_ensure()
    run = DriftRun.objects.create(as_of=now)
    agents = list(
        Agent.objects.filter(status=AgentStatus.ACTIVE).select_related("monitor", "current_version")
    )
    groups: dict[Windows, list[Agent]] = defaultdict(list)
    kinds = {}
    for agent in agents:
        kinds[agent.pk], windows = windows_for(agent, now)
        groups[windows].append(agent)
    reports = []
    empty = (WindowCounts(), WindowCounts())
    for windows, members in groups.items():
        counts = window_counts([a.pk for a in members], windows)
        reports += [_report(run, a, kinds[a.pk], windows, counts.get(a.pk, empty)) for a in members]
    DriftReport.objects.bulk_create(reports, batch_size=500)
    run.agents_checked = len(reports)
    run.agents_drifting = sum(r.verdict == DriftVerdict.DRIFT for r in reports)
    run.finished_at = timezone.now()
    run.save(update_fields=["agents_checked", "agents_drifting", "finished_at"])
    if follow:
        monitors = dict(
            AgentMonitor.objects.filter(agent__in=agents).values_list("agent_id", "drift_verdict")
        )
        for report in reports:
            if report.verdict != DriftVerdict.NOT_ENOUGH_DATA and report.verdict != monitors.get(
                report.agent_id
            ):
                drift_change_apply(report=report, old=monitors.get(report.agent_id, ""))
        DriftRun.objects.filter(as_of__lt=now - timedelta(days=KEEP_RUNS_DAYS)).delete()
    return run


@transaction.atomic
def drift_change_apply(*, report: DriftReport, old: str) -> bool:
    """Record that the agent's drift verdict changed: monitor, audit event, alert."""
    agent = report.agent
    moved = AgentMonitor.objects.filter(agent=agent, drift_verdict=old).update(
        drift_verdict=report.verdict, drift_changed_at=report.as_of
    )
    if moved != 1:
        return False
    drifting = report.verdict == DriftVerdict.DRIFT
    if not drifting and not old:
        return True  # the first verdict, and it is fine: nothing happened worth a record
    record(
        actor=SYSTEM,
        type=EventType.CHANGE,
        name="agent.drift_detected" if drifting else "agent.drift_cleared",
        agent=agent,
        resource=agent.resource_name,
        rationale=report.summary,
        data={"report": report.pk, "severity": round(report.severity, 2)},
    )
    fingerprint = f"drift:{agent.slug}"
    if drifting:
        alert_fire(
            fingerprint=fingerprint,
            kind=AlertKind.DRIFT,
            severity=Severity.WARNING,
            title=f"{agent.name} is drifting",
            summary=report.summary,
            agent=agent,
            details={
                "report": report.pk,
                "drifting": [m["metric"] for m in report.metrics if m["verdict"] == "drift"],
            },
        )
    else:
        alert_resolve(fingerprint=fingerprint)
    return True
