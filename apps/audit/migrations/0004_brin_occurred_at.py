"""A BRIN index on occurred_at (PostgreSQL only): a few pages of index for time-range scans
over an append-mostly table of any size, where a B-tree would grow with every row."""

from django.db import migrations

CREATE = "CREATE INDEX IF NOT EXISTS audit_occurred_brin ON audit_auditevent USING brin (occurred_at)"
DROP = "DROP INDEX IF EXISTS audit_occurred_brin"


def _on_postgresql(sql):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("audit", "0003_audit_export")]
    operations = [migrations.RunPython(_on_postgresql(CREATE), _on_postgresql(DROP))]
