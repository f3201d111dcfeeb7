"""Queue a Celery task with one Redis LPUSH: the message apply_async() would send.

`Task.apply_async()` builds the task message, routes it, takes a producer from kombu's pool,
declares the queue, wraps the publish in kombu's retry machinery and makes an AsyncResult;
on a booking request that costs several times the one Redis command it ends in. For a task
queued from a web request on the plain setup (Redis broker, default queue, JSON, no routes,
no publish signals), `push()` builds the same message with Celery's own builder
(`app.amqp.create_task_message`) and kombu's serializer, wraps it as kombu's Redis transport
stores it, and pushes it onto the queue's list, where any worker takes it as usual.

Whenever the setup is anything else it returns False and the caller uses apply_async(); a
Redis error is raised to the caller as from apply_async(). tests/core/test_task_queue.py
keeps the message equal to apply_async()'s and has a real worker run one.
"""

from __future__ import annotations

import base64
import threading
from typing import Any

import redis
from celery import Task
from celery import signals as celery_signals
from kombu.serialization import dumps as serialize
from kombu.utils.json import dumps as envelope_json
from kombu.utils.uuid import uuid

from healthlink.celery import app

_local = threading.local()
_SOCKET_TIMEOUT = 5.0  # seconds: a stuck broker must not hang the request


def push(task: Task, args: tuple[Any, ...] = (), kwargs: dict[str, Any] | None = None) -> bool:
    """Queue `task(*args, **kwargs)` for a worker; False if this setup needs apply_async()."""
    route = _plain_queue(task)
    if route is None:
        return False
    broker, queue = route
    kwargs = kwargs or {}
    task_id = uuid()
    headers, properties, body, _sent_event = app.amqp.create_task_message(
        task_id, task.name, args, kwargs,
        reply_to=app.thread_oid, ignore_result=bool(task.ignore_result),
    )
    content_type, content_encoding, data = serialize(body, serializer="json")
    if isinstance(data, str):
        data = data.encode(content_encoding)
    message = {
        "body": base64.b64encode(data).decode("ascii"),
        "content-encoding": content_encoding,
        "content-type": content_type,
        "headers": headers,
        "properties": {
            **properties,
            "delivery_mode": 2,  # persistent, as the default exchange declares
            "delivery_info": {"exchange": "", "routing_key": queue},
            "priority": 0,
            "body_encoding": "base64",
            "delivery_tag": uuid(),
        },
    }
    _client(broker).lpush(queue, envelope_json(message))
    return True


def _plain_queue(task: Task) -> tuple[str, str] | None:
    """(broker URL, default queue) when the plain setup holds for this task; None otherwise."""
    conf = app.conf
    if (
        conf.task_always_eager
        or app.current_worker_task is not None  # a subtask carries its parent's ids
        or celery_signals.before_task_publish.receivers
        or celery_signals.after_task_publish.receivers
        or getattr(task, "queue", None)
        or any(getattr(task, option, None) is not None
               for option in ("time_limit", "soft_time_limit", "expires", "priority"))
    ):
        return None
    broker = conf.broker_url
    queue = _plain_setup_queue(broker, conf.task_default_queue)
    return None if queue is None else (broker, queue)


_setup: dict[tuple[str, str], str | None] = {}


def _plain_setup_queue(broker: object, default_queue: str) -> str | None:
    """The rest of _plain_queue, read once per broker URL and default queue: the other
    settings do not change while a process runs, and reading Celery's configuration is
    itself a cost here."""
    key = (broker, default_queue) if isinstance(broker, str) else None
    if key is not None and key in _setup:
        return _setup[key]
    conf = app.conf
    queue: str | None = default_queue
    if (
        not isinstance(broker, str)
        or not broker.startswith("redis://")
        or conf.broker_transport_options  # key prefixes, priorities, ...: kombu's business
        or conf.task_routes
        or conf.task_queues
        or conf.task_protocol != 2
        or conf.task_serializer != "json"
        or conf.task_compression
        or conf.task_send_sent_event
        or conf.task_default_delivery_mode not in ("persistent", 2)
    ):
        queue = None
    else:
        try:
            exchange = app.amqp.queues[queue].exchange
        except KeyError:  # not declared, and Celery is told not to make missing queues
            queue = None
        else:
            if exchange.type != "direct" or exchange.delivery_mode not in (None, 2):
                queue = None
    if key is not None:
        _setup[key] = queue
    return queue


def _client(url: str) -> redis.Redis:
    """One client per thread and broker URL (redis-py's pool reconnects after a fork)."""
    client: redis.Redis | None = getattr(_local, "client", None)
    if client is None or getattr(_local, "url", None) != url:
        client = redis.Redis.from_url(url, socket_timeout=_SOCKET_TIMEOUT,
                                      socket_connect_timeout=_SOCKET_TIMEOUT)
        _local.client, _local.url = client, url
    return client
