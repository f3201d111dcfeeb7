"""Family history in Chromium: long unbroken names and conditions stay inside the page."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from apps.records.models import FamilyMedicalHistory, Relation
from tests import factories
from tests.browser_fixtures import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def overflows(page: Page, selector: str) -> list[bool]:
    return page.eval_on_selector_all(
        selector, "elements => elements.map(e => e.scrollWidth > e.clientWidth)"
    )


def test_a_255_character_name_and_a_long_condition_wrap_inside_their_cards(
    new_context: Callable[[], BrowserContext],
) -> None:
    patient = factories.PatientFactory.create()
    long_name = "W" * 255
    long_condition = "M" * 100
    parent = FamilyMedicalHistory.objects.create(
        patient=patient, relation=Relation.PARENT, relation_name=long_name,
        conditions=[long_condition], notes="N" * 2000,
    )
    FamilyMedicalHistory.objects.create(patient=patient, relation=Relation.SIBLING,
                                        relation_name="Bilal", conditions=[long_condition])
    page = new_context().new_page()
    page.set_viewport_size({"width": 800, "height": 900})
    log_in(page, patient.email)

    page.goto("/family-history/")

    expect(page.locator(".family-flags li")).to_contain_text(long_name)
    assert overflows(page, ".family-flags li") == [False]
    assert overflows(page, f"#relative-{parent.pk}, #relative-{parent.pk} dd") == [False] * 3
    assert page.evaluate(
        "document.documentElement.scrollWidth <= document.documentElement.clientWidth"
    )
