"""Fast inserts of rows whose ids we never need back: COPY on PostgreSQL, executemany elsewhere.

Rows are tuples of Python values in the order of `fields`. On PostgreSQL they
stream through `COPY ... FROM STDIN` (psycopg 3); on SQLite each value is
prepared by its model field (UUIDs as hex, dates as text, JSON encoded) and
inserted with one executemany per batch. Either way no model instances are
built, which is what makes a few hundred thousand rows take seconds.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Callable, Iterable, Sequence

from django.db import connection, models

BATCH = 5000


class RowWriter:
    def __init__(self, model: type[models.Model], fields: Sequence[str]):
        self.model = model
        self.fields = [model._meta.get_field(name) for name in fields]
        # A column the caller does not name but the table needs (NOT NULL with a default only Django knows, such
        # as a JSONField(default=list) added later): written with that default, so a new field never breaks the
        # bench's builder.
        named = {field.name for field in self.fields}
        self.defaults = [field for field in model._meta.concrete_fields
                         if field.name not in named and not field.primary_key and not field.null
                         and field.has_default()]
        self.fields += self.defaults
        quote = connection.ops.quote_name
        self.table = quote(model._meta.db_table)
        self.columns = ", ".join(quote(field.column) for field in self.fields)
        self.postgres = connection.vendor == "postgresql"
        self.convert: list[Callable | None] = [self._converter(field) for field in self.fields]

    def _converter(self, field: models.Field) -> Callable | None:
        if self.postgres:
            # COPY takes JSON as text; psycopg adapts dates, decimals, UUIDs and booleans itself.
            return json.dumps if isinstance(field, models.JSONField) else None
        return lambda value, field=field: field.get_db_prep_save(value, connection)

    def _prepared(self, row: Sequence) -> tuple:
        # Choices members are enums: write their value (psycopg would dump an enum's name).
        row = [value.value if isinstance(value, enum.Enum) else value for value in row]
        row += [field.get_default() for field in self.defaults]
        return tuple(value if convert is None or value is None else convert(value)
                     for value, convert in zip(row, self.convert))

    def write(self, rows: Iterable[Sequence]) -> int:
        """Insert `rows`; returns how many."""
        count = 0
        with connection.cursor() as cursor:
            if self.postgres:
                with cursor.cursor.copy(f"COPY {self.table} ({self.columns}) FROM STDIN") as copy:  # nosec B608 -- quoted names
                    for row in rows:
                        copy.write_row(self._prepared(row))
                        count += 1
                return count
            # Table and column names quoted by the backend (__init__); the values go as parameters.
            marks = ", ".join(["%s"] * len(self.fields))
            sql = f"INSERT INTO {self.table} ({self.columns}) VALUES ({marks})"  # nosec B608 -- quoted names
            batch: list[tuple] = []
            for row in rows:
                batch.append(self._prepared(row))
                if len(batch) >= BATCH:
                    cursor.executemany(sql, batch)
                    count += len(batch)
                    batch = []
            if batch:
                cursor.executemany(sql, batch)
                count += len(batch)
        return count


def write_rows(model: type[models.Model], fields: Sequence[str], rows: Iterable[Sequence]) -> int:
    return RowWriter(model, fields).write(rows)
