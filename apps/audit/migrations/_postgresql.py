"""Shared by this app's migrations (the loader skips modules starting with "_")."""


def on_postgresql(sql: str):
    """A RunPython callable running `sql` on PostgreSQL only; SQLite has no use for it."""

    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql)

    return run
