"""Model instances from and to hand-written SQL, for the few hot paths where compiling an ORM
query costs more than running it (the agent key read on every agent request, the request
and audit rows of every governance decision).

The SQL is built from `_meta` once; each row is turned into instances with the same
converters the ORM applies (JSON decoding, SQLite dates...), through `Model.from_db`, so
the instances are exactly what a queryset would have returned.
"""

from collections.abc import Sequence
from weakref import WeakKeyDictionary

from django.db import DEFAULT_DB_ALIAS, connections, models
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models.fields import AutoFieldMixin


class RowReader:
    """Reads every concrete field of `model` (or only those named: the others are deferred),
    in `_meta` order, from a row."""

    def __init__(self, model: type[models.Model], only: Sequence[str] | None = None) -> None:
        self.model = model
        self.fields = [f for f in model._meta.concrete_fields if only is None or f.name in only]
        self._field_names = None if only is None else [f.attname for f in self.fields]
        # Converters are bound to a connection's operations: one list per connection.
        self._converters: WeakKeyDictionary = WeakKeyDictionary()

    def __len__(self) -> int:
        return len(self.fields)

    def columns(self, connection: BaseDatabaseWrapper, alias: str) -> str:
        """`alias.col1, alias.col2, ...` in the order `build` reads them."""
        quote = connection.ops.quote_name
        return ", ".join(f"{alias}.{quote(f.column)}" for f in self.fields)

    def _converters_for(self, connection: BaseDatabaseWrapper) -> list[tuple]:
        converters = self._converters.get(connection)
        if converters is None:
            converters = []
            for index, field in enumerate(self.fields):
                col = field.get_col(self.model._meta.db_table)
                found = connection.ops.get_db_converters(col) + field.get_db_converters(connection)
                if found:
                    converters.append((index, col, found))
            self._converters[connection] = converters
        return converters

    def build(self, connection: BaseDatabaseWrapper, row: Sequence, start: int = 0) -> models.Model:
        values = list(row[start : start + len(self.fields)])
        for index, col, found in self._converters_for(connection):
            value = values[index]
            for convert in found:
                value = convert(value, col, connection)
            values[index] = value
        return self.model.from_db(connection.alias, self._field_names, values)


class RowWriter:
    """Inserts one instance of `model` with a statement built from `_meta` once per database
    vendor, preparing each value as `Model.save()` would (`pre_save`, then
    `get_db_prep_save`), and sets the new primary key. No signals are sent (none are
    listened to for the models written this way), as with `bulk_create`. For models whose
    primary key the database numbers."""

    def __init__(self, model: type[models.Model]) -> None:
        assert isinstance(model._meta.pk, AutoFieldMixin), f"{model.__name__}: the database must number it"
        self.model = model
        self.fields = [f for f in model._meta.concrete_fields if not f.primary_key]
        self._sql: dict[tuple[str, bool], str] = {}

    def columns(self, connection: BaseDatabaseWrapper) -> str:
        """`col1, col2, ...`: every column but the primary key, in the order values go."""
        return ", ".join(connection.ops.quote_name(f.column) for f in self.fields)

    def statement(self, connection: BaseDatabaseWrapper, *, returning: bool = True) -> str:
        """The INSERT of one row, built once per vendor; `returning` reads the new key back."""
        key = (connection.vendor, returning)
        sql = self._sql.get(key)
        if sql is None:
            quote = connection.ops.quote_name
            sql = (
                f"INSERT INTO {quote(self.model._meta.db_table)} ({self.columns(connection)}) "
                f"VALUES ({', '.join(['%s'] * len(self.fields))})"
            )
            if returning:
                sql += f" RETURNING {quote(self.model._meta.pk.column)}"
            self._sql[key] = sql
        return sql

    def insert(self, instance: models.Model, using: str = DEFAULT_DB_ALIAS) -> models.Model:
        connection = connections[using]
        values = [f.get_db_prep_save(f.pre_save(instance, True), connection) for f in self.fields]
        with connection.cursor() as cursor:
            cursor.execute(self.statement(connection), values)
            instance.pk = cursor.fetchone()[0]
        instance._state.adding, instance._state.db = False, using
        return instance
