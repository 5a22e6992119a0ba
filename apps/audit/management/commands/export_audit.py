"""`python manage.py export_audit --format jsonl --agent SLUG --since ... --output bundle.zip`

Exports the trail events matching the filters as a signed evidence bundle, here and now (no
worker needed), exactly as the Export page does; the export is recorded in the trail.
"""

import getpass
import shutil
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from agentgov.errors import ApplicationError
from apps.accounts.models import User
from apps.audit.exports import service
from apps.audit.models import AuditExport, ExportFormat
from apps.audit.services import SYSTEM

# option → AuditEventFilter parameter
FILTER_OPTIONS = {
    "agent": "agent",
    "since": "since",
    "until": "until",
    "range": "range",
    "type": "type",
    "status": "status",
    "name": "name",
    "resource": "resource",
    "trace_id": "trace_id",
    "action_id": "action_id",
    "actor": "actor",
    "actor_type": "actor_type",
    "search": "q",
}


class Command(BaseCommand):
    help = "Export audit events as a signed evidence bundle (data file, manifest.json, manifest.sig)."

    def add_arguments(self, parser):
        parser.add_argument("--format", choices=ExportFormat.values, default=ExportFormat.JSONL)
        parser.add_argument("--agent", metavar="SLUG", help="only events about this agent")
        parser.add_argument("--since", metavar="ISO8601", help="from this time (inclusive)")
        parser.add_argument("--until", metavar="ISO8601", help="until this time (exclusive); default now")
        parser.add_argument("--range", metavar="15m|1h|24h|7d|30d", help="the last 15m, 1h, 24h, 7d or 30d")
        parser.add_argument("--type", action="append", metavar="TYPE", help="event type; repeat for several")
        parser.add_argument(
            "--status", action="append", metavar="STATUS", help="ok, error or denied; repeatable"
        )
        parser.add_argument("--name", metavar="PREFIX", help="event names starting with this")
        parser.add_argument("--resource", metavar="PREFIX", help="resources starting with this")
        parser.add_argument("--trace-id", dest="trace_id")
        parser.add_argument("--action-id", dest="action_id")
        parser.add_argument("--actor", metavar="LABEL", help="a username, or agent:SLUG")
        parser.add_argument("--actor-type", dest="actor_type", metavar="user|agent|system")
        parser.add_argument("--search", metavar="TEXT", help="text in name, resource, rationale or choice")
        parser.add_argument("--user", metavar="USERNAME", help="export as this auditor (default: the shell)")
        parser.add_argument("--output", "-o", metavar="PATH", help="copy the bundle here (it must not exist)")

    def handle(self, *args, **options):
        filters = {param: options[option] for option, param in FILTER_OPTIONS.items() if options[option]}
        output = Path(options["output"]) if options["output"] else None
        if output is not None and output.exists():
            raise CommandError(f"--output {output} already exists; an evidence file is never overwritten")
        if output is not None and not output.parent.is_dir():
            raise CommandError(f"--output: the folder {output.parent} does not exist")
        try:
            export = service.export_request(
                actor=self._actor(options["user"]),
                filters=filters,
                format=options["format"],
                enqueue=False,
                requested_label=f"{getpass.getuser()} via manage.py export_audit",
            )
        except ApplicationError as exc:
            raise CommandError(f"{exc.message}") from None
        try:
            export = service.export_run(export_id=export.pk, on_progress=self._progress)
        except Exception as exc:
            raise CommandError(f"the export failed: {exc}") from exc
        finally:
            self.stderr.write("")
        self._report(export, output)

    def _actor(self, username: str | None):
        if not username:
            return SYSTEM
        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"--user: no user named {username!r}")
        return user

    def _progress(self, export: AuditExport) -> None:
        total = f" of {export.rows_total:,}" if export.rows_total is not None else ""
        line = f"\r{export.get_stage_display():<28} {export.rows_written:>12,}{total} events"
        self.stderr.write(line, ending="")
        self.stderr.flush()

    def _report(self, export: AuditExport, output: Path | None) -> None:
        bundle = service.bundle_path(export)
        if output is not None:
            shutil.copyfile(bundle, output)
            bundle = output
        self.stdout.write(f"bundle   {bundle}")
        self.stdout.write(f"sha256   {export.bundle_sha256}")
        self.stdout.write(f"events   {export.rows_written}")
        self.stdout.write(f"data     {service.data_file_name(export)} sha256 {export.data_sha256}")
        if export.chain_ok:
            self.stdout.write(self.style.SUCCESS("chains   verified"))
        else:
            self.stdout.write(
                self.style.ERROR("chains   verification FAILED: see the manifest's chain_verification")
            )
