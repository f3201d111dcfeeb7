"""The verification token, its public URL and the QR code that carries it.

The token is django.core.signing's Signer over {"p": <prescription id>} (HMAC-SHA256 with
SECRET_KEY) with a salt of its own: it
holds no PHI, needs no database row, and any change to it fails the HMAC. It never
expires — a printed prescription is checked for as long as it exists; the prescription's
own `valid_until` says whether it is still usable. Rotating SECRET_KEY keeps old QR codes
working only while the old key stays in SECRET_KEY_FALLBACKS.
"""

from __future__ import annotations

import base64
import io

import qrcode
from django.conf import settings
from django.core import signing
from django.urls import reverse

TOKEN_SALT = "healthlink.prescriptions.verify"  # noqa: S105 - a salt, not a secret


def verification_token(prescription_id: int) -> str:
    # No timestamp: the same prescription always has the same token, hence the same QR.
    return signing.Signer(salt=TOKEN_SALT).sign_object({"p": prescription_id})


def prescription_id_from_token(token: str) -> int | None:
    """The prescription id a genuine token carries; None for a forged or damaged one."""
    try:
        payload = signing.Signer(salt=TOKEN_SALT).unsign_object(token)
    except (signing.BadSignature, ValueError, UnicodeError):
        return None
    value = payload.get("p") if isinstance(payload, dict) else None
    return value if isinstance(value, int) and value > 0 else None


def verification_path(prescription_id: int) -> str:
    return reverse("verify_rx:verify", kwargs={"token": verification_token(prescription_id)})


def verification_url(prescription_id: int) -> str:
    site: str = settings.SITE_URL
    return site.rstrip("/") + verification_path(prescription_id)


def qr_png(data: str) -> bytes:
    image = qrcode.make(data, box_size=6, border=2)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def qr_png_base64(data: str) -> str:
    return base64.b64encode(qr_png(data)).decode()
