"""Model instances from hand-written SQL, for the few hot paths where compiling an ORM query
costs more than running it (the agent key read on every agent request).

The SQL is built from `_meta` once; each row is turned into instances with the same
converters the ORM applies (JSON decoding, SQLite dates...), through `Model.from_db`, so
the instances are exactly what a queryset would have returned.
"""

from collections.abc import Sequence
from weakref import WeakKeyDictionary

from django.db import models
from django.db.backends.base.base import BaseDatabaseWrapper


class RowReader:
    """Reads every concrete field of `model`, in `_meta` order, from a row."""

    def __init__(self, model: type[models.Model]) -> None:
        self.model = model
        self.fields = list(model._meta.concrete_fields)
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
        return self.model.from_db(connection.alias, None, values)
