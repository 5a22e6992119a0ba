"""A BRIN index on occurred_at (PostgreSQL only): a few pages of index for time-range scans
over an append-mostly table of any size, where a B-tree would grow with every row."""

from django.db import migrations

from apps.audit.migrations._postgresql import on_postgresql

CREATE = "CREATE INDEX IF NOT EXISTS audit_occurred_brin ON audit_auditevent USING brin (occurred_at)"
DROP = "DROP INDEX IF EXISTS audit_occurred_brin"


class Migration(migrations.Migration):
    dependencies = [("audit", "0003_audit_export")]
    operations = [migrations.RunPython(on_postgresql(CREATE), on_postgresql(DROP))]
