"""`field__ucontains=text`: contains `text`, ignoring case in every script, on PostgreSQL and SQLite.

Django's `icontains` folds case in the database. PostgreSQL's UPPER() follows the cluster's
locale, so Cyrillic ("Цефазолин" / "цефазолин", Kyrgyz "Ө" / "ө") folds there; SQLite's LIKE and
LOWER() fold ASCII letters only, so there the lookup calls a function that folds in Python,
registered on every SQLite connection as it opens."""

from __future__ import annotations

from django.db.backends.signals import connection_created
from django.db.models import CharField, Lookup, TextField
from django.db.models.lookups import IContains

SQLITE_FOLD = "salamat_casefold"


def _fold(value: str | None) -> str | None:
    return value.casefold() if isinstance(value, str) else value


class UnicodeContains(Lookup):
    lookup_name = "ucontains"
    prepare_rhs = False

    def _icontains(self) -> IContains:
        # The backends know `icontains` (its operator, casts and escaping); this lookup is it,
        # but for SQLite's case folding.
        return IContains(self.lhs, self.rhs)

    def as_sql(self, compiler, connection):
        return self._icontains().as_sql(compiler, connection)

    def as_sqlite(self, compiler, connection):
        icontains = self._icontains()
        lhs, lhs_params = icontains.process_lhs(compiler, connection)
        rhs, rhs_params = icontains.process_rhs(compiler, connection)
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
