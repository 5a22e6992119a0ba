"""`python manage.py verify_bundle BUNDLE.zip`: check an export bundle with this agentgov's key.

The same checks as the offline verify_bundle.py (apps/audit/exports/offline.py), which an auditor runs without agentgov.
"""

from django.core.management.base import BaseCommand, CommandError

from apps.audit.exports.bundle import bundle_verify


class Command(BaseCommand):
    help = "Verify an audit export bundle: manifest signature, data SHA-256, row count, chain result."

    def add_arguments(self, parser):
        parser.add_argument("bundle", help="the .zip bundle")

    def handle(self, *args, bundle: str, **options):
        report = bundle_verify(bundle)
        manifest = report.manifest
        if manifest:
            self.stdout.write(f"export   {manifest.get('export_id')} by {manifest.get('generated_by')}")
            self.stdout.write(f"rows     {report.rows} (manifest: {manifest.get('row_count')})")
        if not report.authentic:
            raise CommandError("bundle NOT verified: " + "; ".join(report.problems))
        if report.chain_ok is not True:
            problem = manifest.get("chain_verification", {}).get("problem")
            raise CommandError(
                f"bundle authentic, but the chain verification failed when it was made: {problem}"
            )
        self.stdout.write(self.style.SUCCESS("bundle verified: authentic, complete, chains verified"))
