"""Where a booking's time goes: the real booking view and the bare INSERT view in one process.

Run by hand, never in CI:

    .venv/bin/python bench/booking_profile.py [--requests 400] [--block 25] [--parts]
        [--profile real|bare [--profile-only apps.appointments.services._insert]]

Same database seed and settings as bench/booking_throughput.py (database
`bench_booking_profile` on 127.0.0.1, dropped at the end; tasks queued by the bookings go
to the `bench_booking` list in REDIS_URL and are deleted). Django's test client (CSRF checks
on, one logged-in patient, form-encoded bodies as the throughput bench's clients send) posts
to both views in alternating blocks; the script prints, per request of each, the median CPU
time of this process (Django, psycopg, the task publish), the CPU the PostgreSQL backend
serving it used (/proc of that backend, Linux only) and the wall time. `--parts` then times
the booking's steps (CPU of this process); `--profile real` (or `bare`) runs cProfile over
that many requests of one view, or only inside one function with `--profile-only`.
Statements per request are counted with a connection wrapper.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from datetime import time as clock
from pathlib import Path
from urllib.parse import urlencode, urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import booking_throughput as bt  # noqa: E402

FORM = "application/x-www-form-urlencoded"  # what the throughput bench's clients send


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--server", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--database", default="bench_booking_profile")
    parser.add_argument("--redis-url", default=os.environ.get("REDIS_URL",
                                                              "redis://127.0.0.1:6379/11"))
    parser.add_argument("--requests", type=int, default=400, help="per view, timed")
    parser.add_argument("--block", type=int, default=25)
    parser.add_argument("--profile", choices=("real", "bare"), default=None)
    parser.add_argument("--profile-only", default=None,
                        help="with --profile real: profile only inside this dotted function, "
                             "e.g. apps.appointments.services._insert")
    parser.add_argument("--top", type=int, default=45)
    parser.add_argument("--parts", action="store_true",
                        help="then time the booking's steps (CPU of this process) over --requests")
    args = parser.parse_args()
    for url in (args.server, args.redis_url):
        if urlsplit(url).hostname not in bt.LOOPBACK:
            parser.error(f"loopback only: {url}")

    database_url = f"{args.server.rstrip('/')}/{args.database}"
    env = bt.server_environment(database_url, args.redis_url)
    os.environ.update({k: env[k] for k in (
        "DJANGO_SETTINGS_MODULE", "DATABASE_URL", "REDIS_URL", "DEBUG", "LOG_LEVEL",
        "ALLOWED_HOSTS", "SESSION_COOKIE_SECURE", "SECRET_KEY", "PHI_ENCRYPTION_KEY",
        "PHI_BLIND_INDEX_KEY", "AUDIT_CHAIN_KEY")})
    os.environ.pop("HEALTHLINK_TESTING", None)
    bt.recreate_database(args.server, args.database)
    try:
        import subprocess

        subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v0"],
                       cwd=ROOT, env=env, check=True)
        import django

        django.setup()
        run(args)
    finally:
        bt.clear_queue(args.redis_url)
        from django.db import connections

        connections.close_all()
        bt.drop_database(args.server, args.database)
    return 0


def run(args: argparse.Namespace) -> None:
    from django.db import connection
    from django.test import Client

    cast = bt.seed(4)
    client = Client(enforce_csrf_checks=True, HTTP_HOST=bt.HOST)
    client.cookies["sessionid"] = cast.sessions[0]
    doctor = cast.own_doctors[0]
    page = client.get(f"/appointments/book/{doctor}/")
    token = bt.TOKEN.search(page.content.decode())
    if token is None:
        raise RuntimeError("no CSRF token on the booking page: has the form changed?")
    csrf = token.group(1)

    first = datetime.combine(datetime.now(UTC).date() + timedelta(days=2), clock(0, 0),
                             tzinfo=UTC)
    real_slots = (first + n * bt.SLOT for n in range(10**6))
    bare_slots = (first + n * bt.SLOT for n in range(10**6))
    statements = [0]

    def count(execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        statements[0] += 1
        return execute(sql, params, many, context)

    def real_once() -> None:
        path, data = bt.booking_job(doctor, next(real_slots))
        response = client.post(path, urlencode({**data, "csrfmiddlewaretoken": csrf}),
                               content_type=FORM)
        if response.status_code != 302:
            raise RuntimeError(f"booking answered {response.status_code}, not 302")
        client.cookies.pop("messages", None)

    def bare_once() -> None:
        response = client.post("/bench/bare-insert/", urlencode({
            "patient": str(cast.patients[1]), "doctor": str(cast.bare_doctors[0]),
            "scheduled_at": next(bare_slots).isoformat(), "csrfmiddlewaretoken": csrf}),
            content_type=FORM)
        if response.status_code != 201:
            raise RuntimeError(f"bare INSERT answered {response.status_code}, not 201")

    views = {"bare": bare_once, "real": real_once}
    for once in views.values():  # warm: imports, templates, connections
        for _ in range(20):
            once()
    for label, once in views.items():
        with connection.execute_wrapper(count):
            statements[0] = 0
            once()
        print(f"{label}: {statements[0]} statements per request (BEGIN/COMMIT not counted)")

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (backend,) = cursor.fetchone()
    ticks = os.sysconf("SC_CLK_TCK")

    def backend_cpu() -> float:
        """CPU seconds the PostgreSQL backend serving this process has used (Linux /proc)."""
        fields = Path(f"/proc/{backend}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / ticks

    cpu: dict[str, list[float]] = {"bare": [], "real": []}
    wall: dict[str, list[float]] = {"bare": [], "real": []}
    database: dict[str, float] = {"bare": 0.0, "real": 0.0}
    done = 0
    while done < args.requests:
        for label, once in views.items():
            c0, w0, d0 = time.process_time(), time.perf_counter(), backend_cpu()
            for _ in range(args.block):
                once()
            cpu[label].append((time.process_time() - c0) / args.block * 1000)
            wall[label].append((time.perf_counter() - w0) / args.block * 1000)
            database[label] += backend_cpu() - d0
        done += args.block
    total = {}
    for label in views:
        db_ms = database[label] / done * 1000
        total[label] = statistics.median(cpu[label]) + db_ms
        print(f"{label}: cpu median {statistics.median(cpu[label]):.2f} ms "
              f"(min {min(cpu[label]):.2f}), wall median {statistics.median(wall[label]):.2f} ms "
              f"(min {min(wall[label]):.2f}), PostgreSQL backend cpu {db_ms:.2f} ms "
              f"per request over {done}")
    python_ratio = statistics.median(cpu["bare"]) / statistics.median(cpu["real"])
    print(f"bare/real: python cpu {python_ratio:.2f}"
          f", python + PostgreSQL cpu {total['bare'] / total['real']:.2f}"
          f", wall {statistics.median(wall['bare']) / statistics.median(wall['real']):.2f}")

    if args.parts:
        parts(real_once, args.requests)

    if args.profile:
        once = views[args.profile]
        profiler = cProfile.Profile()
        if args.profile_only:
            import importlib

            module_name, _, name = args.profile_only.rpartition(".")
            module = importlib.import_module(module_name)
            original = getattr(module, name)

            def profiled(*a: object, **k: object) -> object:
                return profiler.runcall(original, *a, **k)

            setattr(module, name, profiled)
            for _ in range(args.requests):
                once()
            setattr(module, name, original)
        else:
            profiler.enable()
            for _ in range(args.requests):
                once()
            profiler.disable()
        for order in ("tottime", "cumulative"):
            out = io.StringIO()
            pstats.Stats(profiler, stream=out).sort_stats(order).print_stats(args.top)
            print(out.getvalue())


def parts(real_once: Callable[[], None], requests: int) -> None:
    """CPU of this process in each step of a booking, by wrapping the step's function."""
    from django.contrib import messages
    from django.contrib.messages.middleware import MessageMiddleware
    from django.db import transaction

    from apps.accounts.middleware import SessionRevocationMiddleware, UserTimezoneMiddleware
    from apps.appointments import availability, services, views
    from apps.core.htmx import HtmxLoginRedirectMiddleware
    from apps.core.middleware import ServiceUnavailableMiddleware

    spent: dict[str, float] = {}
    patched: list[tuple[object, str, object]] = []

    def wrap(owner: object, name: str, label: str) -> None:
        original = getattr(owner, name)

        def timed(*args: object, **kwargs: object) -> object:
            began = time.process_time()
            try:
                return original(*args, **kwargs)
            finally:
                spent[label] = spent.get(label, 0.0) + time.process_time() - began

        patched.append((owner, name, original))
        setattr(owner, name, timed)

    wrap(availability, "bookable_doctor_get", "view: doctor's row")
    wrap(views.BookingForm, "is_valid", "view: form validated")
    wrap(views, "BookingForm", "view: form built")
    wrap(services, "appointment_book", "appointment_book (all of it)")
    wrap(services, "_check", "  rules (_check, with both reads)")
    wrap(availability, "booking_facts", "    booking facts")
    wrap(services, "_insert", "  row and history row")
    wrap(transaction.Atomic, "__exit__", "  commit (with on-commit hooks)")
    wrap(messages, "success", "view: message")
    wrap(views, "redirect", "view: redirect")
    wrap(views, "doctor_facilities", "view: facilities queryset")
    wrap(views.selectors, "user_zone", "view: time zone")
    wrap(MessageMiddleware, "process_response", "messages stored (response)")
    # Our own middlewares, each with everything inside it (settings.MIDDLEWARE order): one's
    # own cost is its figure minus the next one's (simple_history's sits between the time
    # zone's and the outage page's). The session revocation check loads request.user.
    wrap(SessionRevocationMiddleware, "__call__", "mw: session revocation (+ inner)")
    wrap(UserTimezoneMiddleware, "__call__", "mw: user time zone (+ inner)")
    wrap(ServiceUnavailableMiddleware, "__call__", "mw: outage page (+ inner)")
    wrap(HtmxLoginRedirectMiddleware, "__call__", "mw: htmx login redirect (+ inner)")
    total = time.process_time()
    try:
        for _ in range(requests):
            real_once()
    finally:
        total = time.process_time() - total
        for owner, name, original in reversed(patched):
            setattr(owner, name, original)
    print(f"booking steps, CPU of this process per request over {requests} "
          f"(whole request {total / requests * 1000:.2f} ms):")
    for label, seconds in spent.items():
        print(f"  {label:<40} {seconds / requests * 1000:6.3f} ms")


if __name__ == "__main__":
    sys.exit(main())
