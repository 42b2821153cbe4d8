"""Web benchmark: the production command (gunicorn, 2 workers, PostgreSQL with the demo seeded)
against a bare Flask "hello" served the same way, driven from this machine.

    .venv/bin/python bench/web.py [--duration 10] [--connections 200]   (make bench-web)

Read pages are driven by wrk (C, epoll: it needs a fraction of the CPU a Python client would
take from the servers on this 2-core machine, so the ratio to bare Flask measures the app, not
the client); each route runs for `--duration` seconds at `--connections` connections. Writes
are driven by Python threads, one per district, because each of the 200 districts must sign
in, carry its own session and CSRF token, and run its own sequence (create, change, withdraw),
which wrk cannot script per connection. Afterwards the database is counted: nothing lost,
nothing duplicated. The deadline burst sends 200 opt-ins spread around a deadline that the
database's clock decides, and checks every write before it kept and every write after it
refused. Prints a table and writes it to bench/results/web-latest.md.

The servers bind to 127.0.0.1 only, and the run stops by itself; the benchmark database
(`consortium_bench`) is dropped and re-created at each run.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / ".venv" / "bin"
RESULTS = ROOT / "bench" / "results"
ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
DISTRICTS = 200
PASSWORD = "bench-district-password-2026"
DEMO_PASSWORD = "demo-password-2026"


# ------------------------------------------------------------------ the database and servers


def database_url(name: str) -> str:
    return f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"


def recreate_database(name: str) -> None:
    import psycopg

    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def app_env(name: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "DEMO_MODE")}
    env.update({"DATABASE_URL": database_url(name), "SECRET_KEY": "bench-secret-key-" + "x" * 32,
                **extra})
    return env


def seed(name: str) -> dict:
    """Schema, the demo, and the benchmark's own 200 districts and two solicitations."""
    flask = [str(BIN / "flask"), "--app", "wsgi"]
    subprocess.run([*flask, "db", "upgrade"], cwd=ROOT, env=app_env(name), check=True,
                   capture_output=True)
    subprocess.run([*flask, "seed-demo"], cwd=ROOT, env=app_env(name, DEMO_MODE="1"), check=True,
                   capture_output=True)
    out = subprocess.run([str(BIN / "python"), __file__, "_setup"], cwd=ROOT, env=app_env(name),
                         check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def setup_inside_app() -> None:
    """(Run by `seed` in a subprocess with the bench DATABASE_URL.) Prints the ids as JSON."""
    from datetime import timedelta

    from sqlalchemy import func, select

    from consortium import create_app
    from consortium.accounts.models import (
        Affiliation,
        DistrictProfile,
        Membership,
        Organisation,
        OrgKind,
        User,
    )
    from consortium.clock import now
    from consortium.demo.data import CONSORTIUM
    from consortium.extensions import db
    from consortium.procurement.models import OptIn, Solicitation, SolicitationStatus
    from consortium.security import hash_password
    from consortium.transaction import atomic

    app = create_app()
    with app.app_context(), atomic():
        consortium = db.session.scalars(select(Organisation).filter_by(name=CONSORTIUM)).one()
        password_hash = hash_password(PASSWORD)  # one hash for all: 200 argon2 runs add nothing
        for n in range(DISTRICTS):
            org = Organisation(kind=OrgKind.district, name=f"Bench District {n:03d}",
                               slug=f"bench-district-{n:03d}")
            org.district_profile = DistrictProfile(state="IL", enrollment=1_000 + n, schools=3,
                                                   broadband_mbps=500, locale="rural")
            user = User(name=f"Bench Officer {n:03d}", email=f"bench{n:03d}@district.example",
                        password_hash=password_hash)
            db.session.add_all([org, user, Membership(user=user, organisation=org, role="admin"),
                                Affiliation(consortium=consortium, member=org, status="verified",
                                            decided_at=now())])
        at = now()
        solicitations = {}
        for key, title in (("writes", "Bench: opt-in burst"), ("deadline", "Bench: deadline burst")):
            s = Solicitation(consortium=consortium, title=title, category="Literacy",
                             requirements={}, opt_in_deadline=at + timedelta(days=7),
                             bid_deadline=at + timedelta(days=14), policy={},
                             status=SolicitationStatus.open, published_at=at)
            db.session.add(s)
            db.session.flush()
            solicitations[key] = s.id
        # Signed-in sessions for the bench districts, signed with the app's own key (the bench
        # runs the server, so it holds the key): 200 argon2 sign-ins would take minutes here
        # and measure the password hash, which the sign-in limits already bound.
        db.session.flush()
        signer = app.session_interface.get_signing_serializer(app)
        users = db.session.scalars(select(User).where(User.email.like("bench%@district.example"))
                                   .order_by(User.email)).all()
        sessions = [signer.dumps({"_user_id": u.get_id(), "_fresh": True}) for u in users]
        busiest = db.session.execute(
            select(OptIn.solicitation_id, func.count())
            .join(Solicitation, Solicitation.id == OptIn.solicitation_id)
            .where(Solicitation.status == SolicitationStatus.open,
                   Solicitation.opt_in_deadline > at, Solicitation.id.not_in(solicitations.values()))
            .group_by(OptIn.solicitation_id).order_by(func.count().desc())
        ).first()
    print(json.dumps({**solicitations, "page": busiest[0], "page_opt_ins": busiest[1],
                      "sessions": sessions}))


@dataclass
class Server:
    name: str
    port: int
    process: subprocess.Popen

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()


def start(name: str, module: str, port: int, env: dict[str, str]) -> Server:
    # The README's production command, with 2 workers, bound to the loopback only.
    command = [str(BIN / "gunicorn"), "--workers", "2", "--bind", f"127.0.0.1:{port}", module]
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/")
            conn.getresponse().read()
            return Server(name, port, process)
        except OSError:
            time.sleep(0.3)
    process.kill()
    raise RuntimeError(f"{name} did not start on port {port}")


# ------------------------------------------------------------------ an HTTP client with a session


class Browser:
    """One person's session: cookies and the CSRF token, on a keep-alive connection."""

    def __init__(self, port: int, address: str) -> None:
        self.port, self.address = port, address  # X-Forwarded-For: the app trusts one proxy
        self.cookies: dict[str, str] = {}
        self.csrf = ""
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

    def request(self, method: str, path: str, form: dict | None = None) -> tuple[int, str]:
        headers = {"X-Forwarded-For": self.address, "Cookie": self.cookie_header()}
        body = None
        if form is not None:
            body = urlencode({**form, "csrf_token": self.csrf})
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        for attempt in range(2):
            try:
                self.conn.request(method, path, body=body, headers=headers)
                response = self.conn.getresponse()
                text = response.read().decode()
                break
            except (http.client.HTTPException, OSError):
                self.conn.close()
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
                if attempt:
                    raise
        for header in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = header.partition("=")
            self.cookies[name] = rest.split(";", 1)[0]
        field = re.search(r'<input[^>]*name="csrf_token"[^>]*>', text)
        token = re.search(r'value="([^"]+)"', field.group(0)) if field else None
        if token:
            self.csrf = token.group(1)
        return response.status, text

    def cookie_header(self) -> str:
        return "; ".join(f"{k}={v}" for k, v in self.cookies.items())

    def sign_in(self, email: str, password: str) -> None:
        self.request("GET", "/login")
        status, _ = self.request("POST", "/login", {"email": email, "password": password})
        if status != 302:
            raise RuntimeError(f"sign-in of {email} answered {status}")
        self.request("GET", "/")  # a fresh CSRF token for the new session


def in_threads(count: int, work) -> list:
    results: list = [None] * count
    barrier = threading.Barrier(count)

    def run(n: int) -> None:
        barrier.wait()
        results[n] = work(n)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    return results


# ------------------------------------------------------------------ measurements


@dataclass
class Row:
    route: str
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    errors: int
    note: str = ""
    ratio: float | None = None

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def wrk(route: str, url: str, duration: int, connections: int, cookie: str | None = None) -> Row:
    command = ["wrk", "-t2", f"-c{connections}", f"-d{duration}s", "--timeout", "5s",
               "-s", str(ROOT / "bench" / "wrk_report.lua"), url]
    if cookie:
        command[1:1] = ["-H", f"Cookie: {cookie}"]
    out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    data = json.loads(next(line for line in out.splitlines() if line.startswith("{")))
    errors = sum(data[k] for k in ("connect", "read", "write", "status", "timeout"))
    return Row(route, data["requests"], data["duration_us"] / 1e6, data["p50"] / 1000,
               data["p99"] / 1000, errors)


@dataclass
class Timed:
    status: int
    sent: float  # time.time() at send, to compare with the database's clock
    seconds: float
    body: str = field(default="", repr=False)


def timed(browser: Browser, method: str, path: str, form: dict | None = None) -> Timed:
    sent, start = time.time(), time.perf_counter()
    status, body = browser.request(method, path, form)
    return Timed(status, sent, time.perf_counter() - start, body)


def summarise(route: str, results: list[Timed], seconds: float, ok: set[int], note: str) -> Row:
    latencies = sorted(r.seconds * 1000 for r in results)
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
    errors = sum(r.status not in ok for r in results)
    return Row(route, len(results), seconds, statistics.median(latencies), p99, errors, note)


def write_burst(port: int, browsers: list[Browser], solicitation: int, name: str) -> list[Row]:
    """200 districts at once: create, then change, then withdraw; then count the database."""
    url = f"/solicitations/{solicitation}"
    rows = []
    for step, form in (("create", lambda n: {"quantity": 500 + n, "version": 0}),
                       ("change", lambda n: {"quantity": 600 + n, "version": 1}),
                       ("withdraw", lambda n: {"version": 2})):
        action = "withdraw" if step == "withdraw" else "opt-in"
        start = time.perf_counter()
        results = in_threads(len(browsers), lambda n, form=form, action=action: timed(
            browsers[n], "POST", f"{url}/{action}", form(n)))
        seconds = time.perf_counter() - start
        rows.append(summarise(f"opt-in writes: {step} (200 districts at once)", results, seconds,
                              {302}, ""))
    counts = count_opt_ins(name, solicitation)
    intact = counts == {"rows": DISTRICTS, "withdrawn_v3": DISTRICTS, "events": 3 * DISTRICTS}
    rows[-1].note = (f"database afterwards: {counts['rows']} rows, {counts['withdrawn_v3']} "
                     f"withdrawn at version 3, {counts['events']} audit events: "
                     + ("nothing lost or duplicated" if intact else "MISMATCH"))
    return rows


def count_opt_ins(name: str, solicitation: int) -> dict[str, int]:
    import psycopg

    with psycopg.connect(database_url(name).replace("+psycopg", "")) as conn:
        rows = conn.execute("SELECT count(*), count(*) FILTER (WHERE status = 'withdrawn' AND "
                            "version = 3) FROM opt_ins WHERE solicitation_id = %s",
                            (solicitation,)).fetchone()
        events = conn.execute(
            "SELECT count(*) FROM audit_events e JOIN opt_ins o ON e.object_type = 'opt_ins' "
            "AND e.object_id = o.id::text WHERE o.solicitation_id = %s", (solicitation,)).fetchone()
    return {"rows": rows[0], "withdrawn_v3": rows[1], "events": events[0]}


def deadline_burst(browsers: list[Browser], solicitation: int, name: str) -> Row:
    """200 opt-ins spread over 4 s around a deadline 2 s ahead by the database's clock."""
    import psycopg

    url = f"/solicitations/{solicitation}/opt-in"
    with psycopg.connect(database_url(name).replace("+psycopg", ""), autocommit=True) as conn:
        deadline = conn.execute(
            "UPDATE solicitations SET opt_in_deadline = clock_timestamp() + interval '2 seconds' "
            "WHERE id = %s RETURNING opt_in_deadline", (solicitation,)).fetchone()[0]
    spread = 4.0
    begin = time.time()

    def one(n: int) -> Timed:
        time.sleep(max(0.0, begin + spread * n / len(browsers) - time.time()))
        return timed(browsers[n], "POST", url, {"quantity": 700 + n, "version": 0})

    start = time.perf_counter()
    results = in_threads(len(browsers), one)
    seconds = time.perf_counter() - start
    cut = deadline.timestamp()
    kept = [r for r in results if r.status == 302]
    refused = [r for r in results if r.status == 409]
    answered_before = [r for r in results if r.sent + r.seconds < cut]
    sent_after = [r for r in results if r.sent > cut]
    with psycopg.connect(database_url(name).replace("+psycopg", "")) as conn:
        rows, late = conn.execute(
            "SELECT count(*), count(*) FILTER (WHERE updated_at >= %s) FROM opt_ins "
            "WHERE solicitation_id = %s", (deadline, solicitation)).fetchone()
        events = conn.execute(
            "SELECT count(*) FROM audit_events e JOIN opt_ins o ON e.object_type = 'opt_ins' "
            "AND e.object_id = o.id::text WHERE o.solicitation_id = %s", (solicitation,)).fetchone()[0]
    ok = (len(kept) == rows == events and late == 0 and len(kept) + len(refused) == len(results)
          and all(r.status == 302 for r in answered_before)
          and all(r.status == 409 for r in sent_after))
    note = (f"{len(kept)} kept, {len(refused)} refused (409); {rows} rows, {events} audit events, "
            f"{late} stamped after the deadline; every write answered before it kept, every one "
            f"sent after it refused: {'yes' if ok else 'NO'}")
    return summarise("deadline burst: 200 opt-ins around the deadline", results, seconds,
                     {302, 409}, note)


# ------------------------------------------------------------------ the run


def table(rows: list[Row], header: str) -> str:
    lines = [header, "",
             "| route | requests | req/s | p50 ms | p99 ms | errors | vs bare Flask | note |",
             "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        ratio = "" if r.ratio is None else f"{r.ratio:.2f}"
        lines.append(f"| {r.route} | {r.requests:,} | {r.rps:,.0f} | {r.p50_ms:.1f} | "
                     f"{r.p99_ms:.1f} | {r.errors} | {ratio} | {r.note} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds per read route")
    parser.add_argument("--connections", type=int, default=200)
    parser.add_argument("--database", default="consortium_bench")
    parser.add_argument("--port", type=int, default=8101)
    args = parser.parse_args()

    print(f"seeding {args.database} (demo + {DISTRICTS} bench districts) ...", flush=True)
    recreate_database(args.database)
    ids = seed(args.database)
    hello = start("bare Flask", "bench.hello:app", args.port + 1, app_env(args.database))
    app = start("consortium", "wsgi:app", args.port,
                app_env(args.database, FLASK_ENV="production", TRUSTED_PROXIES="1"))
    rows: list[Row] = []
    try:
        base = f"http://127.0.0.1:{args.port}"
        district, manager = Browser(args.port, "10.1.0.1"), Browser(args.port, "10.1.0.2")
        district.sign_in("district@prairieridge.example", DEMO_PASSWORD)
        manager.sign_in("manager@greatlakes.example", DEMO_PASSWORD)
        page = f"/solicitations/{ids['page']}"
        reads = [
            ("bare Flask hello", f"http://127.0.0.1:{args.port + 1}/", None),
            ("home (public)", f"{base}/", None),
            ("solicitations (public)", f"{base}/solicitations", None),
            ("one solicitation (public)", f"{base}{page}", None),
            ("one solicitation (signed-in district)", f"{base}{page}", district.cookie_header()),
            (f"opt-ins list (manager, {ids['page_opt_ins']} opt-ins)",
             f"{base}/manage{page}/opt-ins", manager.cookie_header()),
        ]
        for route, url, cookie in reads:
            print(f"wrk {route} ...", flush=True)
            rows.append(wrk(route, url, args.duration, args.connections, cookie))
        browsers = [Browser(args.port, f"10.2.{n // 250}.{n % 250 + 1}") for n in range(DISTRICTS)]
        for browser, cookie in zip(browsers, ids["sessions"], strict=True):
            browser.cookies["session"] = cookie
            browser.request("GET", f"/solicitations/{ids['writes']}")  # its CSRF token
            assert browser.csrf, "a bench district is not signed in"
        print("write burst ...", flush=True)
        rows += write_burst(args.port, browsers, ids["writes"], args.database)
        print("deadline burst ...", flush=True)
        rows.append(deadline_burst(browsers, ids["deadline"], args.database))
    finally:
        app.stop()
        hello.stop()
    bare = rows[0].rps
    for row in rows[1:]:
        row.ratio = row.rps / bare if bare else None
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    header = (f"Web benchmark, {when}: gunicorn --workers 2, PostgreSQL (demo seeded), "
              f"wrk -t2 -c{args.connections} -d{args.duration}s for reads; writes by "
              f"{DISTRICTS} Python client threads (one per district).")
    report = table(rows, header)
    print(report)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "web-latest.md").write_text(report)


if __name__ == "__main__":
    if sys.argv[1:] == ["_setup"]:
        setup_inside_app()
    else:
        main()
