"""HealthLink's URLs plus the bench's baseline: a Django view that does one INSERT.

Used only by the gunicorn that bench/booking_throughput.py starts (bench.booking_server).
"""

from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.urls import path
from django.views.decorators.http import require_POST

from healthlink.urls import urlpatterns as site_urlpatterns


@require_POST
def bare_insert(request: HttpRequest) -> HttpResponse:
    """One INSERT into appointments, behind the same middleware as the booking view."""
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO appointments (patient_id, doctor_id, scheduled_at, duration_minutes,"
            " status, consultation_type) VALUES (%s, %s, %s, 30, 'SCHEDULED', 'VIDEO_CALL')"
            " RETURNING id",
            [request.POST["patient"], request.POST["doctor"], request.POST["scheduled_at"]],
        )
        (appointment_id,) = cursor.fetchone()
    return HttpResponse(str(appointment_id), status=201, content_type="text/plain")


urlpatterns = [
    *site_urlpatterns,
    path("bench/bare-insert/", bare_insert, name="bench_bare_insert"),
]
