"""Queueing a task never holds a request for long when Redis is down."""

from __future__ import annotations

from healthlink.celery import app


def test_tasks_keep_no_result_unless_they_ask() -> None:
    # A task with a result subscribes to the result backend when queued; with Redis down
    # that retried for about 20 seconds per task, inside the booking request.
    app.loader.import_default_modules()  # autodiscovery, as a worker does at start
    assert app.conf.task_ignore_result is True
    assert app.tasks["notifications.deliver"].ignore_result is True
    assert app.tasks["appointments.booked_notify"].ignore_result is True
    assert app.tasks["core.healthcheck"].ignore_result is False


def test_publishing_and_the_result_backend_give_up_within_seconds() -> None:
    policy = app.conf.task_publish_retry_policy
    worst = sum(min(policy["interval_start"] + n * policy["interval_step"],
                    policy["interval_max"]) for n in range(policy["max_retries"]))
    assert worst <= 2
    assert app.conf.broker_connection_timeout <= 2
    assert app.conf.result_backend_transport_options["retry_policy"]["timeout"] <= 2
