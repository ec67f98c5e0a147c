"""One form per material, made from its content fields, and the settings form."""

from functools import cache

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
    GovCheckboxInput,
    GovRadioInput,
    GovSubmitInput,
    GovTextArea,
    GovTextInput,
)
from wtforms import BooleanField, RadioField, StringField, SubmitField, TextAreaField
from wtforms.validators import InputRequired, Length, Regexp

from core.forms import choice_list
from materials.content import HAS_SCENARIOS, SCENARIO_COUNT, SERVICES, fields_for

SERVICE_LABELS = {"early_help": "Early Help", "dsl_infoline": "DSL Infoline", "mash": "MASH"}
PHONE = Regexp(r"^\+?[0-9][0-9 ()-]{5,18}[0-9]$", message="Enter a phone number using digits and spaces, like 01926 412412")


def _lower_first(text: str) -> str:
    """'Poster title' as 'poster title', but 'WHEN to call' and 'MASH' unchanged."""
    if text.startswith("The "):
        text = text[4:]
    return text[0].lower() + text[1:] if text[1:2].islower() else text


def _label(name: str, field) -> tuple[str, str]:
    """The field's label and the noun its error messages use."""
    for key, label in SERVICE_LABELS.items():
        if name.startswith(key + "_"):
            return f"{label}: {field.label}", f"{_lower_first(field.label)} for {label}"
    if name.startswith("scenario"):
        number = name[len("scenario")]
        return f"Example {number}: {field.label}", f"{_lower_first(field.label)} for example {number}"
    return field.label, _lower_first(field.label)


def _field(name: str, spec):
    label, noun = _label(name, spec)
    required = InputRequired(f"Enter the {noun}")
    limit = Length(max=spec.limit, message=f"The {noun} must be {spec.limit} characters or fewer")
    if name.endswith("_service"):
        return RadioField(label, widget=GovRadioInput(), choices=choice_list(SERVICES, SERVICE_LABELS),
                          validators=[InputRequired(f"Choose the right service for example {name[len('scenario')]}")])
    validators = [required, limit] + ([PHONE] if name.endswith("_phone") else [])
    if spec.multiline:
        return TextAreaField(label, widget=GovTextArea(), description=spec.hint, validators=validators)
    return StringField(label, widget=GovTextInput(), description=spec.hint, validators=validators)


@cache
def material_form_class(kind: str) -> type[FlaskForm]:
    """The edit form of ``kind``: a field for every text of its content."""
    attributes = {name: _field(name, spec) for name, spec in fields_for(kind)}
    attributes["submit"] = SubmitField("Save draft and preview", widget=GovSubmitInput())
    return type(f"MaterialForm_{kind.replace('-', '_')}", (FlaskForm,), attributes)


def field_groups(kind: str) -> list[tuple[str, list[str]]]:
    """The form's fields in fieldsets, each with its legend."""
    names = [name for name, _spec in fields_for(kind)]
    service_names = {f"{key}_" for key in SERVICES}
    general = [n for n in names if not n.startswith(tuple(service_names)) and not n.startswith("scenario")]
    groups = [("Headings and messages", general)]
    for key in SERVICES:
        groups.append((SERVICE_LABELS[key], [n for n in names if n.startswith(f"{key}_")]))
    if kind in HAS_SCENARIOS:
        for n in range(1, SCENARIO_COUNT + 1):
            groups.append((f"Worked example {n}: when and why", [x for x in names if x.startswith(f"scenario{n}_")]))
    return groups


class SettingsForm(FlaskForm):
    poster_public = BooleanField("Anyone may read and download the poster without signing in",
                                 widget=GovCheckboxInput(),
                                 description="The poster then has a public address you can share with schools.")
    submit = SubmitField("Save settings", widget=GovSubmitInput())


class PublishForm(FlaskForm):
    submit = SubmitField("Publish this version", widget=GovSubmitInput())
