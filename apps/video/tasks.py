"""Celery beat jobs for video rooms: thin wrappers around the services."""

from __future__ import annotations

from celery import shared_task

from apps.video import services


@shared_task(name="video.prepare_rooms")
def prepare_rooms() -> int:
    """Create Janus rooms for video appointments starting soon; returns how many."""
    return services.video_rooms_prepare()


@shared_task(name="video.close_rooms")
def close_rooms() -> int:
    """Destroy the rooms of calls that are over or no longer video calls; returns how many."""
    return services.video_rooms_close_due()
