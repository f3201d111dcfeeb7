"""Run jobs at the same instant in threads: the shared harness of every race test."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar

from django.db import connection

T = TypeVar("T")


def race(jobs: list[Callable[[], T]], *, timeout: float = 120) -> list[T | BaseException]:
    """Run every job in its own thread, released together; each thread closes its connection.

    A job's exception is returned in its place, so the caller asserts on every outcome.
    """
    barrier = threading.Barrier(len(jobs))
    results: list[T | BaseException] = [RuntimeError("did not run")] * len(jobs)

    def run(index: int, job: Callable[[], T]) -> None:
        try:
            connection.ensure_connection()  # connect first, so the start line is the barrier
            barrier.wait(timeout=30)
            results[index] = job()
        except BaseException as exc:  # handed to the main thread, which asserts on it
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, job)) for i, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    assert not any(thread.is_alive() for thread in threads)
    return results
