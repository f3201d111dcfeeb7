"""Synthetic Pakistani demo data: one organization, three facilities, doctors, patients, staff.

Every name, address, phone number and CNIC here is invented. `demo_seed` brings the
database to this state and leaves it alone when it is already there, so running it twice
writes nothing the second time.
"""

from __future__ import annotations

import datetime
import logging
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.contrib.auth.hashers import check_password, get_hasher, identify_hasher, make_password
from django.db import IntegrityError, transaction
from django.utils import timezone

from apps.accounts.models import (
    BloodType,
    Gender,
    OrgType,
    Role,
    User,
    cnic_blind_index,
    format_cnic,
    normalize_cnic,
)
from apps.appointments.models import (
    Appointment,
    AppointmentStatus,
    ConsultationType,
    DoctorAvailability,
)
from apps.facilities.models import DoctorFacility, Facility, FacilityType
from apps.payments.models import (
    DisputeStatus,
    Payment,
    PaymentDispute,
    PaymentDisputeHistory,
    PaymentMethod,
    PaymentStatus,
    WalletEntry,
    WalletReason,
)
from apps.payments.wallet import wallet_credit
from apps.records.models import MedicalRecord

logger = logging.getLogger(__name__)

DOMAIN = "demo.healthlink.pk"
ORG_EMAIL = f"org1@{DOMAIN}"
UNVERIFIED_DOCTOR_EMAIL = f"doctor-unverified@{DOMAIN}"
ADMIN_EMAIL = f"admin@{DOMAIN}"
OWNER_EMAIL = f"owner@{DOMAIN}"

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday")


def _hours(weekdays: str, sunday: str | None = None) -> dict[str, str]:
    hours = dict.fromkeys(WEEKDAYS, weekdays)
    if sunday:
        hours["sunday"] = sunday
    return hours


@dataclass(frozen=True)
class FacilitySpec:
    name: str
    facility_type: str
    address: str
    city: str
    province: str
    phone: str
    email: str
    latitude: Decimal
    longitude: Decimal
    operating_hours: dict[str, str]

    def fields(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.__dataclass_fields__}


FACILITIES: tuple[FacilitySpec, ...] = (
    FacilitySpec(
        name="Ravi Crescent Hospital", facility_type=FacilityType.HOSPITAL,
        address="Plot 14, Main Boulevard, Gulberg III", city="Lahore", province="Punjab",
        phone="+924235770101", email=f"lahore@{DOMAIN}",
        latitude=Decimal("31.51200000"), longitude=Decimal("74.34400000"),
        operating_hours=_hours("00:00-23:59", sunday="00:00-23:59"),
    ),
    FacilitySpec(
        name="Saahil Family Clinic", facility_type=FacilityType.CLINIC,
        address="Shop 7, Khayaban-e-Ittehad, DHA Phase 6", city="Karachi", province="Sindh",
        phone="+922135240202", email=f"karachi@{DOMAIN}",
        latitude=Decimal("24.80420000"), longitude=Decimal("67.05510000"),
        operating_hours=_hours("09:00-21:00"),
    ),
    FacilitySpec(
        name="Margalla View Diagnostics", facility_type=FacilityType.DIAGNOSTIC_CENTER,
        address="Office 3, Ground Floor, Jinnah Avenue, Blue Area", city="Islamabad",
        province="Islamabad Capital Territory", phone="+92512870303",
        email=f"islamabad@{DOMAIN}",
        latitude=Decimal("33.71040000"), longitude=Decimal("73.05980000"),
        operating_hours=_hours("08:00-20:00", sunday="10:00-14:00"),
    ),
)

# (name, gender, specialty, years of experience); specialties from the registration list.
DOCTORS: tuple[tuple[str, str, str, int], ...] = (
    ("Ayesha Malik", Gender.FEMALE, "General Physician", 9),
    ("Bilal Qureshi", Gender.MALE, "Cardiologist", 16),
    ("Sana Hashmi", Gender.FEMALE, "Dermatologist", 7),
    ("Hamza Siddiqui", Gender.MALE, "Pediatrician", 11),
    ("Mehwish Baig", Gender.FEMALE, "Gynecologist", 14),
    ("Usman Chaudhry", Gender.MALE, "Orthopedic Surgeon", 18),
    ("Nida Farooqui", Gender.FEMALE, "Neurologist", 10),
    ("Faisal Mirza", Gender.MALE, "Psychiatrist", 8),
    ("Hira Abbasi", Gender.FEMALE, "ENT Specialist", 6),
    ("Kamran Sheikh", Gender.MALE, "Ophthalmologist", 13),
    ("Amna Javed", Gender.FEMALE, "Gastroenterologist", 12),
    ("Tariq Rana", Gender.MALE, "Pulmonologist", 20),
    ("Zainab Akhtar", Gender.FEMALE, "Endocrinologist", 9),
    ("Asad Haider", Gender.MALE, "Nephrologist", 15),
    ("Rabia Anwar", Gender.FEMALE, "Urologist", 8),
    ("Imran Saeed", Gender.MALE, "Oncologist", 17),
    ("Iqra Aslam", Gender.FEMALE, "Dentist", 5),
    ("Zeeshan Butt", Gender.MALE, "General Surgeon", 14),
    ("Saima Ansari", Gender.FEMALE, "General Physician", 4),
    ("Omar Iqbal", Gender.MALE, "Cardiologist", 11),
    ("Fatima Raza", Gender.FEMALE, "Pediatrician", 7),
    ("Ahmed Khan", Gender.MALE, "Dermatologist", 10),
)

# (name, gender, date of birth, blood type, allergies, CNIC)
PATIENTS: tuple[tuple[str, str, datetime.date, str, str | None, str], ...] = (
    ("Ali Hassan", Gender.MALE, datetime.date(1988, 3, 14), BloodType.B_POS,
     "Penicillin", "35202-9990001-1"),
    ("Maryam Tariq", Gender.FEMALE, datetime.date(1995, 7, 2), BloodType.O_POS,
     None, "42101-9990002-2"),
    ("Hassan Raza", Gender.MALE, datetime.date(1979, 11, 23), BloodType.A_POS,
     "Sulfa drugs, peanuts", "61101-9990003-3"),
    ("Khadija Noor", Gender.FEMALE, datetime.date(2001, 1, 9), BloodType.AB_POS,
     None, "35202-9990004-4"),
    ("Yasir Mehmood", Gender.MALE, datetime.date(1967, 5, 30), BloodType.O_NEG,
     "Aspirin", "42101-9990005-5"),
)

STAFF: tuple[tuple[str, str], ...] = (
    ("Rizwan Ahmed", "Front desk coordinator"),
    ("Shazia Parveen", "Patient services officer"),
    ("Naveed Akram", "Diagnostics desk supervisor"),
)

# The two demo bookings of patient1 with doctor1, recognised on a rerun by their complaint.
APPOINTMENT_TODAY = "Follow-up on seasonal allergy symptoms"
APPOINTMENT_LATER = "Recurring evening headaches"
SLOT = datetime.timedelta(minutes=30)


def doctor_email(number: int) -> str:
    return f"doctor{number}@{DOMAIN}"


def patient_email(number: int) -> str:
    return f"patient{number}@{DOMAIN}"


def staff_email(number: int) -> str:
    return f"staff{number}@{DOMAIN}"


@dataclass
class SeedReport:
    created: Counter[str] = field(default_factory=Counter)
    updated: Counter[str] = field(default_factory=Counter)

    @property
    def changed(self) -> bool:
        return bool(+self.created or +self.updated)


# --- users ----------------------------------------------------------------------------


def _org_spec() -> dict[str, Any]:
    return {
        "email": ORG_EMAIL, "role": Role.ORGANIZATION, "name": "Indus Crescent Health Network",
        "org_number": "DEMO-ORG-0001", "org_type": OrgType.HOSPITAL_GROUP,
        "tax_id": "DEMO-NTN-0000001", "address": "Plot 14, Main Boulevard, Gulberg III, Lahore",
    }


# Consultation fees in PKR, typical of private practice in Lahore.
DOCTOR_FEES: tuple[str, ...] = ("1500", "2500", "3000", "2000", "3500", "5000", "4000", "2500")


def _doctor_specs() -> list[dict[str, Any]]:
    specs = []
    for number, (name, gender, specialty, years) in enumerate(DOCTORS, start=1):
        specs.append({
            "email": doctor_email(number), "role": Role.DOCTOR, "name": name,
            "gender": gender, "specialty": specialty, "years_of_experience": years,
            "consultation_fee": Decimal(DOCTOR_FEES[(number - 1) % len(DOCTOR_FEES)]),
            "license_number": f"DEMO-LIC-{number:04d}",
            "pmdc_license_number": f"DEMO-{10000 + number}-P", "pmdc_verified": True,
        })
    specs.append({
        "email": UNVERIFIED_DOCTOR_EMAIL, "role": Role.DOCTOR, "name": "Junaid Latif",
        "gender": Gender.MALE, "specialty": "General Physician", "years_of_experience": 2,
        "consultation_fee": Decimal("1000"),
        "license_number": "DEMO-LIC-9999", "pmdc_license_number": "DEMO-19999-P",
        "pmdc_verified": False,
    })
    return specs


def _patient_specs() -> list[dict[str, Any]]:
    specs = []
    for number, (name, gender, born, blood, allergies, cnic) in enumerate(PATIENTS, start=1):
        specs.append({
            "email": patient_email(number), "role": Role.PATIENT, "name": name,
            "gender": gender, "date_of_birth": born, "blood_type": blood,
            "allergies": allergies, "phone": f"+92300000{number:04d}",
            "cnic": format_cnic(normalize_cnic(cnic)), "cnic_blind_index": cnic_blind_index(cnic),
            "emergency_contact": f"Family contact, +92301000{number:04d}",
            "address": f"House {number * 7}, Street {number + 2}, Model Town, Lahore",
        })
    return specs


def _staff_specs(facilities: Sequence[Facility]) -> list[dict[str, Any]]:
    return [
        {"email": staff_email(number), "role": Role.STAFF, "name": name, "position": position,
         "facility_id": facility.pk}
        for number, ((name, position), facility) in enumerate(zip(STAFF, facilities,
                                                                  strict=True), start=1)
    ]


def _admin_specs() -> list[dict[str, Any]]:
    return [
        {"email": ADMIN_EMAIL, "role": Role.ADMIN, "name": "Demo Administrator"},
        {"email": OWNER_EMAIL, "role": Role.PLATFORM_OWNER, "name": "Demo Platform Owner"},
    ]


def _password_hash(password: str, existing: Iterable[str]) -> str:
    """One hash for every demo user: reuse the stored one while it still matches.

    Hashing once instead of once per user keeps the seed fast under bcrypt at cost 12, and
    reusing the stored hash keeps a rerun from rewriting every row.
    """
    hasher = get_hasher()
    for stored, _count in Counter(existing).most_common(1):
        try:
            same_hasher = identify_hasher(stored).algorithm == hasher.algorithm
        except ValueError:
            break
        if same_hasher and not hasher.must_update(stored) and check_password(password, stored):
            return stored
    return make_password(password)


def _ensure_users(
    specs: Sequence[dict[str, Any]], existing: dict[str, User], password_hash: str,
    report: SeedReport,
) -> dict[str, User]:
    to_create: list[User] = []
    to_update: list[User] = []
    changed_fields: set[str] = set()
    now = timezone.now()
    for spec in specs:
        # A demo account is always usable: a rerun restores it and resets its password.
        wanted = {"is_verified": True, **spec, "password": password_hash, "deleted_at": None}
        user = existing.get(spec["email"])
        if user is None:
            user = User(**wanted)
            to_create.append(user)
            existing[spec["email"]] = user
            continue
        diff = {name for name, value in wanted.items() if getattr(user, name) != value}
        if diff:
            for name in diff:
                setattr(user, name, wanted[name])
            user.updated_at = now
            to_update.append(user)
            changed_fields |= diff
    if to_create:
        User.objects.bulk_create(to_create)
        report.created["users"] += len(to_create)
    if to_update:
        User.all_objects.bulk_update(to_update, sorted(changed_fields | {"updated_at"}))
        report.updated["users"] += len(to_update)
    return {spec["email"]: existing[spec["email"]] for spec in specs}


# --- facilities -----------------------------------------------------------------------


def _ensure_facilities(organization: User, report: SeedReport) -> list[Facility]:
    existing = {
        facility.name: facility
        for facility in Facility.objects.filter(
            organization=organization, name__in=[spec.name for spec in FACILITIES]
        )
    }
    to_create: list[Facility] = []
    to_update: list[Facility] = []
    changed_fields: set[str] = set()
    for spec in FACILITIES:
        wanted = spec.fields()
        facility = existing.get(spec.name)
        if facility is None:
            facility = Facility(organization=organization, **wanted)
            to_create.append(facility)
            existing[spec.name] = facility
            continue
        diff = {name for name, value in wanted.items() if getattr(facility, name) != value}
        for name in diff:
            setattr(facility, name, wanted[name])
        if diff:
            to_update.append(facility)
            changed_fields |= diff
    if to_create:
        Facility.objects.bulk_create(to_create)
        report.created["facilities"] += len(to_create)
    if to_update:
        Facility.objects.bulk_update(to_update, sorted(changed_fields))
        report.updated["facilities"] += len(to_update)
    return [existing[spec.name] for spec in FACILITIES]


def _ensure_practice_links(
    doctors: Sequence[User], facilities: Sequence[Facility], report: SeedReport
) -> None:
    """Doctor n practises at facility n mod 3; every third doctor at the next one as well."""
    wanted = set()
    for index, doctor in enumerate(doctors):
        wanted.add((doctor.pk, facilities[index % len(facilities)].pk))
        if index % 3 == 0:
            wanted.add((doctor.pk, facilities[(index + 1) % len(facilities)].pk))
    existing = set(
        DoctorFacility.objects.filter(doctor__in=doctors).values_list("doctor_id", "facility_id")
    )
    missing = sorted(wanted - existing)
    if missing:
        DoctorFacility.objects.bulk_create(
            [DoctorFacility(doctor_id=doctor, facility_id=facility)
             for doctor, facility in missing]
        )
        report.created["doctor_facilities"] += len(missing)


# --- working hours --------------------------------------------------------------------

# Weekly hours of every demo doctor, on their own wall clock: in person 09:00-17:00 Monday to
# Saturday (within every demo facility's opening hours), video and phone in the evening and
# on Sunday morning. A doctor at two facilities alternates days between them.
IN_PERSON_HOURS = (datetime.time(9), datetime.time(17))
REMOTE_HOURS: tuple[tuple[tuple[int, ...], datetime.time, datetime.time], ...] = (
    ((0, 1, 2, 3, 4, 5), datetime.time(18), datetime.time(20)),
    ((6,), datetime.time(10), datetime.time(13)),
)


def _ensure_working_hours(doctors: Sequence[User], report: SeedReport) -> None:
    """Give each demo doctor who has no weekly hours the demo pattern.

    A doctor who already has hours keeps them, edited or not, so a rerun changes nothing.
    """
    with_hours = set(
        DoctorAvailability.objects.filter(doctor__in=doctors)
        .values_list("doctor_id", flat=True).distinct()
    )
    places: dict[int, list[int]] = {}
    for doctor_id, facility_id in (
        DoctorFacility.objects.filter(doctor__in=doctors).order_by("facility_id")
        .values_list("doctor_id", "facility_id")
    ):
        places.setdefault(doctor_id, []).append(facility_id)
    rows: list[DoctorAvailability] = []
    for doctor in doctors:
        if doctor.pk in with_hours:
            continue
        facility_ids = places.get(doctor.pk, [])
        for weekday in range(6):
            if facility_ids:
                rows.append(DoctorAvailability(
                    doctor=doctor, facility_id=facility_ids[weekday % len(facility_ids)],
                    weekday=weekday, start_time=IN_PERSON_HOURS[0], end_time=IN_PERSON_HOURS[1],
                    time_zone=doctor.time_zone,
                ))
        for weekdays, start, end in REMOTE_HOURS:
            rows += [
                DoctorAvailability(doctor=doctor, facility=None, weekday=weekday,
                                   start_time=start, end_time=end, time_zone=doctor.time_zone)
                for weekday in weekdays
            ]
    if rows:
        DoctorAvailability.objects.bulk_create(rows)
        report.created["doctor_availability"] += len(rows)


# --- appointments ---------------------------------------------------------------------


def _first_slot_today_or_tomorrow(now: datetime.datetime) -> datetime.datetime:
    """The next half-hour at least 30 minutes away if it ends today, else 10:00 tomorrow."""
    local = timezone.localtime(now, timezone.get_default_timezone())
    start = (local + SLOT).replace(second=0, microsecond=0)
    start += datetime.timedelta(minutes=(-start.minute) % 30)
    midnight = (local + datetime.timedelta(days=1)).replace(
        hour=0, minute=0, second=0, microsecond=0
    )
    if start + SLOT <= midnight:
        return start
    return midnight.replace(hour=10)


def _book_first_free(
    *, patient: User, doctor: User, start: datetime.datetime, attempts: int, **fields: Any
) -> Appointment | None:
    """Book at `start` or the next free half-hour; the overlap constraint decides."""
    for attempt in range(attempts):
        try:
            with transaction.atomic():
                return Appointment.objects.create(
                    patient=patient, doctor=doctor, scheduled_at=start + attempt * SLOT,
                    duration_minutes=30, status=AppointmentStatus.SCHEDULED, **fields,
                )
        except IntegrityError:
            continue
    return None


def _ensure_appointments(
    patient: User, doctor: User, facility: Facility, report: SeedReport
) -> None:
    now = timezone.now()
    today_start = timezone.localtime(now, timezone.get_default_timezone()).replace(
        hour=0, minute=0, second=0, microsecond=0
    )
    # A booking made on an earlier run today still counts, even if its time has passed.
    present = set(
        Appointment.objects.filter(
            patient=patient, doctor=doctor, status=AppointmentStatus.SCHEDULED,
            scheduled_at__gte=today_start,
            chief_complaint__in=[APPOINTMENT_TODAY, APPOINTMENT_LATER],
        ).values_list("chief_complaint", flat=True)
    )
    first = _first_slot_today_or_tomorrow(now)
    wanted: list[tuple[str, datetime.datetime, dict[str, Any]]] = [
        (APPOINTMENT_TODAY, first, {"consultation_type": ConsultationType.VIDEO_CALL}),
        (APPOINTMENT_LATER,
         (today_start + datetime.timedelta(days=3)).replace(hour=11),
         {"consultation_type": ConsultationType.IN_PERSON, "facility": facility}),
    ]
    for complaint, start, fields in wanted:
        if complaint in present:
            continue
        booked = _book_first_free(
            patient=patient, doctor=doctor, start=start, attempts=16,
            chief_complaint=complaint, **fields,
        )
        if booked is not None:
            report.created["appointments"] += 1
        else:
            logger.warning("demo appointment not booked: doctor=%s has no free slot", doctor.pk)


# --- medical records (records) ---------------------------------------------------

DEMO_RECORDS: tuple[tuple[str, int, dict[str, str]], ...] = (
    ("CONSULTATION", 40, {
        "diagnosis": "Demo: seasonal allergic rhinitis",
        "treatment": "Demo: antihistamine at night for two weeks",
        "notes": "Synthetic demo record.",
    }),
    ("LAB_RESULT", 20, {
        "diagnosis": "Demo: complete blood count within normal limits",
        "notes": "Synthetic demo record.",
    }),
)


def _ensure_records(patient: User, doctor: User, report: SeedReport) -> None:
    """Two synthetic records by the demo doctor for the demo patient, once."""
    if MedicalRecord.objects.filter(patient=patient, doctor=doctor).exists():
        return
    now = timezone.now()
    for record_type, days_ago, texts in DEMO_RECORDS:
        MedicalRecord.objects.create(
            patient=patient, doctor=doctor, record_type=record_type,
            record_date=now - datetime.timedelta(days=days_ago), **texts,
        )
        report.created["medical records"] += 1


# --- paid consultations and a dispute (payments) --------------------------------

DEMO_PAYMENTS = (
    # (transaction id, days ago, disputed)
    ("DEMO-TXN-0001", 12, True),
    ("DEMO-TXN-0002", 6, False),
)


def _ensure_payments(
    patient: User, doctor: User, facility: Facility, report: SeedReport
) -> None:
    """Two paid past consultations of patient1 with doctor1 at staff1's facility, once: one
    with a pending dispute for the back office, one the patient can dispute."""
    done = set(Payment.objects.filter(transaction_id__in=[t for t, _d, _x in DEMO_PAYMENTS])
               .values_list("transaction_id", flat=True))
    local = timezone.localtime(timezone.now(), timezone.get_default_timezone())
    for transaction_id, days_ago, disputed in DEMO_PAYMENTS:
        if transaction_id in done:
            continue
        appointment = Appointment.objects.create(
            patient=patient, doctor=doctor, facility=facility,
            scheduled_at=(local - datetime.timedelta(days=days_ago)).replace(
                hour=7, minute=0, second=0, microsecond=0),
            status=AppointmentStatus.COMPLETED, consultation_type=ConsultationType.IN_PERSON,
            chief_complaint="Demo: follow-up visit",
        )
        payment = Payment.objects.create(
            appointment=appointment, payer=patient, payee=doctor, amount=Decimal("2500.00"),
            payment_method=PaymentMethod.JAZZCASH, transaction_id=transaction_id,
            status=PaymentStatus.DISPUTED if disputed else PaymentStatus.COMPLETED,
        )
        appointment.payment = payment
        appointment.save(update_fields=["payment"])
        report.created["payments"] += 1
        if disputed:
            dispute = PaymentDispute.objects.create(
                payment=payment, raised_by=patient, status=DisputeStatus.PENDING,
                reason="Demo: I was charged twice for this visit.",
                payment_status_before=PaymentStatus.COMPLETED,
            )
            PaymentDisputeHistory.objects.create(
                dispute=dispute, from_status=None, to_status=DisputeStatus.PENDING,
                changed_by=patient,
            )
            report.created["payment disputes"] += 1


DEMO_WALLET_CREDIT = Decimal("5000.00")


def _ensure_wallet(patient: User, report: SeedReport) -> None:
    """A welcome credit in the demo patient's wallet, once, so paying by wallet can be tried."""
    if WalletEntry.objects.filter(user=patient, reason=WalletReason.ADJUSTMENT).exists():
        return
    wallet_credit(user=patient, amount=DEMO_WALLET_CREDIT, reason=WalletReason.ADJUSTMENT,
                  note="Demo welcome credit")
    report.created["wallet credits"] += 1


# --- entry point ----------------------------------------------------------------------


def demo_seed(*, password: str) -> SeedReport:
    """Create or bring up to date every demo row, in one transaction."""
    started = time.monotonic()
    report = SeedReport()
    specs_without_staff = [
        _org_spec(), *_doctor_specs(), *_patient_specs(), *_admin_specs(),
    ]
    all_emails = [spec["email"] for spec in specs_without_staff]
    all_emails += [staff_email(number) for number in range(1, len(STAFF) + 1)]
    with transaction.atomic():
        existing = {
            user.email: user
            for user in User.all_objects.filter(email__in=all_emails).select_for_update()
        }
        password_hash = _password_hash(password, (user.password for user in existing.values()))
        users = _ensure_users(specs_without_staff, existing, password_hash, report)
        facilities = _ensure_facilities(users[ORG_EMAIL], report)
        _ensure_users(_staff_specs(facilities), existing, password_hash, report)
        doctors = [users[doctor_email(number)] for number in range(1, len(DOCTORS) + 1)]
        doctors.append(users[UNVERIFIED_DOCTOR_EMAIL])
        _ensure_practice_links(doctors, facilities, report)
        _ensure_working_hours(doctors, report)
        doctor1_facility = facilities[0]
        _ensure_appointments(users[patient_email(1)], doctors[0], doctor1_facility, report)
        _ensure_records(users[patient_email(1)], doctors[0], report)
        _ensure_payments(users[patient_email(1)], doctors[0], doctor1_facility, report)
        _ensure_wallet(users[patient_email(1)], report)
    logger.info(
        "demo seed finished created=%s updated=%s seconds=%.2f", dict(report.created),
        dict(report.updated), time.monotonic() - started,
    )
    return report


def demo_logins() -> list[tuple[str, str]]:
    """(what, email) rows for the printed table of demo logins."""
    return [
        ("Patient", patient_email(1)),
        ("Doctor (PMDC verified)", doctor_email(1)),
        ("Doctor (awaiting PMDC)", UNVERIFIED_DOCTOR_EMAIL),
        ("Staff", staff_email(1)),
        ("Organization", ORG_EMAIL),
        ("Admin", ADMIN_EMAIL),
        ("Platform owner", OWNER_EMAIL),
    ]
