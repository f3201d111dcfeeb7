"""Beat and a first join racing for one appointment make one room between them."""

from __future__ import annotations

import pytest

from apps.appointments.models import Appointment
from apps.video import services
from apps.video.janus import JanusClient, RoomSpec
from apps.video.models import VideoCall
from tests.concurrency import race
from tests.video.conftest import room_closes

pytestmark = pytest.mark.django_db(transaction=True)


class CountingClient(JanusClient):
    created: list[int]

    def __init__(self) -> None:
        super().__init__()
        self.created = []

    def room_create(self, spec: RoomSpec) -> None:
        super().room_create(spec)
        self.created.append(spec.room)


def test_two_first_joins_at_once_make_one_room(
    janus: JanusClient, video_appointment: Appointment
) -> None:
    client = CountingClient()

    results = race([
        lambda: services.video_room_ensure(appointment_id=video_appointment.pk, client=client)
        for _ in range(2)
    ])

    calls = [result for result in results if isinstance(result, VideoCall)]
    assert len(calls) == 2 and calls[0].pk == calls[1].pk
    assert len(client.created) == 1
    assert VideoCall.objects.count() == 1
    assert janus.room_exists(calls[0].room_number)
    services.video_rooms_close_due(now=room_closes(video_appointment))
    assert not janus.room_exists(calls[0].room_number)
