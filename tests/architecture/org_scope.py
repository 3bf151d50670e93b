"""Which tables belong to an organization, and whether a captured SQL statement is scoped to one.

Two halves, both used by ``test_org_predicate.py``:

* ``inventory()`` sorts every model table of ``src/kapstone`` into the tenant root
  (``accounts_organization``), tables that carry ``organization_id`` themselves (*direct*), tables
  that reach an organization only through a parent's foreign key (*through*, with the path), and
  global tables (users, sign-in state, per-person settings: *reference*). Run this file to print it:
  ``KAPSTONE_ENV=test .venv/bin/python tests/architecture/org_scope.py``.
* ``check()`` reads the statements Django ran for one request (``CaptureQueriesContext``) and says,
  for each read of a tenant table, how it is scoped (the rule is in the test's docstring).

The parser knows the SQL Django's compiler writes (double-quoted names, ``U0``/``T4`` aliases,
subqueries in parentheses, parameters rendered inline by both backends' ``last_executed_query``);
it is not a general SQL parser.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field

import django
from django.apps import apps
from django.db import connection

ORG_TABLE = "accounts_organization"
ORG_COLUMN = "organization_id"


# --- the inventory ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Parent:
    column: str  # the foreign key column on the child, e.g. "session_id"
    table: str  # the parent's table, e.g. "care_caresession"


@dataclass
class Inventory:
    direct: dict[str, bool]  # table -> organization column nullable (rows without an organization)
    through: dict[str, list[Parent]]  # table -> its foreign keys to tenant tables (first is the path)
    reference: list[str]
    root: str = ORG_TABLE
    other_org_columns: dict[str, str] = field(default_factory=dict)  # table -> e.g. from_organization_id

    @property
    def tenant(self) -> set[str]:
        return set(self.direct) | set(self.through)

    def figures(self) -> dict[str, int]:
        return {
            "tables": len(self.direct) + len(self.through) + len(self.reference) + 1,
            "direct": len(self.direct),
            "through": len(self.through),
            "reference": len(self.reference),
        }

    def path_to_org(self, table: str) -> list[str]:
        """The chain of tables from ``table`` up to one carrying organization_id (inclusive)."""
        chain = [table]
        while chain[-1] in self.through:
            chain.append(self.through[chain[-1]][0].table)
        return chain


def inventory() -> Inventory:
    models = [m for m in apps.get_models(include_auto_created=True) if m.__module__.startswith("kapstone")]
    direct: dict[str, bool] = {}
    other: dict[str, str] = {}
    fks: dict[str, list[Parent]] = {}
    for model in models:
        table = model._meta.db_table
        fks[table] = []
        for f in model._meta.concrete_fields:
            if not f.is_relation:
                continue
            target = f.related_model._meta.db_table  # type: ignore[union-attr]
            if f.column == ORG_COLUMN:
                direct[table] = bool(f.null)
            elif target == ORG_TABLE:
                other[table] = f.column
            else:
                fks[table].append(Parent(f.column, target))
        if table not in direct and any(f.column == ORG_COLUMN for f in model._meta.concrete_fields):
            direct[table] = True  # an organization_id kept as a plain integer (the audit log)
    # Reach through parents until nothing changes; a required foreign key is the preferred path.
    through: dict[str, list[Parent]] = {}
    changed = True
    while changed:
        changed = False
        for table, parents in fks.items():
            if table in direct or table in through or table == ORG_TABLE:
                continue
            tenant_parents = [p for p in parents if p.table in direct or p.table in through]
            if tenant_parents:
                through[table] = tenant_parents
                changed = True
    reference = sorted(t for t in fks if t not in direct and t not in through and t != ORG_TABLE)
    return Inventory(direct, through, reference, other_org_columns=other)


# --- the statement checker ------------------------------------------------------------------------

_SUBQUERY = re.compile(r"\(\s*SELECT\b", re.IGNORECASE)
_TABLE_REF = re.compile(r'\b(?:FROM|JOIN)\s+"(\w+)"(?:\s+(?:AS\s+)?([A-Z]\d+))?(?=[\s,)]|$)')
_REF = r'(?:"(\w+)"|([A-Z]\d+))\."(\w+)"'  # "table"."col" or T4."col"
_VALUES = r"(-?\d+|\((?:\s*-?\d+\s*,?)+\))"  # 5 or (1, 2, 3)
_EQ_LITERAL = re.compile(_REF + r"\s*(?:=|IN)\s*" + _VALUES)
_EQ_REFS = re.compile(_REF + r"\s*=\s*" + _REF)
_IN_SUB = re.compile(_REF + r"\s*IN\s*__SUB(\d+)__")


def _split_subqueries(sql: str) -> tuple[str, list[str]]:
    """The statement with each parenthesised subquery replaced by ``__SUBn__``, and the subqueries
    (the innermost first: a subquery may name only lower-numbered ones)."""
    subs: list[str] = []
    out = sql
    while matches := list(_SUBQUERY.finditer(out)):
        start = matches[-1].start()  # the last one opened holds no other
        depth, end = 0, start
        for end in range(start, len(out)):
            depth += {"(": 1, ")": -1}.get(out[end], 0)
            if depth == 0:
                break
        subs.append(out[start + 1 : end])
        out = out[:start] + f"__SUB{len(subs) - 1}__" + out[end + 1 :]
    return out, subs


def _ints(text: str) -> set[int]:
    return {int(v) for v in re.findall(r"-?\d+", text)}


@dataclass
class Scope:
    """How one table occurrence in a statement is tied to an organization."""

    table: str
    alias: str
    how: str = ""  # "org" (own predicate), "org-join", "parent-join", "key", "subquery" or ""
    orgs: set[int] = field(default_factory=set)  # organization ids named in its own predicate


@dataclass
class Finding:
    statement: int
    table: str
    verdict: str  # "routed", "anchored", "keyed" (a direct table found by a scoped key) or "unscoped"
    sql: str
    origin: str = ""


class Checker:
    """Walks one request's statements in order. ``vouched[table]`` holds the primary keys a
    statement routed by the organization predicate named (``"t"."id" = 5`` beside
    ``"t"."organization_id" = 1``), or that an earlier scoped read of that table could have returned
    (its row is in one of the actor's organizations, looked up when the key is used)."""

    def __init__(self, inv: Inventory, actor_orgs: set[int]) -> None:
        self.inv = inv
        self.actor_orgs = actor_orgs
        self.vouched: dict[str, set[int]] = {}
        self.routed_tables: set[str] = set()
        self.reached_tables: set[str] = set()  # read routed, anchored or keyed earlier
        self.foreign_orgs: list[tuple[int, str, set[int]]] = []

    # The database is only asked "is this key in one of the actor's organizations?".
    def _in_actor_org(self, table: str, keys: set[int]) -> bool:
        chain = self.inv.path_to_org(table)
        sql = f'SELECT COUNT(*) FROM "{chain[0]}" t0'  # noqa: S608 - names from the model metadata
        for n in range(1, len(chain)):
            column = self.inv.through[chain[n - 1]][0].column
            sql += f' JOIN "{chain[n]}" t{n} ON t{n - 1}."{column}" = t{n}."id"'
        last = len(chain) - 1
        marks = ", ".join(["%s"] * len(keys))
        orgs = ", ".join(["%s"] * len(self.actor_orgs))
        sql += f' WHERE t0."id" IN ({marks}) AND t{last}."{ORG_COLUMN}" IN ({orgs})'
        with connection.cursor() as cursor:
            cursor.execute(sql, [*sorted(keys), *sorted(self.actor_orgs)])
            (found,) = cursor.fetchone()
        return bool(found == len(keys))

    def _key_vouched(self, table: str, keys: set[int]) -> bool:
        if not keys or table not in self.inv.tenant:
            return False
        if keys <= self.vouched.get(table, set()):
            return True
        if table in self.reached_tables and self._in_actor_org(table, keys):
            self.vouched.setdefault(table, set()).update(keys)
            return True
        return False

    def _level(self, sql: str, subs: list[str], every: list[Scope]) -> Scope | None:  # noqa: C901 - one pass per kind of tie, in order
        """Scopes the table occurrences of one SELECT level (its subqueries first), adds them to
        ``every``, and returns the level's first occurrence (what a subquery selects from)."""
        sub_first: dict[int, Scope | None] = {}
        for n in map(int, re.findall(r"__SUB(\d+)__", sql)):
            sub_first[n] = self._level(subs[n], subs, every)
        scopes: dict[str, Scope] = {}
        for table, alias in _TABLE_REF.findall(sql):
            scopes[alias or table] = Scope(table, alias or table)
        refs = {key: s for key, s in scopes.items()}

        def ref(quoted: str, alias: str) -> Scope | None:
            return refs.get(alias or quoted)

        literals: list[tuple[Scope, str, set[int]]] = []
        for quoted, alias, column, values in _EQ_LITERAL.findall(sql):
            s = ref(quoted, alias)
            if s is not None:
                literals.append((s, column, _ints(values)))
        for s, column, values in literals:
            if column == ORG_COLUMN and s.table in self.inv.direct:
                s.how, s.orgs = "org", s.orgs | values
        edges = [(ref(q1, a1), c1, ref(q2, a2), c2) for q1, a1, c1, q2, a2, c2 in _EQ_REFS.findall(sql)]
        # Routed by a join on the organization column, to a fixpoint.
        changed = True
        while changed:
            changed = False
            for left, c1, right, c2 in edges:
                if left is None or right is None or not (c1 == c2 == ORG_COLUMN):
                    continue
                for a, b in ((left, right), (right, left)):
                    if b.how in ("org", "org-join") and not a.how:
                        a.how, changed = "org-join", True
        routed = {s.table for s in scopes.values() if s.how in ("org", "org-join")}
        for s, column, values in literals:  # keys named beside the organization predicate
            if column == "id" and s.how in ("org", "org-join"):
                self.vouched.setdefault(s.table, set()).update(values)
        # Anchored: a foreign key (or the primary key) equal to a vouched key, to a subquery that is
        # itself scoped, or joined to a parent occurrence that is scoped.
        for s, column, values in literals:
            if s.how:
                continue
            target = s.table if column == "id" else self._parent_of(s.table, column)
            if target and self._key_vouched(target, values):
                s.how = "key"
        for quoted, alias, column, n in _IN_SUB.findall(sql):
            s = ref(quoted, alias)
            first = sub_first.get(int(n))
            if s is None or s.how or first is None or not first.how:
                continue
            if (column == "id" and first.table == s.table) or self._parent_of(s.table, column) == first.table:
                s.how = "subquery"
        changed = True
        while changed:  # joined by a foreign key to an occurrence already tied, either way round
            changed = False
            for left, c1, right, c2 in edges:
                if left is None or right is None:
                    continue
                for child, cc, parent, pc in ((left, c1, right, c2), (right, c2, left, c1)):
                    if pc != "id" or self._parent_of(child.table, cc) != parent.table:
                        continue
                    if parent.how and not child.how:
                        child.how, changed = "parent-join", True
                    elif child.how and not parent.how:
                        parent.how, changed = "child-join", True
        self.routed_tables |= routed
        self.reached_tables |= {s.table for s in scopes.values() if s.how}
        every += scopes.values()
        return next(iter(scopes.values()), None)

    def _parent_of(self, table: str, column: str) -> str:
        for p in self.inv.through.get(table, []):
            if p.column == column:
                return p.table
        for model in apps.get_models():
            if model._meta.db_table == table:
                for f in model._meta.concrete_fields:
                    if f.is_relation and f.column == column:
                        return str(f.related_model._meta.db_table)  # type: ignore[union-attr]
        return ""

    def statement(self, index: int, sql: str, origin: str = "") -> list[Finding]:
        head = sql.lstrip().split(None, 1)[0].upper() if sql.strip() else ""
        if head != "SELECT":
            return []  # writes: see the test's docstring
        flat, subs = _split_subqueries(sql)
        every: list[Scope] = []
        self._level(flat, subs, every)
        findings = []
        for s in every:
            if s.table not in self.inv.tenant:
                continue
            if s.orgs and not s.orgs <= self.actor_orgs:
                self.foreign_orgs.append((index, s.table, s.orgs))
            if s.how in ("org", "org-join"):
                verdict = "routed"
            elif s.how and s.table in self.inv.through:
                verdict = "anchored"
            elif s.how:
                verdict = "keyed"
            else:
                verdict = "unscoped"
            findings.append(Finding(index, s.table, verdict, sql, origin))
        return findings


def check(inv: Inventory, actor_orgs: set[int], statements: Iterable[tuple[str, str]]) -> list[Finding]:
    checker = Checker(inv, actor_orgs)
    findings: list[Finding] = []
    for index, (sql, origin) in enumerate(statements):
        findings += checker.statement(index, sql, origin)
    if checker.foreign_orgs:
        findings += [
            Finding(index, table, f"another organization {sorted(orgs)}", "")
            for index, table, orgs in checker.foreign_orgs
        ]
    return findings


if __name__ == "__main__":
    sys.path.insert(0, "src")
    os.environ.setdefault("KAPSTONE_ENV", "test")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kapstone.settings")
    django.setup()
    inv = inventory()
    print(inv.figures())
    for table, nullable in sorted(inv.direct.items()):
        print(f"direct     {table}{'  (nullable)' if nullable else ''}")
    for table in sorted(inv.through):
        print(f"through    {table}  ->  {' -> '.join(inv.path_to_org(table)[1:])}")
    for table in inv.reference:
        print(f"reference  {table}")
    for table, column in sorted(inv.other_org_columns.items()):
        print(f"also       {table}.{column}")
