"""One-time tokens in email links never reach the access logs."""

from __future__ import annotations

import logging

import pytest
from django.test import RequestFactory

from healthlink.log_redaction import RedactResetTokens, redact


@pytest.mark.parametrize(
    "line, kept, gone",
    [
        ('"GET /accounts/password/reset/MQ.cf3-a1b2c3d4e5/ HTTP/1.1" 302', "MQ.[redacted]",
         "cf3-a1b2c3d4e5"),
        ('"GET /accounts/verify/eyJ1IjoxfQ:1vQ:abc123/ HTTP/1.1" 200',
         "/accounts/verify/[redacted]", "eyJ1IjoxfQ"),
    ],
)
def test_it_redacts_tokens_in_request_lines(line: str, kept: str, gone: str) -> None:
    assert kept in redact(line)
    assert gone not in redact(line)


def test_it_leaves_other_paths_alone() -> None:
    line = '"POST /accounts/verify/resend/ HTTP/1.1" 302 /accounts/password/reset/MQ.set-password/'

    assert redact(line) == line


def test_the_filter_rewrites_the_record_message() -> None:
    record = logging.LogRecord("django.server", logging.INFO, __file__, 1,
                               '"%s" %s', ("GET /accounts/verify/secret-token/ HTTP/1.1", 200),
                               None)

    assert RedactResetTokens().filter(record)
    assert "secret-token" not in record.getMessage()


def test_error_reports_hide_post_bodies_and_urls_with_credentials(rf: RequestFactory) -> None:
    from healthlink.error_reporting import PhiSafeExceptionReporterFilter

    request = rf.post("/appointments/book/1/", {"chief_complaint": "chest pain", "slot": "x"})
    reporter = PhiSafeExceptionReporterFilter()

    shown = reporter.get_post_parameters(request)
    settings_shown = reporter.get_safe_settings()

    assert "chest pain" not in str(shown)
    assert set(shown) == {"chief_complaint", "slot"}
    assert settings_shown["REDIS_URL"] == reporter.cleansed_substitute
    assert settings_shown["DATABASE_URL"] == reporter.cleansed_substitute
    assert settings_shown["CACHES"] == reporter.cleansed_substitute


def test_it_drops_query_strings_from_request_lines() -> None:
    line = '"GET /admin/accounts/user/?q=ayesha%40example.pk&role=PATIENT HTTP/1.1" 200 5120'

    assert redact(line) == '"GET /admin/accounts/user/?[redacted] HTTP/1.1" 200 5120'


def test_error_reports_hide_traceback_locals_that_could_hold_phi(rf: RequestFactory) -> None:
    from healthlink.error_reporting import PhiSafeExceptionReporterFilter

    def view_that_fails() -> None:
        complaint = "chest pain since Tuesday"  # noqa: F841 - inspected through the frame
        appointment_id = 42  # noqa: F841
        raise ValueError

    try:
        view_that_fails()
    except ValueError as exc:
        frame = exc.__traceback__.tb_next.tb_frame  # type: ignore[union-attr]

    shown = dict(PhiSafeExceptionReporterFilter().get_traceback_frame_variables(
        rf.get("/"), frame
    ))

    assert "chest pain" not in str(shown)
    assert shown["appointment_id"] == 42


def test_a_malformed_reset_link_is_redacted_whole() -> None:
    line = '"GET /accounts/password/reset/SECRETTOKEN123abc/ HTTP/1.1" 302'

    assert "SECRETTOKEN" not in redact(line)
