"""The one shape of a refusal a user can act on, and how a form shows it."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


class RuleError(Exception):
    """A change the rules refuse. `message` is safe to show; `field` names the form field."""

    default_message: str | Promise = _("This change could not be saved.")
    field: str | None = None

    def __init__(self, message: Any = None, field: str | None = None) -> None:
        # A str or a lazy translation: Any, as forms and messages take either.
        self.message: Any = message if message is not None else self.default_message
        if field is not None:
            self.field = field
        super().__init__(str(self.message))


def form_add_rule_error(form: forms.BaseForm, error: RuleError) -> None:
    """Show `error` on its field when the form has it, else above the form."""
    form.add_error(error.field if error.field in form.fields else None, error.message)
