"""Every write to an account: registration, email verification, profile, passwords."""

from __future__ import annotations

import datetime
import logging
from typing import Any

from django.contrib.auth.tokens import default_token_generator
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone, translation
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _
from redis.exceptions import RedisError

from apps.accounts import emails, tokens
from apps.accounts.models import Gender, Role, User, cnic_blind_index
from apps.audit.models import PhiAction, PhiResource
from apps.audit.services import phi_access_record
from apps.core.i18n import language_code_or_default

logger = logging.getLogger(__name__)

# The fixed list doctors choose from; the stored value is the English name, shown translated.
SPECIALTIES: tuple[tuple[str, Any], ...] = (
    ("General Physician", _("General Physician")),
    ("Cardiologist", _("Cardiologist")),
    ("Dermatologist", _("Dermatologist")),
    ("Pediatrician", _("Pediatrician")),
    ("Gynecologist", _("Gynecologist")),
    ("Orthopedic Surgeon", _("Orthopedic Surgeon")),
    ("Neurologist", _("Neurologist")),
    ("Psychiatrist", _("Psychiatrist")),
    ("ENT Specialist", _("ENT Specialist")),
    ("Ophthalmologist", _("Ophthalmologist")),
    ("Gastroenterologist", _("Gastroenterologist")),
    ("Pulmonologist", _("Pulmonologist")),
    ("Endocrinologist", _("Endocrinologist")),
    ("Nephrologist", _("Nephrologist")),
    ("Urologist", _("Urologist")),
    ("Oncologist", _("Oncologist")),
    ("Dentist", _("Dentist")),
    ("General Surgeon", _("General Surgeon")),
)
SPECIALTY_VALUES = frozenset(value for value, _label in SPECIALTIES)

# Constraint names PostgreSQL reports when a concurrent insert wins the race.
_EMAIL_CONSTRAINTS = ("uniq_users_email_ci", "users_email_key")
_CNIC_CONSTRAINTS = ("users_cnic_blind_index_key", "users_cnic_key")
_LICENSE_CONSTRAINTS = ("users_pmdc_license_number_key",)

PROFILE_FIELDS = frozenset({"name", "phone", "address", "date_of_birth", "gender", "time_zone"})
DOCTOR_PROFILE_FIELDS = PROFILE_FIELDS | {"consultation_fee"}
PATIENT_PROFILE_FIELDS = PROFILE_FIELDS | {
    "cnic", "blood_type", "allergies", "emergency_contact",
}


class AccountError(Exception):
    """A registration or profile change that breaks a rule; `field` names the form field."""

    field: str | None = None
    message: Any = _("This change could not be saved.")

    def __init__(self, message: Any | None = None) -> None:
        if message is not None:
            self.message = message
        super().__init__(str(self.message))


class EmailTaken(AccountError):
    field = "email"
    message = _("An account with this email address already exists.")


class CnicTaken(AccountError):
    field = "cnic"
    message = _("An account with this CNIC already exists.")


class LicenseTaken(AccountError):
    field = "pmdc_license_number"
    message = _("A doctor with this PMDC license number is already registered.")


class UnknownSpecialty(AccountError):
    field = "specialty"
    message = _("Choose a specialty from the list.")


class VerificationFailed(AccountError):
    message = _("This verification link is not valid. Please use the link from your latest "
                "email, or request a new one.")


class VerificationExpired(VerificationFailed):
    message = _("This verification link has expired. Please request a new one.")


class PasswordResetLinkInvalid(AccountError):
    message = _("This password reset link is not valid: it may have expired or been used "
                "already. Please ask for a new one.")


def _constraint_name(error: IntegrityError) -> str:
    diag = getattr(error.__cause__, "diag", None)
    return getattr(diag, "constraint_name", None) or ""


def _raise_for_integrity_error(error: IntegrityError) -> None:
    """Turn the unique-constraint loser of a registration race into the matching domain error."""
    constraint = _constraint_name(error)
    if constraint in _EMAIL_CONSTRAINTS:
        raise EmailTaken from error
    if constraint in _CNIC_CONSTRAINTS:
        raise CnicTaken from error
    if constraint in _LICENSE_CONSTRAINTS:
        raise LicenseTaken from error
    raise error


def _check_email_free(email: str) -> None:
    # Soft-deleted accounts keep their row, so their email stays taken.
    if User.all_objects.filter(email__iexact=User.objects.normalize_email(email)).exists():
        raise EmailTaken


def _check_cnic_free(cnic: str, *, exclude_pk: int | None = None) -> None:
    taken = User.all_objects.filter(cnic_blind_index=cnic_blind_index(cnic))
    if exclude_pk is not None:
        taken = taken.exclude(pk=exclude_pk)
    if taken.exists():
        raise CnicTaken


def _create_user(*, password: str, **fields: Any) -> User:
    fields.setdefault("language", language_code_or_default(translation.get_language()))
    user = User(**fields)
    user.set_password(password)
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError as error:
        _raise_for_integrity_error(error)
    return user


def _send_verification_on_commit(user: User) -> None:
    user_id = user.pk
    transaction.on_commit(lambda: emails.send_verification_email(user_id=user_id))


@transaction.atomic
def user_register_patient(
    *,
    name: str,
    email: str,
    password: str,
    date_of_birth: datetime.date | None = None,
    gender: str | None = None,
    phone: str | None = None,
    cnic: str | None = None,
) -> User:
    _check_email_free(email)
    if cnic:
        _check_cnic_free(cnic)
    if gender and gender not in Gender.values:
        raise AccountError(_("Choose a gender from the list."))

    user = _create_user(
        password=password,
        role=Role.PATIENT,
        name=name.strip(),
        email=email,
        phone=phone or None,
        cnic=cnic or None,
        date_of_birth=date_of_birth,
        gender=gender or None,
        is_verified=False,
    )
    logger.info("patient registered user=%s", user.pk)

    _send_verification_on_commit(user)
    return user


@transaction.atomic
def user_register_doctor(
    *,
    name: str,
    email: str,
    password: str,
    pmdc_license_number: str,
    specialty: str,
    years_of_experience: int,
) -> User:
    _check_email_free(email)
    if specialty not in SPECIALTY_VALUES:
        raise UnknownSpecialty
    if User.all_objects.filter(pmdc_license_number__iexact=pmdc_license_number).exists():
        raise LicenseTaken

    user = _create_user(
        password=password,
        role=Role.DOCTOR,
        name=name.strip(),
        email=email,
        pmdc_license_number=pmdc_license_number.upper(),
        specialty=specialty,
        years_of_experience=years_of_experience,
        pmdc_verified=False,
        is_verified=False,
    )
    logger.info("doctor registered user=%s awaiting PMDC verification", user.pk)

    _send_verification_on_commit(user)
    return user


@transaction.atomic
def user_verify_email(*, token: str) -> User:
    """Mark the token's user verified; the same link used twice is harmless."""
    try:
        user_id = tokens.email_verification_user_id(token)
    except tokens.TokenExpired as error:
        raise VerificationExpired from error
    except tokens.TokenInvalid as error:
        raise VerificationFailed from error
    user = User.objects.select_for_update().filter(pk=user_id).first()
    if user is None:
        raise VerificationFailed

    if not user.is_verified:
        user.is_verified = True
        user.save(update_fields=["is_verified", "updated_at"])
        logger.info("email verified user=%s", user.pk)
    return user


@transaction.atomic
def user_resend_verification(*, user: User) -> bool:
    """Send a fresh link unless the user is verified already; True when one was sent."""
    if user.is_verified:
        return False
    _send_verification_on_commit(user)
    logger.info("verification email resent user=%s", user.pk)
    return True


@transaction.atomic
def user_update_profile(
    *, actor: User, request: HttpRequest | None = None, **changes: Any
) -> User:
    """Save the actor's own profile and log the PHI update in the same transaction."""
    allowed = (
        PATIENT_PROFILE_FIELDS if actor.is_patient
        else DOCTOR_PROFILE_FIELDS if actor.is_doctor
        else PROFILE_FIELDS
    )
    unknown = set(changes) - allowed
    if unknown:
        raise AccountError(_("These details cannot be changed here."))
    user = User.objects.select_for_update().get(pk=actor.pk)

    cnic = changes.get("cnic")
    if cnic:
        _check_cnic_free(cnic, exclude_pk=user.pk)
    for field, value in changes.items():
        setattr(user, field, value if value != "" else None)
    if not user.time_zone:
        user.time_zone = "Asia/Karachi"
    try:
        with transaction.atomic():
            user.save(update_fields=[*changes, "updated_at"])
    except IntegrityError as error:
        _raise_for_integrity_error(error)

    phi_access_record(
        actor=actor,
        action=PhiAction.UPDATE,
        resource_type=PhiResource.PATIENT_PROFILE,
        resource_id=user.pk,
        patient=user,
        request=request,
    )
    logger.info("profile updated user=%s fields=%s", user.pk, ",".join(sorted(changes)))
    return user


# --- Passwords ----------------------------------------------------------------------------


@transaction.atomic
def user_password_reset_request(*, email: str) -> bool:
    """Email a reset link if a live account uses this address; True when one is on its way.

    The caller shows the same page either way, so the answer must not reach the client.
    """
    user = (
        User.objects.filter(email__iexact=User.objects.normalize_email(email))
        .only("pk", "password")
        .first()
    )
    # An unusable password means password login was switched off for this account on purpose.
    if user is None or not user.has_usable_password():
        logger.info("password reset requested for no active account")
        return False

    user_id = user.pk
    # LIMITATION: the email goes out in this request, after commit, so an address with an
    # account answers slower than one without — matters once SMTP is slow; a Celery task fixes it.
    transaction.on_commit(lambda: emails.send_password_reset_email(user_id=user_id))
    logger.info("password reset requested user=%s", user_id)
    return True


@transaction.atomic
def user_password_reset(*, user_id: int, token: str, password: str) -> User:
    """Set a new password from a reset link. The new hash voids the link, so it works once."""
    # Checked again under the row lock: two tabs posting the same link cannot both win.
    user = User.objects.select_for_update().filter(pk=user_id).first()
    if user is None or not default_token_generator.check_token(user, token):
        raise PasswordResetLinkInvalid

    # Opening the link proves the mailbox is the user's, which is what verification asks.
    user.is_verified = True
    _password_set(user, password, "is_verified")
    logger.info("password reset completed user=%s", user.pk)
    return user


@transaction.atomic
def user_change_password(*, user: User, password: str) -> User:
    """Replace the signed-in user's password; the caller has checked the current one."""
    locked = User.objects.select_for_update().get(pk=user.pk)

    _password_set(locked, password)
    logger.info("password changed user=%s", locked.pk)
    return locked


def _password_set(user: User, password: str, *also_save: str) -> None:
    # A new password ends every other web session (their auth hash no longer matches) and,
    # through tokens_revoked_at, every API token issued before now.
    user.set_password(password)
    user.tokens_revoked_at = timezone.now()
    user.save(update_fields=["password", "tokens_revoked_at", "updated_at", *also_save])

    user_id = user.pk
    transaction.on_commit(lambda: emails.send_password_changed_email(user_id=user_id))


@transaction.atomic
def user_language_save(*, user: User, code: str) -> bool:
    """Remember the language the user chose, for their notifications; False if not offered."""
    if language_code_or_default(code) != code:
        return False
    User.objects.filter(pk=user.pk).exclude(language=code).update(language=code)
    return True


def user_logout_everywhere(*, user: User) -> User:
    """End every web session and API token the user holds, the caller's own included.

    Setting tokens_revoked_at is the whole change: the JWT authentication and refresh
    refuse tokens issued at or before it, and SessionRevocationMiddleware logs out web
    sessions that logged in at or before it.
    """
    locked = User.objects.select_for_update().get(pk=user.pk)
    locked.tokens_revoked_at = timezone.now()
    locked.save(update_fields=["tokens_revoked_at", "updated_at"])
    logger.info("logged out everywhere user=%s", locked.pk)
    return locked


# --- Throttles ----------------------------------------------------------------------------
# Counters live in the cache under keyed hashes, so neither emails nor IPs appear as keys.

LOGIN_FAILURE_LIMIT = 5
LOGIN_FAILURE_IP_LIMIT = 50
LOGIN_FAILURE_WINDOW = 15 * 60
RESEND_LIMIT = 3
RESEND_WINDOW = 60 * 60
PASSWORD_RESET_LIMIT = 3
PASSWORD_RESET_IP_LIMIT = 20
PASSWORD_RESET_WINDOW = 60 * 60


def _throttle_key(purpose: str, *parts: str) -> str:
    digest = salted_hmac(f"healthlink.accounts.{purpose}", "|".join(parts)).hexdigest()
    return f"accounts:{purpose}:{digest}"


def _login_keys(email: str, ip: str | None) -> tuple[str, str]:
    address = ip or "-"
    return (
        _throttle_key("login-fail", User.objects.normalize_email(email), address),
        _throttle_key("login-fail-ip", address),
    )


def _bump(key: str, window: int) -> int:
    cache.add(key, 0, timeout=window)
    try:
        return int(cache.incr(key))
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=window)
        return 1


def login_is_locked(*, email: str, ip: str | None) -> bool:
    pair_key, ip_key = _login_keys(email, ip)
    try:
        counts = cache.get_many([pair_key, ip_key])
    except RedisError:
        # Fail open: a cache outage must not lock every clinic out; passwords still count.
        logger.warning("login throttle unavailable: cache unreachable")
        return False
    pair_failures = int(counts.get(pair_key, 0))
    ip_failures = int(counts.get(ip_key, 0))
    return pair_failures >= LOGIN_FAILURE_LIMIT or ip_failures >= LOGIN_FAILURE_IP_LIMIT


def login_failure_record(*, email: str, ip: str | None) -> None:
    pair_key, ip_key = _login_keys(email, ip)
    try:
        failures = _bump(pair_key, LOGIN_FAILURE_WINDOW)
        _bump(ip_key, LOGIN_FAILURE_WINDOW)
    except RedisError:
        logger.warning("login throttle unavailable: cache unreachable")
        return
    if failures == LOGIN_FAILURE_LIMIT:
        logger.warning("login locked for %s minutes after repeated failures",
                       LOGIN_FAILURE_WINDOW // 60)


def login_failures_clear(*, email: str, ip: str | None) -> None:
    pair_key, _ip_key = _login_keys(email, ip)
    try:
        cache.delete(pair_key)
    except RedisError:
        logger.warning("login throttle unavailable: cache unreachable")


def resend_verification_allowed(*, user: User) -> bool:
    """Count one resend request; False once the user has asked too often this hour."""
    sent = _bump(_throttle_key("resend", str(user.pk)), RESEND_WINDOW)
    return sent <= RESEND_LIMIT


def password_reset_allowed(*, email: str, ip: str | None) -> bool:
    """Count one reset request; False once this address or this IP has asked too often.

    Unknown addresses count the same as known ones, so a refusal reveals nothing.
    """
    per_email = _bump(
        _throttle_key("reset", User.objects.normalize_email(email)), PASSWORD_RESET_WINDOW
    )
    per_ip = _bump(_throttle_key("reset-ip", ip or "-"), PASSWORD_RESET_WINDOW)
    return per_email <= PASSWORD_RESET_LIMIT and per_ip <= PASSWORD_RESET_IP_LIMIT
