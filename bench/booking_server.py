"""Settings for bench/booking_throughput.py's gunicorn: HealthLink's, plus one bench-only URL.

Selected with DJANGO_SETTINGS_MODULE=bench.booking_server in that server's environment only.
The bare view lives in bench/booking_server_urls.py and nowhere in the app.
"""

from healthlink.settings import *  # noqa: F403

ROOT_URLCONF = "bench.booking_server_urls"
# Notification deliveries queued by bookings go to a list of their own, which the bench
# deletes afterwards; no worker consumes it.
CELERY_TASK_DEFAULT_QUEUE = "bench_booking"
