"""`field__ucontains=text`: contains `text`, ignoring case in every script, on PostgreSQL and SQLite.

Django's `icontains` folds case in the database. PostgreSQL's UPPER() follows the cluster's
locale, so Cyrillic ("Цефазолин" / "цефазолин", Kyrgyz "Ө" / "ө") folds there; SQLite's LIKE and
LOWER() fold ASCII letters only, so there the lookup calls a function that folds in Python,
registered on every SQLite connection as it opens."""

from __future__ import annotations

from django.db.backends.signals import connection_created
from django.db.models import CharField, TextField
from django.db.models.lookups import IContains

SQLITE_FOLD = "salamat_casefold"


def _fold(value: str | None) -> str | None:
    return value.casefold() if isinstance(value, str) else value


class UnicodeContains(IContains):
    lookup_name = "ucontains"

    def as_sqlite(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        # The right-hand side arrives as '%text%', escaped for LIKE; folding keeps % and \.
        sql = f"{SQLITE_FOLD}({lhs}) LIKE {SQLITE_FOLD}({rhs}) ESCAPE '\\'"
        return sql, (*lhs_params, *rhs_params)


def _register_sqlite_fold(sender, connection, **kwargs) -> None:
    if connection.vendor == "sqlite":
        connection.connection.create_function(SQLITE_FOLD, 1, _fold, deterministic=True)


def install() -> None:
    """Registers the lookup on text fields and the SQLite function (from `CoreConfig.ready`)."""
    CharField.register_lookup(UnicodeContains)
    TextField.register_lookup(UnicodeContains)
    connection_created.connect(_register_sqlite_fold, dispatch_uid="salamat_sqlite_casefold")
