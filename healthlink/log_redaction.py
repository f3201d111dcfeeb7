"""Keep tokens out of logs: a password-reset or verification link's path is the secret.

The filter sits on the handlers (access lines) and on the loggers that log a request's
path themselves (django.request, django.server, the outage middleware), so a handler
Django installs on a parent logger (mail_admins) sees the redacted text too.
"""

from __future__ import annotations

import logging
import re

# /accounts/password/reset/<uidb64>.<token>/ — the uid stays, the token goes.
_RESET_TOKEN = re.compile(r"(/password/reset/[^/.\s]*\.)(?!set-password/)[^/\s?\"]+")
# A malformed link (no uid separator) is redacted whole: it may still be a real token.
_RESET_MALFORMED = re.compile(r"(/password/reset/)(?![^/\s?\"]*\.)[^/\s?\"]+")
# /accounts/verify/<signed token>/ — the whole token goes ("resend" is a page, not a token).
_VERIFY_TOKEN = re.compile(r"(/accounts/verify/)(?!resend/)[^/\s?\"]+")
# /verify/rx/<token>/ — a prescription's QR code: whoever holds it can read the page.
_RX_VERIFY_TOKEN = re.compile(r"(/verify/rx/)[^/\s?\"]+")


# Query strings can hold what someone searched for (an admin looking up a patient's email):
# request lines keep their path and lose the query.
_QUERY = re.compile(r"(\s/[^\s?\"]*)\?[^\s\"]*")


def redact(text: str) -> str:
    text = _RESET_TOKEN.sub(r"\1[redacted]", text)
    text = _RESET_MALFORMED.sub(r"\1[redacted]", text)
    text = _VERIFY_TOKEN.sub(r"\1[redacted]", text)
    text = _RX_VERIFY_TOKEN.sub(r"\1[redacted]", text)
    return _QUERY.sub(r"\1?[redacted]", text)


class RedactResetTokens(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = redact(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True
