"""The relative form: lists of conditions typed as text, parsed here; services decide."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from apps.accounts.forms import validate_person_name
from apps.core.text import has_bidi_controls
from apps.records.models import Relation

MAX_TERMS = 20
MAX_TERM_LENGTH = 100
MAX_TERMS_TEXT = 4000
NAME_MAX_LENGTH = 255
NOTES_MAX_LENGTH = 2000
MAX_AGE = 150

_SEPARATORS = re.compile(r"[,;\r\n]+")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
# Like the account forms (names): text-direction controls, which reorder what a reader sees
# after them, are refused rather than silently dropped.
BIDI_MESSAGE = _("Remove the invisible text-direction characters from this text.")


def refuse_bidi_controls(value: str) -> None:
    if has_bidi_controls(value):
        raise ValidationError(BIDI_MESSAGE, code="bidi_controls")


def normalize_term(value: str) -> str:
    """One entry as shown: control characters gone, runs of whitespace made one space."""
    return " ".join(_CONTROL.sub(" ", value).split())


def split_terms(text: str) -> list[str]:
    """`"Diabetes, asthma\\n diabetes"` → `["Diabetes", "asthma"]`: trimmed, first spelling kept."""
    terms: list[str] = []
    seen: set[str] = set()
    for raw in _SEPARATORS.split(text):
        term = normalize_term(raw)
        if term and term.casefold() not in seen:
            seen.add(term.casefold())
            terms.append(term)
    return terms


class TermListField(forms.Field):
    """A list of short entries, typed separated by commas or on separate lines."""

    widget = forms.Textarea(attrs={"rows": 2})
    default_error_messages = {
        "too_long_text": _("This list is too long."),
        "too_many": ngettext_lazy(
            "List at most %(max)d entry.", "List at most %(max)d entries.", "max"
        ),
        "term_too_long": ngettext_lazy(
            "Each entry can be at most %(max)d character long; shorten “%(term)s”.",
            "Each entry can be at most %(max)d characters long; shorten “%(term)s”.",
            "max",
        ),
    }

    def to_python(self, value: Any) -> list[str]:
        if value in self.empty_values:
            return []
        if isinstance(value, list | tuple):
            value = "\n".join(str(item) for item in value)
        text = str(value)
        if len(text) > MAX_TERMS_TEXT:
            raise ValidationError(self.error_messages["too_long_text"], code="too_long_text")
        refuse_bidi_controls(text)
        terms = split_terms(text)
        if len(terms) > MAX_TERMS:
            raise ValidationError(
                self.error_messages["too_many"], code="too_many", params={"max": MAX_TERMS}
            )
        for term in terms:
            if len(term) > MAX_TERM_LENGTH:
                raise ValidationError(
                    self.error_messages["term_too_long"], code="term_too_long",
                    params={"max": MAX_TERM_LENGTH, "term": term[:30] + "…"},
                )
        return terms

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, list | tuple):
            return "\n".join(value)
        return value


_LIST_HELP = _("Separate entries with commas or put each on its own line.")


class FamilyMemberForm(forms.Form):
    relation = forms.ChoiceField(
        label=_("Relation"), choices=[("", _("Choose a relation")), *Relation.choices]
    )
    relation_name = forms.CharField(
        label=_("Name (optional)"), max_length=NAME_MAX_LENGTH, required=False,
        validators=[validate_person_name],
    )
    age = forms.IntegerField(
        label=_("Age (optional)"), min_value=0, max_value=MAX_AGE, required=False,
        help_text=_("Their age now, or the age they died at."),
    )
    is_deceased = forms.BooleanField(label=_("Deceased"), required=False)
    conditions = TermListField(label=_("Conditions"), required=False, help_text=_LIST_HELP)
    chronic_diseases = TermListField(
        label=_("Chronic diseases"), required=False, help_text=_LIST_HELP
    )
    genetic_conditions = TermListField(
        label=_("Genetic conditions"), required=False, help_text=_LIST_HELP
    )
    notes = forms.CharField(
        label=_("Notes (optional)"), max_length=NOTES_MAX_LENGTH, required=False,
        widget=forms.Textarea(attrs={"rows": 3}), validators=[refuse_bidi_controls],
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)

    def clean_relation_name(self) -> str:
        return normalize_term(self.cleaned_data["relation_name"])

    def clean_notes(self) -> str:
        return str(self.cleaned_data["notes"]).strip()
