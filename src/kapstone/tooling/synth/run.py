"""Running a load: the bulk sink of each database, progress, the report, and the raw-insert comparison."""

from __future__ import annotations

import re
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TextIO

from django.apps import apps
from django.db import connection as default_connection
from django.db import transaction
from django.db.backends.base.base import BaseDatabaseWrapper

from kapstone.outcomes.services import aggregate_from_states
from kapstone.tooling.synth.generator import Chunk, Generator, Ids, pipelined
from kapstone.tooling.synth.plan import Plan
from kapstone.tooling.synth.tables import ORDER, Table, model_tables

# --- sinks: the fastest bulk path of each database ------------------------------------------------


class Sink:
    """Writes chunks through the driver: SQLite executemany, PostgreSQL COPY FROM STDIN."""

    def __init__(self, conn: BaseDatabaseWrapper, tables: dict[str, Table], schema: str = "") -> None:
        self.conn, self.tables, self.schema = conn, tables, schema
        self.insert_seconds = 0.0

    def _name(self, table: Table) -> str:
        quote = self.conn.ops.quote_name
        return f"{quote(self.schema)}.{quote(table.name)}" if self.schema else quote(table.name)

    def write(self, chunk: Chunk) -> int:
        started = time.perf_counter()
        written = 0
        raw = self.conn.connection
        for key, rows in chunk:
            table = self.tables[key]
            cols = ", ".join(self.conn.ops.quote_name(c) for c in table.columns)
            if self.conn.vendor == "postgresql":
                with raw.cursor() as cur, cur.copy(f"COPY {self._name(table)} ({cols}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
            else:
                marks = ", ".join("?" * len(table.columns))
                sql = f"INSERT INTO {self._name(table)} ({cols}) VALUES ({marks})"  # noqa: S608 - our tables
                raw.executemany(sql, rows)
            written += len(rows)
        self.insert_seconds += time.perf_counter() - started
        return written


# --- running it -----------------------------------------------------------------------------------


@dataclass
class Report:
    rows: dict[str, int]
    seconds: float
    insert_seconds: float
    finish_seconds: float
    raw: dict[str, float] | None = None

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())

    @property
    def rows_per_s(self) -> float:
        return self.total_rows / self.seconds if self.seconds else 0.0


class Progress:
    def __init__(self, out: TextIO | None, total: int) -> None:
        self.out, self.total, self.done = out, max(1, total), 0
        self.started = time.perf_counter()
        self.last = 0.0
        self.tty = bool(out is not None and getattr(out, "isatty", lambda: False)())
        self.step = 0

    def add(self, n: int, rows: int) -> None:
        self.done += n
        if self.out is None:
            return
        now = time.perf_counter()
        pct = 100 * self.done / self.total
        if self.tty and now - self.last < 0.2 and self.done < self.total:
            return
        if not self.tty and pct < self.step and self.done < self.total:
            return
        self.step = int(pct // 10) * 10 + 10
        self.last = now
        took = now - self.started
        filled = int(30 * self.done / self.total)
        line = (
            f"synth [{'#' * filled}{'.' * (30 - filled)}] {pct:5.1f}%  {self.done:,}/{self.total:,} clients  "
            f"{rows:,} rows  {rows / took if took else 0:,.0f} rows/s"
        )
        self.out.write(("\r" + line) if self.tty else (line + "\n"))
        self.out.flush()

    def close(self) -> None:
        if self.out is not None and self.tty:
            self.out.write("\n")
            self.out.flush()


def _start_ids(conn: BaseDatabaseWrapper, tables: dict[str, Table], schema: str = "") -> Ids:
    ids = Ids()
    with conn.cursor() as cur:
        for key, table in tables.items():
            name = f"{schema}.{table.name}" if schema else table.name
            cur.execute(f"SELECT MAX(id) FROM {name}")  # noqa: S608 - our own table names
            ids.next[key] = int(cur.fetchone()[0] or 0) + 1
    return ids


def _tune(conn: BaseDatabaseWrapper) -> None:
    with conn.cursor() as cur:
        if conn.vendor == "sqlite":
            cur.execute("PRAGMA cache_size=-262144")  # 256 MiB for index maintenance during the load
        else:
            cur.execute("SET synchronous_commit TO off")  # a bulk load: durability at the end is enough
            cur.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
            if cur.fetchone()[0]:
                # Foreign-key triggers off for this session (superuser only): every key is generated
                # consistent, and the check per row would triple the cost of the load. Both sides of
                # the raw comparison run in this session, so the ratio compares like with like.
                cur.execute("SET session_replication_role = replica")


def load(
    plan: Plan,
    *,
    conn: BaseDatabaseWrapper | None = None,
    progress: TextIO | None = sys.stderr,
    schema: str = "",
    finish: bool = True,
    rows_per_transaction: int = 200_000,
) -> Report:
    """Generate and write the plan's rows; then reset sequences, build the cohort rows, ANALYZE
    (VACUUM ANALYZE on PostgreSQL)."""
    conn = conn or default_connection
    conn.ensure_connection()
    tables = model_tables()
    for table in tables.values():
        table.prepare(conn, plan.anchor_dt)
    organizations = apps.get_model("accounts", "Organization").objects.using(conn.alias)
    if not schema and organizations.filter(slug=f"synth-{plan.seed}-1").exists():
        raise ValueError(f"this database already holds synthetic data for seed {plan.seed}")
    _tune(conn)
    ids = _start_ids(conn, tables, schema)
    generator = Generator(plan, conn, ids, tables)
    sink = Sink(conn, tables, schema)
    bar = Progress(progress, plan.clients)
    started = time.perf_counter()
    written = 0
    pending = 0
    atomic = transaction.atomic(using=conn.alias)
    atomic.__enter__()
    try:
        for chunk in pipelined(generator.chunks()):
            n = sink.write(chunk)
            for key, rows in chunk:
                generator.counts[key] += len(rows)
            written += n
            pending += n
            bar.add(sum(len(r) for k, r in chunk if k == "client"), written)
            if pending >= rows_per_transaction:
                atomic.__exit__(None, None, None)
                atomic = transaction.atomic(using=conn.alias)
                atomic.__enter__()
                pending = 0
    except BaseException:
        atomic.__exit__(*sys.exc_info())
        raise
    atomic.__exit__(None, None, None)
    bar.close()
    seconds = time.perf_counter() - started
    finish_started = time.perf_counter()
    if finish:
        _finish(conn, tables, generator, plan)
    return Report(dict(generator.counts), seconds, sink.insert_seconds, time.perf_counter() - finish_started)


def _finish(conn: BaseDatabaseWrapper, tables: dict[str, Table], generator: Generator, plan: Plan) -> None:
    from django.core.management.color import no_style

    models_ = [t.model for t in tables.values()]
    with conn.cursor() as cur:
        for statement in conn.ops.sequence_reset_sql(no_style(), models_):
            cur.execute(statement)
    org_model = apps.get_model("accounts", "Organization")
    for org_id in (
        org_model.objects.using(conn.alias)
        .filter(slug__startswith=f"synth-{plan.seed}-")
        .values_list("pk", flat=True)
    ):
        aggregate_from_states(org_id)  # the application's own GROUP BY of the folded states
    with conn.cursor() as cur:
        if conn.vendor == "postgresql" and not conn.in_atomic_block:
            # After a bulk load PostgreSQL's visibility map is empty: until a VACUUM every index-only
            # scan visits the heap, and autovacuum (off on some hosts) would do it mid-benchmark.
            cur.execute("VACUUM (ANALYZE)")
        else:
            cur.execute("ANALYZE")


# --- the raw-insert comparison --------------------------------------------------------------------


def _scratch(conn: BaseDatabaseWrapper, tables: dict[str, Table]) -> tuple[str, Callable[[], None]]:
    """An empty copy of the tables (same columns and indexes) to time both paths on the same rows."""
    with conn.cursor() as cur:
        if conn.vendor == "postgresql":
            schema = "synth_raw"
            cur.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
            cur.execute(f"CREATE SCHEMA {schema}")
            for table in tables.values():
                cur.execute(f"CREATE TABLE {schema}.{table.name} (LIKE public.{table.name} INCLUDING ALL)")

            def drop() -> None:
                with conn.cursor() as c:
                    c.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")

            return schema, drop
        import tempfile

        path = tempfile.mktemp(prefix="kapstone-synth-raw-", suffix=".sqlite3")  # noqa: S306 - attached below
        cur.execute("ATTACH DATABASE %s AS synth_raw", [path])
        cur.execute("SELECT type, tbl_name, sql FROM main.sqlite_master WHERE sql IS NOT NULL")
        wanted = {t.name for t in tables.values()}
        statements = [row for row in cur.fetchall() if row[1] in wanted and row[0] in ("table", "index")]
        for _, _, sql in sorted(statements, key=lambda r: r[0] != "table"):
            cur.execute(re.sub(r"^CREATE (UNIQUE )?(TABLE|INDEX) ", lambda m: m.group(0) + "synth_raw.", sql))

        def detach() -> None:
            import os

            with conn.cursor() as c:
                c.execute("DETACH DATABASE synth_raw")
            for suffix in ("", "-wal", "-shm", "-journal"):
                if os.path.exists(path + suffix):
                    os.unlink(path + suffix)

        return "synth_raw", detach


def _truncate(conn: BaseDatabaseWrapper, tables: dict[str, Table], schema: str) -> None:
    with conn.cursor() as cur:
        for key in reversed(ORDER):
            cur.execute(f"DELETE FROM {schema}.{tables[key].name}")  # noqa: S608 - our own names


def compare_raw(
    plan: Plan, *, conn: BaseDatabaseWrapper | None = None, clients: int = 5000
) -> dict[str, float]:
    """Time the generator writing a sample (same shape, ``clients`` clients) against a raw insert of
    the same rows, pre-built in memory, through the same driver path, into an empty copy of the tables."""
    conn = conn or default_connection
    conn.ensure_connection()
    tables = model_tables()
    for table in tables.values():
        table.prepare(conn, plan.anchor_dt)
    sample = plan.scaled(min(clients, plan.clients))
    schema, drop = _scratch(conn, tables)
    try:
        # 1. The generator writing as it goes (what `kapstone synth` does).
        ids = Ids()
        generator = Generator(sample, conn, ids, tables)
        sink = Sink(conn, tables, schema)
        started = time.perf_counter()
        with transaction.atomic(using=conn.alias):
            rows = sum(sink.write(chunk) for chunk in pipelined(generator.chunks()))
        synth_seconds = time.perf_counter() - started
        _truncate(conn, tables, schema)
        # 2. The same rows, built first (not timed), then only inserted.
        built = list(Generator(sample, conn, Ids(), tables).chunks())
        sink = Sink(conn, tables, schema)
        started = time.perf_counter()
        with transaction.atomic(using=conn.alias):
            raw_rows = sum(sink.write(chunk) for chunk in built)
        raw_seconds = time.perf_counter() - started
    finally:
        drop()
    assert raw_rows == rows
    return {
        "rows": rows,
        "synth_rows_per_s": rows / synth_seconds,
        "raw_rows_per_s": rows / raw_seconds,
        "ratio": raw_seconds / synth_seconds,
    }


def describe(report: Report, plan: Plan, vendor: str) -> Sequence[str]:
    lines = [
        f"synth: {plan.clinicians:,} clinicians in {plan.org_count:,} organizations, "
        f"{plan.clients:,} clients, {plan.responses_per_client} responses per client "
        f"(seed {plan.seed}, {vendor})",
        "rows: " + ", ".join(f"{k} {v:,}" for k, v in report.rows.items() if v),
        f"loaded {report.total_rows:,} rows in {report.seconds:.1f} s = {report.rows_per_s:,.0f} rows/s "
        f"(driver time {report.insert_seconds:.1f} s, {100 * report.insert_seconds / report.seconds:.0f} %); "
        f"sequences, cohort rows and {'VACUUM ' if vendor == 'postgresql' else ''}ANALYZE "
        f"{report.finish_seconds:.1f} s",
    ]
    if report.raw:
        raw = report.raw
        lines.append(
            f"raw insert of the same {int(raw['rows']):,} sample rows through the driver: "
            f"{raw['raw_rows_per_s']:,.0f} rows/s; synth on them {raw['synth_rows_per_s']:,.0f} rows/s; "
            f"ratio synth/raw = {raw['ratio']:.2f} (goal >= 0.50)"
        )
    return lines
