"""Simultaneous additions of a relative: a cap holds even when every request reads at once."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from apps.records import family_services
from apps.records.models import FamilyMedicalHistory, Relation
from tests import factories
from tests.concurrency import race

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


def test_concurrent_additions_cannot_pass_the_parent_cap() -> None:
    patient = factories.PatientFactory.create()
    cap = family_services.MAX_PER_RELATION[Relation.PARENT]
    for n in range(cap - 1):
        FamilyMedicalHistory.objects.create(patient=patient, relation=Relation.PARENT,
                                            relation_name=f"P{n}")

    def add() -> FamilyMedicalHistory:
        return family_services.family_member_add(
            actor=patient, relation=Relation.PARENT, relation_name="Late", age=None,
            is_deceased=False, conditions=[], chronic_diseases=[], genetic_conditions=[],
            notes="",
        )

    results = race([add] * 4)

    added = [result for result in results if isinstance(result, FamilyMedicalHistory)]
    refused = [result for result in results if isinstance(result, ValidationError)]
    assert (len(added), len(refused)) == (1, 3), results
    assert FamilyMedicalHistory.objects.filter(patient=patient, relation=Relation.PARENT
                                               ).count() == cap
