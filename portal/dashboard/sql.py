"""The dashboard's few queries written out in SQL: the versions its pages refresh by and the
inbox count on every staff page, asked so often that the ORM took longer to build them than
the database to answer. Each names its tables as `{name}`, filled in once per process."""

from __future__ import annotations

from functools import cache

from django.db import connection
from django.db.models import Model


@cache
def _written(template: str, tables: tuple[tuple[str, type[Model]], ...]) -> str:
    return template.format(**{name: model._meta.db_table for name, model in tables})


def one_row(template: str, params: dict, **tables: type[Model]) -> tuple:
    """The one row of `template` (its `{name}`s the tables of `tables`) with `params`."""
    with connection.cursor() as cursor:
        cursor.execute(_written(template, tuple(tables.items())), params)
        return tuple(cursor.fetchone())
