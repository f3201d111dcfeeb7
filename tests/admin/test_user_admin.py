"""Users in admin: list, filters, search, actions, add and change forms, PHI logging."""

from __future__ import annotations

import pytest
from django.contrib.auth.hashers import check_password
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from apps.accounts.models import Role, User
from apps.audit.models import PhiAccessLog, PhiAction, PhiResource
from apps.core import crypto
from tests import factories
from tests.admin.conftest import patient_with_phi, phi_values

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:accounts_user_changelist")
ADD = reverse("admin:accounts_user_add")


def change_url(user: User) -> str:
    return reverse("admin:accounts_user_change", args=[user.pk])


def listed_ids(response) -> set[int]:
    return {user.pk for user in response.context["cl"].result_list}


def run_action(client: Client, action: str, users: list[User]):
    return client.post(
        CHANGELIST,
        {"action": action, "_selected_action": [user.pk for user in users]},
        follow=True,
    )


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


# --- list -----------------------------------------------------------------------------


def test_it_lists_soft_deleted_users_so_they_can_be_restored(owner_client: Client) -> None:
    alive = factories.PatientFactory.create()
    gone = factories.PatientFactory.create(deleted_at=timezone.now())

    response = owner_client.get(CHANGELIST)

    assert {alive.pk, gone.pk} <= listed_ids(response)


def test_it_filters_by_deleted_state_and_role(owner_client: Client) -> None:
    alive = factories.PatientFactory.create()
    gone = factories.PatientFactory.create(deleted_at=timezone.now())
    doctor = factories.DoctorFactory.create(pmdc_verified=False)

    deleted = listed_ids(owner_client.get(CHANGELIST, {"deleted": "yes"}))
    not_deleted = listed_ids(owner_client.get(CHANGELIST, {"deleted": "no"}))
    doctors = listed_ids(owner_client.get(CHANGELIST, {"role__exact": Role.DOCTOR}))
    unverified = listed_ids(owner_client.get(CHANGELIST, {"pmdc_verified__exact": "0"}))

    assert deleted == {gone.pk}
    assert alive.pk in not_deleted and gone.pk not in not_deleted
    assert doctors == {doctor.pk}
    assert doctor.pk in unverified


def test_it_searches_by_email_and_name(owner_client: Client) -> None:
    by_email = factories.PatientFactory.create(email="zarmeena.q@test.healthlink.pk")
    by_name = factories.PatientFactory.create(name="Gulalai Yousafzai-Test")
    factories.PatientFactory.create()

    assert listed_ids(owner_client.get(CHANGELIST, {"q": "zarmeena"})) == {by_email.pk}
    assert listed_ids(owner_client.get(CHANGELIST, {"q": "gulalai"})) == {by_name.pk}


def test_it_never_shows_phi_in_the_list_nor_filters_on_it(owner_client: Client) -> None:
    patient = patient_with_phi()

    response = owner_client.get(CHANGELIST)
    by_phone = owner_client.get(CHANGELIST, {"phone": str(patient.phone)})
    has_cnic = owner_client.get(CHANGELIST, {"cnic__isnull": "False"})

    html = response.content.decode()
    assert patient.email in html
    for value in phi_values(patient):
        assert value not in html
    assert by_phone.status_code == 400
    assert has_cnic.status_code == 400
    assert not PhiAccessLog.objects.exists()


def test_the_list_does_not_decrypt_phi(
    owner_client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    for _ in range(3):
        patient_with_phi()

    def refuse(stored: str) -> str:
        raise AssertionError("the user list decrypted a PHI column")

    monkeypatch.setattr(crypto, "decrypt", refuse)
    response = owner_client.get(CHANGELIST)

    assert response.status_code == 200
    assert len(response.context["cl"].result_list) == 4


def test_the_list_takes_a_constant_number_of_queries(
    owner_client: Client, django_assert_max_num_queries
) -> None:
    for _ in range(30):
        patient_with_phi()
    factories.DoctorFactory.create_batch(10)

    with django_assert_max_num_queries(6):
        response = owner_client.get(CHANGELIST)

    assert len(response.context["cl"].result_list) == 41  # with the owner


def test_it_paginates(owner_client: Client) -> None:
    factories.PatientFactory.create_batch(55)

    first = owner_client.get(CHANGELIST)
    second = owner_client.get(CHANGELIST, {"p": "2"})

    assert len(first.context["cl"].result_list) == 50
    assert len(second.context["cl"].result_list) == 6  # 55 patients + the owner


# --- actions --------------------------------------------------------------------------


def test_verify_pmdc_verifies_doctors_and_leaves_other_roles_alone(
    owner_client: Client,
) -> None:
    doctors = factories.DoctorFactory.create_batch(2, pmdc_verified=False)
    patient = factories.PatientFactory.create()

    response = run_action(owner_client, "verify_pmdc", [*doctors, patient])

    assert User.objects.filter(pk__in=[d.pk for d in doctors], pmdc_verified=True).count() == 2
    patient.refresh_from_db()
    assert patient.pmdc_verified is False
    assert messages_of(response) == [
        "Verified the PMDC licenses of 2 doctors.",
        "1 selected user is not a doctor and was left unchanged.",
    ]


def test_soft_delete_then_restore(owner_client: Client) -> None:
    patients = factories.PatientFactory.create_batch(3)

    deleted = run_action(owner_client, "soft_delete", patients)

    assert messages_of(deleted) == ["Soft-deleted 3 users; they can no longer log in."]
    assert User.objects.filter(pk__in=[p.pk for p in patients]).count() == 0
    assert User.all_objects.filter(pk__in=[p.pk for p in patients],
                                   deleted_at__isnull=False).count() == 3

    restored = run_action(owner_client, "restore", patients[:2])

    assert messages_of(restored) == ["Restored 2 users."]
    assert User.objects.filter(pk__in=[p.pk for p in patients]).count() == 2


def test_a_soft_deleted_user_cannot_log_in_until_restored(owner_client: Client) -> None:
    patient = factories.PatientFactory.create()
    run_action(owner_client, "soft_delete", [patient])
    other = Client()

    assert not other.login(username=patient.email, password=factories.TEST_PASSWORD)

    run_action(owner_client, "restore", [patient])

    assert other.login(username=patient.email, password=factories.TEST_PASSWORD)


def test_an_admin_cannot_soft_delete_themselves(admin_client_: Client, admin_user: User) -> None:
    patient = factories.PatientFactory.create()

    response = run_action(admin_client_, "soft_delete", [admin_user, patient])

    admin_user.refresh_from_db()
    assert admin_user.deleted_at is None
    assert messages_of(response) == [
        "Soft-deleted 1 user; they can no longer log in.",
        "You cannot delete your own account; it was left unchanged.",
    ]


def test_an_admin_cannot_touch_a_platform_owner(admin_client_: Client) -> None:
    owner = factories.PlatformOwnerFactory.create()
    gone_owner = factories.PlatformOwnerFactory.create(deleted_at=timezone.now())

    deleted = run_action(admin_client_, "soft_delete", [owner])
    restored = run_action(admin_client_, "restore", [gone_owner])
    post = admin_client_.post(change_url(owner), {"email": owner.email, "name": "Changed",
                                                  "role": Role.PLATFORM_OWNER})
    password = admin_client_.get(reverse("admin:auth_user_password_change", args=[owner.pk]))

    owner.refresh_from_db()
    gone_owner.refresh_from_db()
    assert owner.deleted_at is None and owner.name != "Changed"
    assert gone_owner.deleted_at is not None
    assert "1 platform owner account was left unchanged" in messages_of(deleted)[0]
    assert "1 platform owner account was left unchanged" in messages_of(restored)[0]
    assert post.status_code == 403
    assert password.status_code == 403


def test_a_platform_owner_can_soft_delete_an_admin(owner_client: Client) -> None:
    admin = factories.AdminFactory.create()

    run_action(owner_client, "soft_delete", [admin])

    admin.refresh_from_db()
    assert admin.deleted_at is not None


def test_users_cannot_be_hard_deleted(owner_client: Client) -> None:
    patient = factories.PatientFactory.create()

    page = owner_client.get(CHANGELIST)
    delete = owner_client.post(reverse("admin:accounts_user_delete", args=[patient.pk]),
                               {"post": "yes"})

    assert "delete_selected" not in dict(page.context["action_form"].fields["action"].choices)
    assert delete.status_code == 403
    assert User.objects.filter(pk=patient.pk).exists()


def test_actions_write_admin_log_entries(owner_client: Client, owner: User) -> None:
    from django.contrib.admin.models import LogEntry

    doctor = factories.DoctorFactory.create(pmdc_verified=False)

    run_action(owner_client, "verify_pmdc", [doctor])

    entry = LogEntry.objects.get(object_id=str(doctor.pk))
    assert entry.user_id == owner.pk
    assert entry.get_change_message() == "Verified the PMDC license."


# --- add form -------------------------------------------------------------------------


def test_it_creates_a_user_by_email_with_a_hashed_password(owner_client: Client) -> None:
    response = owner_client.post(ADD, {
        "email": " New.Doctor@Test.HealthLink.pk ", "name": "Dr New", "role": Role.DOCTOR,
        "password1": "a-long-secret-phrase", "password2": "a-long-secret-phrase",
    })

    user = User.objects.get(email="new.doctor@test.healthlink.pk")
    assert response.status_code == 302
    assert response["Location"] == change_url(user)
    assert user.password != "a-long-secret-phrase"  # noqa: S105 - stored hashed
    assert check_password("a-long-secret-phrase", user.password)


def test_the_add_form_refuses_mismatched_passwords_and_a_taken_email(
    owner_client: Client,
) -> None:
    taken = factories.PatientFactory.create(deleted_at=timezone.now())

    mismatch = owner_client.post(ADD, {
        "email": "fresh@test.healthlink.pk", "name": "X", "role": Role.PATIENT,
        "password1": "a-long-secret-phrase", "password2": "another-long-phrase",
    })
    duplicate = owner_client.post(ADD, {
        "email": taken.email.upper(), "name": "X", "role": Role.PATIENT,
        "password1": "a-long-secret-phrase", "password2": "a-long-secret-phrase",
    })

    assert mismatch.status_code == 200
    assert "password2" in mismatch.context["adminform"].form.errors
    assert duplicate.status_code == 200
    assert duplicate.context["adminform"].form.errors["email"] == [
        "An account with this email address already exists."
    ]


def test_the_add_form_has_no_phi_fields(owner_client: Client) -> None:
    form = owner_client.get(ADD).context["adminform"].form

    assert set(form.fields) == {"email", "name", "role", "password1", "password2"}


def test_an_admin_cannot_create_a_platform_owner(admin_client_: Client) -> None:
    data = {"email": "boss@test.healthlink.pk", "name": "Boss", "role": Role.PLATFORM_OWNER,
            "password1": "a-long-secret-phrase", "password2": "a-long-secret-phrase"}

    by_admin = admin_client_.post(ADD, data)

    assert by_admin.status_code == 200
    assert "role" in by_admin.context["adminform"].form.errors
    assert not User.objects.filter(email="boss@test.healthlink.pk").exists()


def test_a_platform_owner_can_create_a_platform_owner(owner_client: Client) -> None:
    owner_client.post(ADD, {
        "email": "boss@test.healthlink.pk", "name": "Boss", "role": Role.PLATFORM_OWNER,
        "password1": "a-long-secret-phrase", "password2": "a-long-secret-phrase",
    })

    assert User.objects.get(email="boss@test.healthlink.pk").role == Role.PLATFORM_OWNER


# --- change form ----------------------------------------------------------------------


def _change_data(user: User, **overrides: object) -> dict[str, object]:
    data: dict[str, object] = {
        "email": user.email, "name": user.name, "role": user.role,
        "is_verified": "on" if user.is_verified else "", "time_zone": user.time_zone,
        "phone": user.phone or "", "cnic": user.cnic or "", "allergies": user.allergies or "",
        "emergency_contact": user.emergency_contact or "",
        "pmdc_verified": "on" if user.pmdc_verified else "",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value != ""}


def test_opening_a_change_form_with_phi_logs_a_view(
    owner_client: Client, owner: User
) -> None:
    patient = patient_with_phi()

    response = owner_client.get(change_url(patient))

    html = response.content.decode()
    assert str(patient.cnic) in html
    entry = PhiAccessLog.objects.get()
    assert (entry.actor_id, entry.action, entry.resource_type, entry.resource_id,
            entry.reason) == (owner.pk, PhiAction.VIEW, PhiResource.PATIENT_PROFILE,
                              patient.pk, "admin")


def test_opening_a_change_form_without_phi_logs_nothing(owner_client: Client) -> None:
    doctor = factories.DoctorFactory.create()

    response = owner_client.get(change_url(doctor))

    assert response.status_code == 200
    assert not PhiAccessLog.objects.exists()


def test_saving_a_change_form_logs_an_update_and_stores_phi_encrypted(
    owner_client: Client, owner: User
) -> None:
    patient = factories.PatientFactory.create()

    response = owner_client.post(change_url(patient), _change_data(
        patient, phone="+92 300 1234567", cnic="3520212345671", allergies="Latex (test)",
    ))

    assert response.status_code == 302
    patient.refresh_from_db()
    assert (patient.phone, patient.cnic) == ("+923001234567", "35202-1234567-1")
    entry = PhiAccessLog.objects.get()
    assert (entry.action, entry.resource_id) == (PhiAction.UPDATE, patient.pk)
    with connection.cursor() as cursor:
        cursor.execute("SELECT phone, cnic, allergies FROM users WHERE id = %s", [patient.pk])
        raw = cursor.fetchone()
    assert all(value.startswith("v1:") for value in raw)
    assert "1234567" not in "".join(raw)


@pytest.mark.parametrize(("field", "value", "error"), [
    ("cnic", "12345", "A CNIC has 13 digits, written #####-#######-#."),
    ("phone", "0300-1234567", "Enter the number in international form, e.g. +923001234567."),
])
def test_the_change_form_explains_malformed_phi(
    owner_client: Client, field: str, value: str, error: str
) -> None:
    patient = factories.PatientFactory.create()

    response = owner_client.post(change_url(patient), _change_data(patient, **{field: value}))

    assert response.status_code == 200
    assert response.context["adminform"].form.errors[field] == [error]


def test_the_change_form_refuses_a_cnic_another_user_holds(owner_client: Client) -> None:
    holder = patient_with_phi(deleted_at=timezone.now())
    patient = factories.PatientFactory.create()

    response = owner_client.post(change_url(patient), _change_data(
        patient, cnic=str(holder.cnic).replace("-", "")
    ))

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["cnic"] == [
        "An account with this CNIC already exists."
    ]


def test_the_change_form_refuses_a_pmdc_number_a_deleted_doctor_holds(
    owner_client: Client,
) -> None:
    holder = factories.DoctorFactory.create(deleted_at=timezone.now())
    doctor = factories.DoctorFactory.create()

    response = owner_client.post(change_url(doctor), _change_data(
        doctor, pmdc_license_number=str(holder.pmdc_license_number).lower(),
        specialty="General Physician",
    ))

    assert response.status_code == 200
    assert "pmdc_license_number" in response.context["adminform"].form.errors


def test_the_change_form_links_to_the_set_password_page(owner_client: Client) -> None:
    patient = factories.PatientFactory.create()
    password_url = reverse("admin:auth_user_password_change", args=[patient.pk])

    html = owner_client.get(change_url(patient)).content.decode()
    page = owner_client.get(password_url)
    saved = owner_client.post(password_url, {
        "password1": "brand-new-phrase-42", "password2": "brand-new-phrase-42",
        "usable_password": "true",
    })

    assert 'href="../password/"' in html
    assert page.status_code == 200
    assert saved.status_code == 302
    patient.refresh_from_db()
    assert check_password("brand-new-phrase-42", patient.password)


def test_an_admin_sees_a_platform_owner_read_only(admin_client_: Client) -> None:
    owner = factories.PlatformOwnerFactory.create()

    response = admin_client_.get(change_url(owner))

    assert response.status_code == 200
    assert response.context["has_change_permission"] is False


def test_a_deleted_user_opens_in_the_change_form(owner_client: Client) -> None:
    gone = factories.PatientFactory.create(deleted_at=timezone.now())

    assert owner_client.get(change_url(gone)).status_code == 200


def test_an_admin_cannot_promote_someone_to_platform_owner(admin_client_: Client) -> None:
    patient = factories.PatientFactory.create()

    response = admin_client_.post(change_url(patient), _change_data(
        patient, role=Role.PLATFORM_OWNER
    ))

    patient.refresh_from_db()
    assert response.status_code == 200
    assert patient.role == Role.PATIENT
