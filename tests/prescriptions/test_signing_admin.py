"""Admins reject signed prescriptions with an admin action that asks for a reason."""

from __future__ import annotations

import pytest
from django.urls import reverse

from apps.accounts.models import User
from apps.notifications.models import Notification
from apps.prescriptions import signing
from apps.prescriptions.models import ESignStatus, Prescription
from tests import factories
from tests.prescriptions.signing_support import logged_in, make_prescription

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:prescriptions_prescription_changelist")


def test_the_reject_action_asks_for_a_reason_then_rejects(doctor: User, patient: User) -> None:
    signed = signing.prescription_sign(
        doctor=doctor, prescription_id=make_prescription(doctor=doctor, patient=patient).pk)
    pending = make_prescription(doctor=doctor, patient=patient)
    admin = factories.AdminFactory()
    client = logged_in(admin)
    selection = {"action": "reject_prescriptions", "_selected_action": [signed.pk, pending.pk]}

    asked = client.post(CHANGELIST, selection)
    assert asked.status_code == 200
    assert "Reject prescriptions" in asked.content.decode()
    assert Prescription.objects.get(pk=signed.pk).e_sign_status == ESignStatus.SIGNED

    done = client.post(CHANGELIST, {**selection, "apply": "1", "reason": "Forged stamp"},
                       follow=True)

    assert done.status_code == 200
    page = done.content.decode()
    assert "1 prescription(s) rejected." in page
    assert "1 not rejected" in page
    signed.refresh_from_db()
    assert signed.e_sign_status == ESignStatus.REJECTED
    assert (signed.rejected_by_id, signed.rejection_reason) == (admin.pk, "Forged stamp")
    assert Prescription.objects.get(pk=pending.pk).e_sign_status == ESignStatus.PENDING
    assert Notification.objects.filter(user=doctor).count() == 1


def test_facility_staff_cannot_reach_the_admin_action(doctor: User, patient: User) -> None:
    signed = signing.prescription_sign(
        doctor=doctor, prescription_id=make_prescription(doctor=doctor, patient=patient).pk)

    response = logged_in(factories.StaffFactory()).post(CHANGELIST, {
        "action": "reject_prescriptions", "_selected_action": [signed.pk], "apply": "1",
        "reason": "x"})

    assert response.status_code == 302  # to the admin login
    assert Prescription.objects.get(pk=signed.pk).e_sign_status == ESignStatus.SIGNED
