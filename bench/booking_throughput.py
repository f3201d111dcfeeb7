"""Booking throughput through the real booking view versus a bare one-INSERT Django view.

Run by hand, never in CI:

    .venv/bin/python bench/booking_throughput.py [--clients 32] [--per-client 40] [--workers N]

What it does, all on this machine (127.0.0.1 only):
1. creates its own database (bench_booking) on the PostgreSQL at 127.0.0.1:5432, migrates it,
   and adds one verified patient per client, doctors with remote (video) hours every day
   around the clock, and a logged-in session per patient;
2. starts one gunicorn (sync workers, --workers, default 2 x CPUs + 1) on a free loopback
   port with DJANGO_SETTINGS_MODULE=bench.booking_server: HealthLink's settings with DEBUG
   off, plus one bench-only URL, a view that does a single INSERT into appointments;
3. runs the same number of concurrent clients (threads, one session and patient each)
   against both, in alternating phases of the same run:
   - bare: POST /bench/bare-insert/ (CSRF and session middleware as usual, one INSERT);
   - real: POST to appointments:book, a free slot of the client's own doctor each time, so
     every request should book (HTTP 302);
   - contention: every client POSTs the same few slots of two doctors, to count refusals;
4. prints requests per second for each, the ratio real / bare (target >= 0.5), and the
   number of double bookings found in the database afterwards (doctor or patient overlaps
   among SCHEDULED appointments; must be 0); then stops gunicorn and drops the database.

The booking form's fields are read from the current code (apps/appointments/forms.py
BookingForm: slot as an ISO UTC instant, consultation_type, facility, week,
chief_complaint). Each request has a timeout and each phase a deadline.
"""

from __future__ import annotations

import argparse
import base64
import os
import re
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit

import psycopg
import requests

ROOT = Path(__file__).resolve().parent.parent
LOOPBACK = {"127.0.0.1", "localhost", "::1"}
HOST = "127.0.0.1"
SLOT = timedelta(minutes=30)
REQUEST_TIMEOUT = 60.0
BOOKED = re.compile(r"/appointments/(\d+)/$")
TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
WARM_UP = 3  # requests per client on each path before timing


# --- database and Django ----------------------------------------------------------------

def admin_dsn(server: str) -> str:
    return server.rstrip("/") + "/postgres"


def recreate_database(server: str, name: str) -> None:
    with psycopg.connect(admin_dsn(server), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def drop_database(server: str, name: str) -> None:
    with psycopg.connect(admin_dsn(server), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def server_environment(database_url: str, redis_url: str) -> dict[str, str]:
    """Production-like settings (DEBUG off) with throwaway keys made for this run."""
    env = dict(os.environ)
    env.pop("HEALTHLINK_TESTING", None)
    env.update({
        "DJANGO_SETTINGS_MODULE": "bench.booking_server",
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "DEBUG": "0",
        "LOG_LEVEL": "WARNING",
        "ALLOWED_HOSTS": HOST,
        "SESSION_COOKIE_SECURE": "0",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "PHI_ENCRYPTION_KEY": base64.b64encode(secrets.token_bytes(32)).decode(),
        "PHI_BLIND_INDEX_KEY": base64.b64encode(secrets.token_bytes(32)).decode(),
        "AUDIT_CHAIN_KEY": base64.b64encode(secrets.token_bytes(32)).decode(),
        "PYTHONPATH": str(ROOT),
    })
    return env


@dataclass(frozen=True)
class Cast:
    patients: list[int]
    sessions: list[str]
    own_doctors: list[int]      # one per client, for the uncontended real phases
    shared_doctors: list[int]   # for the contention phase
    bare_doctors: list[int]     # one per client, for the bare phases


def seed(clients: int) -> Cast:
    """Patients, doctors with round-the-clock video hours, and a session per patient."""
    from django.test import Client

    from apps.accounts.models import Role, User
    from apps.appointments.models import DoctorAvailability

    def person(role: str, n: int, **fields: object) -> User:
        user = User(email=f"{role.lower()}{n}@bench.healthlink.test", name=f"Bench {role} {n}",
                    role=role, is_verified=True, time_zone="UTC", **fields)
        user.set_unusable_password()
        user.save()
        return user

    patients = [person(Role.PATIENT, n) for n in range(clients)]
    doctors = [
        # A fee, as real doctors have: each booking also writes its PENDING payment.
        person(Role.DOCTOR, n, pmdc_verified=True, pmdc_license_number=f"BENCH-{n:05d}",
               specialty="General Physician", consultation_fee=Decimal("2500.00"))
        for n in range(2 * clients + 2)
    ]
    booked_doctors = doctors[: clients + 2]
    DoctorAvailability.objects.bulk_create(
        DoctorAvailability(doctor=doctor, facility=None, weekday=weekday,
                           start_time=clock(0, 0), end_time=clock(23, 59), slot_minutes=30,
                           time_zone="UTC")
        for doctor in booked_doctors for weekday in range(7)
    )
    sessions = []
    for patient in patients:
        browser = Client()
        browser.force_login(patient)
        sessions.append(browser.cookies["sessionid"].value)
    return Cast(
        patients=[p.pk for p in patients], sessions=sessions,
        own_doctors=[d.pk for d in doctors[:clients]],
        shared_doctors=[d.pk for d in doctors[clients: clients + 2]],
        bare_doctors=[d.pk for d in doctors[clients + 2:]],
    )


def double_bookings() -> tuple[int, int]:
    """Overlapping SCHEDULED pairs: (same doctor, same patient)."""
    from django.db import connection

    overlap = """
        SELECT count(*) FROM appointments a JOIN appointments b
          ON a.{who} = b.{who} AND a.id < b.id
        WHERE a.status = 'SCHEDULED' AND b.status = 'SCHEDULED'
          AND a.scheduled_at < b.scheduled_at + make_interval(mins => b.duration_minutes)
          AND b.scheduled_at < a.scheduled_at + make_interval(mins => a.duration_minutes)
    """
    counts = []
    with connection.cursor() as cursor:
        for who in ("doctor_id", "patient_id"):
            cursor.execute(overlap.format(who=who))
            counts.append(cursor.fetchone()[0])
    return counts[0], counts[1]


# --- the server ---------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        port: int = probe.getsockname()[1]
        return port


def start_gunicorn(
    env: dict[str, str], port: int, workers: int, log: Path
) -> subprocess.Popen[bytes]:
    """Launch gunicorn in a session of its own; its output goes to `log`, not to ours."""
    gunicorn = Path(sys.executable).parent / "gunicorn"
    command = [
        str(gunicorn), "healthlink.wsgi:application", "--bind", f"{HOST}:{port}",
        "--workers", str(workers), "--worker-class", "sync", "--timeout", "120",
        "--chdir", str(ROOT), "--log-level", "warning",
        "--logger-class", "healthlink.gunicorn_logging.RedactingLogger",
    ]
    with log.open("wb") as output:
        return subprocess.Popen(command, env=env, cwd=ROOT, start_new_session=True,  # noqa: S603
                                stdin=subprocess.DEVNULL, stdout=output,
                                stderr=subprocess.STDOUT)


def wait_until_serving(process: subprocess.Popen[bytes], port: int, log: Path) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {process.returncode}; see {log}")
        try:
            if requests.get(f"http://{HOST}:{port}/accounts/login/", timeout=30).ok:
                return
        except requests.RequestException:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"gunicorn did not answer within 120 s; see {log}")


def stop_gunicorn(process: subprocess.Popen[bytes]) -> None:
    """TERM the master this script started; KILL its own process group if it lingers."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


# --- clients ------------------------------------------------------------------------------

@dataclass
class Outcome:
    label: str
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    statuses: dict[str, int] = field(default_factory=dict)
    booked_ids: list[int] = field(default_factory=list)
    samples: list[str] = field(default_factory=list)

    def count(self, status: str) -> None:
        self.statuses[status] = self.statuses.get(status, 0) + 1

    @property
    def requests(self) -> int:
        return len(self.latencies)

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def describe(self) -> str:
        ordered = sorted(self.latencies) or [0.0]
        p95 = ordered[max(0, round(0.95 * len(ordered)) - 1)]
        statuses = ", ".join(f"{k} {v}" for k, v in sorted(self.statuses.items()))
        return (f"{self.label:<22} {self.requests:>5} requests in {self.seconds:6.2f} s = "
                f"{self.per_second:7.1f}/s  latency p50 {statistics.median(ordered):6.1f} "
                f"p95 {p95:6.1f} ms  [{statuses}]")


class BenchClient:
    """One patient's browser: their session cookie, a CSRF token from the booking page."""

    def __init__(self, base: str, session_key: str, booking_path: str) -> None:
        self.base = base
        self.http = requests.Session()
        self.http.cookies.set("sessionid", session_key)
        page = self.http.get(base + booking_path, timeout=REQUEST_TIMEOUT)
        page.raise_for_status()
        match = TOKEN.search(page.text)
        if match is None:
            raise RuntimeError("no CSRF token on the booking page: has the form changed?")
        self.token = match.group(1)

    def post(self, path: str, data: dict[str, str]) -> requests.Response:
        response = self.http.post(self.base + path, data={**data,
                                  "csrfmiddlewaretoken": self.token},
                                  allow_redirects=False, timeout=REQUEST_TIMEOUT)
        # The booking's "booked" message rides in a cookie until a page shows it; a browser
        # would show it on the next page. Dropping it keeps every request the same size.
        self.http.cookies.pop("messages", None)
        return response


Job = tuple[str, dict[str, str]]


def run_phase(
    label: str, clients: list[BenchClient], jobs: list[list[Job]],
    judge: Callable[[requests.Response, Outcome], None], deadline_s: float,
) -> Outcome:
    """Every client works through its own job list at once; the phase ends with the last."""
    outcome = Outcome(label)
    lock = threading.Lock()
    start = threading.Barrier(len(clients) + 1)
    stop_at = [0.0]

    def work(client: BenchClient, todo: list[Job]) -> None:
        start.wait()
        for path, data in todo:
            if time.monotonic() > stop_at[0]:
                with lock:
                    outcome.count("deadline")
                return
            began = time.perf_counter()
            try:
                response = client.post(path, data)
            except requests.RequestException as exc:
                with lock:
                    outcome.count(type(exc).__name__)
                continue
            elapsed = (time.perf_counter() - began) * 1000
            with lock:
                outcome.latencies.append(elapsed)
                judge(response, outcome)

    threads = [threading.Thread(target=work, args=(c, j), daemon=True)
               for c, j in zip(clients, jobs, strict=True)]
    for thread in threads:
        thread.start()
    stop_at[0] = time.monotonic() + deadline_s
    began = time.perf_counter()
    start.wait()
    for thread in threads:
        thread.join(timeout=deadline_s + REQUEST_TIMEOUT + 5)
    outcome.seconds = time.perf_counter() - began
    return outcome


def judge_bare(response: requests.Response, outcome: Outcome) -> None:
    outcome.count("201 inserted" if response.status_code == 201 else str(response.status_code))
    if response.status_code != 201 and len(outcome.samples) < 3:
        outcome.samples.append(response.text[:300])


def judge_booking(response: requests.Response, outcome: Outcome) -> None:
    location = response.headers.get("Location", "")
    booked = BOOKED.search(location) if response.status_code == 302 else None
    if booked:
        outcome.count("302 booked")
        outcome.booked_ids.append(int(booked.group(1)))
    elif response.status_code == 200 and 'class="form-errors"' in response.text:
        outcome.count("200 refused")
    else:
        outcome.count(f"{response.status_code} unexpected")
        if len(outcome.samples) < 3:
            outcome.samples.append(f"{response.status_code} {location} {response.text[:300]}")


def booking_job(doctor: int, start: datetime) -> Job:
    return (f"/appointments/book/{doctor}/", {
        "slot": start.astimezone(UTC).isoformat(),
        "consultation_type": "VIDEO_CALL",
        "facility": "",
        "week": "0",
        "chief_complaint": "Benchmark booking",
    })


def slots_on(day: date, count: int) -> list[datetime]:
    midnight = datetime.combine(day, clock(0, 0), tzinfo=UTC)
    return [midnight + n * SLOT for n in range(count)]


# --- main ---------------------------------------------------------------------------------

def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--server", default="postgres://postgres@127.0.0.1:5432",
                        help="PostgreSQL server URL, without a database name (loopback only)")
    parser.add_argument("--database", default="bench_booking")
    parser.add_argument("--redis-url", default=os.environ.get("REDIS_URL",
                                                              "redis://127.0.0.1:6379/11"))
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--per-client", type=int, default=40,
                        help="requests per client in each bare and real phase (max 40)")
    parser.add_argument("--rounds", type=int, default=2, help="bare/real phase pairs")
    parser.add_argument("--contested-slots", type=int, default=8, help="per shared doctor")
    parser.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1) + 1)
    parser.add_argument("--phase-deadline", type=float, default=300.0, help="seconds")
    parser.add_argument("--keep", action="store_true", help="do not drop the database")
    args = parser.parse_args()
    for url in (args.server, args.redis_url):
        if urlsplit(url).hostname not in LOOPBACK:
            parser.error(f"loopback only: {url}")
    if not 1 <= args.per_client <= 40 or not 1 <= args.rounds <= 5:
        parser.error("--per-client must be 1..40 and --rounds 1..5")

    database_url = f"{args.server.rstrip('/')}/{args.database}"
    env = server_environment(database_url, args.redis_url)
    os.environ.update({k: env[k] for k in (
        "DJANGO_SETTINGS_MODULE", "DATABASE_URL", "REDIS_URL", "DEBUG", "LOG_LEVEL",
        "ALLOWED_HOSTS", "SESSION_COOKIE_SECURE", "SECRET_KEY", "PHI_ENCRYPTION_KEY",
        "PHI_BLIND_INDEX_KEY", "AUDIT_CHAIN_KEY")})
    os.environ.pop("HEALTHLINK_TESTING", None)
    sys.path.insert(0, str(ROOT))

    recreate_database(args.server, args.database)
    server: subprocess.Popen[bytes] | None = None
    try:
        subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v0"],
                       cwd=ROOT, env=env, check=True)
        import django

        django.setup()
        cast = seed(args.clients)
        port = free_port()
        log = Path(tempfile.gettempdir()) / f"bench_booking_gunicorn_{port}.log"
        server = start_gunicorn(env, port, args.workers, log)
        wait_until_serving(server, port, log)
        base = f"http://{HOST}:{port}"
        clients = [BenchClient(base, session, f"/appointments/book/{doctor}/")
                   for session, doctor in zip(cast.sessions, cast.own_doctors, strict=True)]

        first_day = datetime.now(UTC).date() + timedelta(days=2)
        outcomes: list[Outcome] = []

        def bare(round_number: int) -> Outcome:
            day = first_day + timedelta(days=10 + round_number)
            jobs = [[("/bench/bare-insert/", {"patient": str(patient), "doctor": str(doctor),
                                              "scheduled_at": start.isoformat()})
                     for start in slots_on(day, args.per_client)]
                    for patient, doctor in zip(cast.patients, cast.bare_doctors, strict=True)]
            return run_phase(f"bare INSERT, round {round_number + 1}", clients, jobs,
                             judge_bare, args.phase_deadline)

        def real(round_number: int) -> Outcome:
            day = first_day + timedelta(days=round_number)
            jobs = [[booking_job(doctor, start) for start in slots_on(day, args.per_client)]
                    for doctor in cast.own_doctors]
            return run_phase(f"real booking, round {round_number + 1}", clients, jobs,
                             judge_booking, args.phase_deadline)

        # Warm every worker on both paths before anything is timed: a few bare INSERTs and
        # a few real bookings per client (own doctors, a day the timed phases never use),
        # so imports, templates, connections and caches are hot in all workers.
        warm_day = datetime.combine(first_day + timedelta(days=30), clock(0, 0), tzinfo=UTC)
        run_phase("warm-up", clients, [
            [("/bench/bare-insert/", {
                "patient": str(patient), "doctor": str(cast.bare_doctors[0]),
                "scheduled_at": (warm_day + (WARM_UP * n + k) * SLOT).isoformat()})
             for k in range(WARM_UP)]
            + [booking_job(doctor, warm_day + timedelta(days=3) + k * SLOT)
               for k in range(WARM_UP)]
            for n, (patient, doctor) in enumerate(zip(cast.patients, cast.own_doctors,
                                                      strict=True))
        ], lambda response, outcome: None, args.phase_deadline)
        for round_number in range(args.rounds):
            order = (bare, real) if round_number % 2 == 0 else (real, bare)
            outcomes.extend(phase(round_number) for phase in order)

        contested_day = first_day + timedelta(days=args.rounds + 1)
        contested = [booking_job(doctor, start) for start in slots_on(contested_day,
                                                                      args.contested_slots)
                     for doctor in cast.shared_doctors]
        contention = run_phase("contention (real view)", clients,
                               [list(contested) for _ in clients], judge_booking,
                               args.phase_deadline)

        doctor_overlaps, patient_overlaps = double_bookings()
        from apps.appointments.models import Appointment

        real_phases = [o for o in outcomes if o.label.startswith("real")]
        bare_phases = [o for o in outcomes if o.label.startswith("bare")]
        print(f"booking throughput: {args.clients} concurrent clients, gunicorn "
              f"{args.workers} sync workers on {HOST}, {os.cpu_count()} CPUs (shared with "
              "PostgreSQL, Redis and the clients)")
        for outcome in [*outcomes, contention]:
            print("  " + outcome.describe())
            for sample in outcome.samples:
                print("      sample: " + sample.replace("\n", " ")[:300])
        real_rate = sum(o.requests for o in real_phases) / sum(o.seconds for o in real_phases)
        bare_rate = sum(o.requests for o in bare_phases) / sum(o.seconds for o in bare_phases)
        ratio = real_rate / bare_rate
        print(f"  real booking {real_rate:.1f} req/s vs bare INSERT {bare_rate:.1f} req/s: "
              f"ratio {ratio:.2f} (target >= 0.5) {'OK' if ratio >= 0.5 else 'MISSED'}")
        booked_real = sum(o.statuses.get("302 booked", 0) for o in real_phases)
        print(f"  uncontended real bookings: {booked_real} booked of "
              f"{sum(o.requests for o in real_phases)} requests")
        contested_won = contention.statuses.get("302 booked", 0)
        midnight = datetime.combine(contested_day, clock(0, 0), tzinfo=UTC)
        in_db = Appointment.objects.filter(
            scheduled_at__gte=midnight, scheduled_at__lt=midnight + timedelta(days=1),
            status="SCHEDULED").count()
        print(f"  contention: {len(contested)} slots x {args.clients} clients: "
              f"{contested_won} booked (at most {len(contested)}), "
              f"{contention.statuses.get('200 refused', 0)} refused; "
              f"{in_db} SCHEDULED appointments in the database for those slots")
        print(f"  double bookings: {doctor_overlaps + patient_overlaps} "
              f"(doctor overlaps {doctor_overlaps}, patient overlaps {patient_overlaps}) "
              f"{'OK' if doctor_overlaps + patient_overlaps == 0 else 'FAILED'}")
    finally:
        if server is not None:
            stop_gunicorn(server)
        clear_queue(args.redis_url)
        if "django" in sys.modules:
            from django.db import connections

            connections.close_all()
        if not args.keep:
            drop_database(args.server, args.database)
    return 0


def clear_queue(redis_url: str) -> None:
    """Delete the deliveries the bookings queued (bench.booking_server's own queue)."""
    import redis

    client = redis.Redis.from_url(redis_url)
    try:
        client.delete("bench_booking")
    finally:
        client.close()


if __name__ == "__main__":
    sys.exit(main())
