"""A throwaway PostgreSQL cluster for tests: initdb into /tmp, start on a free port, remove at the end.

initdb and postgres refuse to run as root, and our machines run everything as root, so as root the cluster
belongs to an unprivileged system user (created on first use) and every server command runs under
`runuser`. Clients (psql, the code under test) connect over TCP to 127.0.0.1 with trust auth as `postgres`.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from maskpipe.extract.postgres import pg_bindir_candidates

PG_USER = "maskpipe_pg"
# Members of this role must send a password (scram); everyone else is trusted. Lets tests exercise
# "bad credentials" without making every other connection carry a password.
PASSWORD_ROLE = "maskpipe_pw_required"


class PgUnavailable(RuntimeError):
    """No PostgreSQL server binaries on this machine (tests that need them are skipped)."""


def find_bindir() -> Path:
    """Where initdb/pg_ctl/postgres live: the first of maskpipe's PostgreSQL binary folders holding all four."""
    candidates = pg_bindir_candidates("initdb")
    for cand in candidates:
        if all((cand / tool).is_file() for tool in ("initdb", "pg_ctl", "postgres", "psql")):
            return cand
    raise PgUnavailable(
        "no PostgreSQL server binaries (initdb, pg_ctl, postgres) found via `pg_config --bindir`, PATH or "
        "/usr/lib/postgresql/*/bin; install them with `apt-get install postgresql`"
    )


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _ensure_system_user(name: str) -> None:
    try:
        pwd.getpwnam(name)
        return
    except KeyError:
        pass
    proc = subprocess.run(
        ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", name],
        capture_output=True,
        text=True,
    )
    # Exit code 9: another process created it meanwhile (parallel test sessions).
    if proc.returncode not in (0, 9):
        raise PgUnavailable(f"useradd {name} failed (exit {proc.returncode}): {proc.stderr.strip()}")


_PREFIX = "maskpipe-pg-"
_OWNER = "owner.pid"  # the pid of the test session that started the cluster


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def reap_orphans(bindir: Path) -> None:
    """Stop and remove clusters whose test session died without cleaning up (killed -9, OOM). Only
    folders this module created (they carry owner.pid) and whose owner is gone are touched."""
    for base in Path("/tmp").glob(f"{_PREFIX}*"):
        owner = base / _OWNER
        try:
            pid = int(owner.read_text().strip())
        except (OSError, ValueError):
            continue
        if _alive(pid):
            continue
        data = base / "data"
        if (data / "postmaster.pid").exists():
            cmd = [str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"]
            if os.geteuid() == 0:
                cmd = ["runuser", "-u", PG_USER, "--", *cmd]
            subprocess.run(cmd, capture_output=True, cwd="/tmp")
        shutil.rmtree(base, ignore_errors=True)


def quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


class PgCluster:
    """A running throwaway cluster. Start with `PgCluster.start()`, stop with `.stop()` (idempotent)."""

    def __init__(self, bindir: Path, base: Path, port: int, run_as: str | None) -> None:
        self.bindir = bindir
        self.base = base
        self.data = base / "data"
        self.sockets = base / "sock"
        self.log = base / "server.log"
        self.port = port
        self.run_as = run_as
        self.host = "127.0.0.1"
        self.user = "postgres"
        self.password_role = PASSWORD_ROLE  # GRANT it to a role to make that role need its password
        self._running = False

    # -- lifecycle -------------------------------------------------------------------------------------
    @classmethod
    def start(cls, bindir: Path | None = None, attempts: int = 3) -> PgCluster:
        bindir = bindir or find_bindir()
        reap_orphans(bindir)
        run_as = None
        if os.geteuid() == 0:
            _ensure_system_user(PG_USER)
            run_as = PG_USER
        base = Path(tempfile.mkdtemp(prefix=_PREFIX, dir="/tmp"))
        (base / _OWNER).write_text(str(os.getpid()))
        cluster = None
        try:
            base.chmod(0o755)  # the server user must traverse it; mkdtemp makes it 0700 root-owned
            (base / "sock").mkdir()
            if run_as:
                pw = pwd.getpwnam(run_as)
                for p in (base, base / "sock"):
                    os.chown(p, pw.pw_uid, pw.pw_gid)
            cluster = cls(bindir, base, free_port(), run_as)
            cluster._initdb()
            last: Exception | None = None
            for _ in range(attempts):
                try:
                    cluster._start_server()
                    break
                except subprocess.CalledProcessError as exc:  # most likely a port race: pick another
                    last = exc
                    cluster.port = free_port()
            else:
                log = cluster.log.read_text(errors="replace")[-2000:] if cluster.log.exists() else ""
                raise RuntimeError(f"PostgreSQL did not start:\n{log}") from last
            atexit.register(cluster.stop)  # also when the session ends without running finalizers
            cluster._bootstrap()
            return cluster
        except BaseException:
            if cluster is not None:
                cluster.stop()
            shutil.rmtree(base, ignore_errors=True)
            raise

    def _server_cmd(self, tool: str, *args: str) -> list[str]:
        cmd = [str(self.bindir / tool), *args]
        return ["runuser", "-u", self.run_as, "--", *cmd] if self.run_as else cmd

    def _run_server_tool(self, tool: str, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            self._server_cmd(tool, *args), cwd=self.base, capture_output=True, text=True, check=True
        )

    def _initdb(self) -> None:
        try:
            self._run_server_tool(
                "initdb",
                "-D",
                str(self.data),
                "-U",
                "postgres",
                "--auth=trust",
                "--encoding=UTF8",
                "--locale=C",
                "--no-sync",
                "--no-instructions",
            )
        except subprocess.CalledProcessError as exc:
            raise RuntimeError(f"initdb failed: {exc.stderr.strip()}") from exc
        conf = self.data / "postgresql.conf"
        with conf.open("a") as f:
            f.write(
                "\n# maskpipe test cluster: fast and throwaway\n"
                "listen_addresses = '127.0.0.1'\n"
                f"unix_socket_directories = '{self.sockets}'\n"
                "fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n"
                "max_connections = 50\nshared_buffers = 64MB\nmax_wal_size = 1GB\n"
                "log_min_messages = warning\nlog_statement = none\n"
            )
        (self.data / "pg_hba.conf").write_text(
            "local all all trust\n"
            f"host all +{PASSWORD_ROLE} 127.0.0.1/32 scram-sha-256\n"
            "host all all 127.0.0.1/32 trust\n"
        )

    def _start_server(self) -> None:
        self._run_server_tool(
            "pg_ctl",
            "-D",
            str(self.data),
            "-l",
            str(self.log),
            "-w",
            "-t",
            "60",
            "-o",
            f"-p {self.port}",
            "start",
        )
        self._running = True

    def _bootstrap(self) -> None:
        self.execute("postgres", f"CREATE ROLE {PASSWORD_ROLE} NOLOGIN;")

    def stop(self) -> None:
        if self._running:
            with contextlib.suppress(subprocess.CalledProcessError):
                self._run_server_tool("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
            self._running = False
        shutil.rmtree(self.base, ignore_errors=True)

    # -- client helpers --------------------------------------------------------------------------------
    def uri(self, dbname: str = "postgres", user: str | None = None, password: str | None = None) -> str:
        cred = user or self.user
        if password is not None:
            cred += f":{password}"
        return f"postgresql://{cred}@{self.host}:{self.port}/{dbname}"

    def psql(self, dbname: str, sql: str, *extra: str) -> str:
        """Run SQL (statements one by one, stop at the first error) with psql; return its stdout."""
        proc = subprocess.run(
            [
                str(self.bindir / "psql"),
                "-X",
                "-q",
                "-v",
                "ON_ERROR_STOP=1",
                "-d",
                self.uri(dbname),
                *extra,
                "-f",
                "-",
            ],
            input=sql,
            capture_output=True,
            text=True,
        )
        if proc.returncode != 0:
            raise RuntimeError(f"psql on {dbname} failed: {proc.stderr.strip()}")
        return proc.stdout

    def execute(self, dbname: str, sql: str) -> str:
        return self.psql(dbname, sql)

    def query(self, dbname: str, sql: str) -> list[tuple[str | None, ...]]:
        """Rows of one query as tuples of text (NULL -> None)."""
        null = "\x02NULL\x02"
        out = self.psql(
            dbname, sql, "-A", "-t", "-F", "\x1f", "-R", "\x1e", "-P", f"null={null}", "-P", "footer=off"
        )
        rows = [r for r in out.rstrip("\n").split("\x1e") if r != ""]
        return [tuple(None if v == null else v for v in r.split("\x1f")) for r in rows]

    def scalar(self, dbname: str, sql: str) -> str | None:
        rows = self.query(dbname, sql)
        return rows[0][0] if rows else None

    def create_database(self, name: str, template: str = "template0") -> None:
        self.execute("postgres", f"CREATE DATABASE {quote_ident(name)} TEMPLATE {quote_ident(template)};")

    def drop_database(self, name: str) -> None:
        self.execute("postgres", f"DROP DATABASE IF EXISTS {quote_ident(name)} WITH (FORCE);")

    def database_exists(self, name: str) -> bool:
        lit = "'" + name.replace("'", "''") + "'"
        return self.scalar("postgres", f"SELECT count(*) FROM pg_database WHERE datname = {lit}") == "1"

    def wait_ready(self, timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                self.execute("postgres", "SELECT 1;")
                return
            except RuntimeError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)


# A source schema full of traps for extract/load tests: names that need quoting, every awkward type,
# partitions, inheritance, a deferrable FK cycle, composite FKs, generated and identity columns, a sequence
# ahead of its table, a materialized view. Row values are fabricated.
TRAP_SCHEMA = r"""
CREATE SCHEMA "Sales Dept";
CREATE TYPE public.mood AS ENUM ('sad', 'ok', 'happy', 'très 😀');
CREATE DOMAIN public.posint AS integer CHECK (VALUE > 0);
CREATE DOMAIN public.email AS text CHECK (VALUE LIKE '%@%');
CREATE DOMAIN public.price AS numeric(12,2) CHECK (VALUE >= 0);
CREATE DOMAIN public.posint2 AS public.posint;

CREATE TABLE "Sales Dept"."Order" (
    "select" integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    "First Name" text NOT NULL,
    "last""name" text NOT NULL,
    full_name text GENERATED ALWAYS AS ("First Name" || ' ' || "last""name") STORED,
    "order" public.mood,
    contact public.email UNIQUE,
    total public.price
);
INSERT INTO "Sales Dept"."Order" ("First Name", "last""name", "order", contact, total) VALUES
    ('Ada', 'O''Lovelace', 'happy', 'ada@example.test', 12.50),
    ('Zoë', 'Ünal', 'très 😀', 'zoe@example.test', 0),
    ('李', '小龙', NULL, NULL, NULL);

CREATE TABLE public.types (
    id bigint PRIMARY KEY,
    n numeric, n2 numeric(12,2), u uuid, ip inet, net cidr, mac macaddr, j jsonb, js json, b bytea,
    ai integer[], at text[], a2 integer[], an numeric[], e public.mood, ae public.mood[], d public.posint2,
    tz timestamptz, ts timestamp, dt date, iv interval, tm time, ttz timetz, m money, x xml,
    r int4range, bo boolean, f4 real, f8 double precision, ch char(3), vc varchar(10), bits bit(4),
    t text, sm smallint,
    "Mixed ""Case"" col" integer[] DEFAULT '{1,NULL}'  -- a hostile name in a table that lands
);
INSERT INTO public.types VALUES
    (1, 'NaN', 12.34, 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '192.168.1.5/24', '10.0.0.0/8',
     '08:00:2b:01:02:03', '{"a": [1, 2.50, null], "é": "x"}', '{"z":1,  "a":2}', '\x00ff10',
     '{1,NULL,3}', '{"a",NULL,"c d","e\"f",""}', '{{1,2},{3,4}}', '{1.5,NaN,NULL}', 'happy', '{sad,NULL}', 5,
     'infinity', '-infinity', 'infinity', '1 year 2 mons 3 days 04:05:06.789', '23:59:59.999999',
     '12:00+05:30', 12.5, '<a>x</a>', '[1,5)', true, 'NaN', '-Infinity', 'ab', 'xyz', B'1010',
     E'tab\there\nnewline \\ backslash', -32768),
    (2, '123456789012345678901234567890.123456789012345678901', -0.01, NULL, '::1', '2001:db8::/32',
     NULL, 'null', '[]', '', '{}', '{}', '[0:1]={7,8}', '{}', 'sad', '{}', 1,
     '-infinity', 'infinity', '-infinity', '-1 days -00:00:01', '24:00:00', '00:00-08', -1, NULL, 'empty',
     false, 'Infinity', 1e308, NULL, 'é😀中', B'0000', '', 32767),
    (3, 'Infinity', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, '{-Infinity}', NULL,
     NULL, NULL, '2024-02-29 12:34:56.123456+00', '1900-01-01 00:00:00.000001', '0044-03-15 BC', NULL, NULL,
     NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
    (4, '-Infinity', 0, '00000000-0000-0000-0000-000000000000', NULL, NULL, NULL, '{}', NULL, NULL, NULL,
     NULL, NULL, NULL, 'ok', NULL, 2, '1970-01-01 00:00:00+00', '2000-01-01', '2000-01-01', '0', '00:00',
     NULL, NULL, NULL, NULL, NULL, 0, -0.0, NULL, NULL, NULL, NULL, 0);

CREATE TABLE public.events (
    id bigserial, at date NOT NULL, payload text, PRIMARY KEY (id, at)
) PARTITION BY RANGE (at);
CREATE TABLE public.events_2023 PARTITION OF public.events FOR VALUES FROM ('2023-01-01') TO ('2024-01-01');
CREATE TABLE public.events_2024 PARTITION OF public.events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE TABLE public.events_default PARTITION OF public.events DEFAULT;
INSERT INTO public.events (at, payload)
    SELECT DATE '2023-06-01' + (g % 700), 'p' || g FROM generate_series(1, 3000) g;
CREATE TABLE public.event_ref (
    id integer PRIMARY KEY, event_id bigint, event_at date,
    FOREIGN KEY (event_id, event_at) REFERENCES public.events
);
INSERT INTO public.event_ref SELECT g, id, at FROM public.events JOIN generate_series(1, 5) g ON id = g;

CREATE TABLE public.person (id integer PRIMARY KEY, team_id integer NOT NULL, name text);
CREATE TABLE public.team (
    id integer PRIMARY KEY,
    lead_id integer NOT NULL REFERENCES public.person DEFERRABLE INITIALLY DEFERRED
);
ALTER TABLE public.person ADD CONSTRAINT person_team_fk FOREIGN KEY (team_id) REFERENCES public.team
    DEFERRABLE INITIALLY DEFERRED;
BEGIN;
INSERT INTO public.person VALUES (1, 10, 'lead'), (2, 10, 'member');
INSERT INTO public.team VALUES (10, 1);
COMMIT;

CREATE TABLE public.line (
    order_id integer, line_no integer, qty integer CHECK (qty > 0), PRIMARY KEY (order_id, line_no)
);
CREATE TABLE public.line_note (
    id serial PRIMARY KEY, order_id integer, line_no integer, note text,
    FOREIGN KEY (order_id, line_no) REFERENCES public.line ON DELETE CASCADE
);
INSERT INTO public.line SELECT g / 3, g % 3, g + 1 FROM generate_series(0, 29) g;
INSERT INTO public.line_note (order_id, line_no, note) SELECT order_id, line_no, 'n' FROM public.line;
CREATE UNIQUE INDEX line_note_lower_note ON public.line_note (id, lower(note));
CREATE UNIQUE INDEX line_note_order_line ON public.line_note (order_id, line_no);

CREATE TABLE public.animal (name text);
CREATE TABLE public.dog (bark text) INHERITS (public.animal);
INSERT INTO public.animal VALUES ('generic');
INSERT INTO public.dog VALUES ('rex', 'woof'), ('fido', 'wuff');

CREATE SEQUENCE public.ticket_seq;
CREATE TABLE public.ticket (id integer PRIMARY KEY DEFAULT nextval('public.ticket_seq'), title text);
INSERT INTO public.ticket (title) SELECT 't' || g FROM generate_series(1, 20) g;
SELECT setval('public.ticket_seq', 1000);

CREATE TABLE public.bulk (id integer PRIMARY KEY, v text, at timestamptz);
INSERT INTO public.bulk SELECT g, md5(g::text), TIMESTAMPTZ '2020-01-01' + g * interval '1 minute'
    FROM generate_series(1, 20000) g;

-- numeric(p,s) travels as decimal128(p,s); tests add NaN rows (which only text can carry) themselves
CREATE TABLE public.amounts (
    id integer PRIMARY KEY, a numeric(12,2), b numeric(38,10), c numeric(5,0), d numeric(3,3)
);
INSERT INTO public.amounts
    SELECT g, (g - 6000) / 100.0, g * 1234567.0123456789, -g % 99999, (g % 1000) / 1000.0
      FROM generate_series(1, 12000) g;

CREATE FUNCTION public.touch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN NEW.title := coalesce(NEW.title, 'untitled'); RETURN NEW; END $$;
CREATE TRIGGER ticket_touch BEFORE INSERT ON public.ticket FOR EACH ROW EXECUTE FUNCTION public.touch();
CREATE INDEX types_lower_t ON public.types (lower(t));
CREATE VIEW public.order_names AS SELECT full_name FROM "Sales Dept"."Order";
CREATE MATERIALIZED VIEW public.ticket_count AS SELECT count(*) AS n FROM public.ticket;
COMMENT ON TABLE public.ticket IS 'tickets';
ANALYZE;
"""
