"""Form pieces every package shares: choices in the WTForms 3.3 style, number and day fields whose
'not a valid value' message says what to enter, as the GOV.UK error pattern asks, and the form that
is only a button."""

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovSubmitInput, GovTextInput
from wtforms import DecimalField, IntegerField, SelectChoice, StringField, SubmitField
from wtforms.validators import ValidationError

from core.database import LARGEST_INTEGER
from core.timefmt import parse_day


def choice_list(values, labels=None, blank: str | None = None) -> list[SelectChoice]:
    """Choices for a select or radios, in the form WTForms 3.3 expects."""
    labels = labels or {}
    out = [SelectChoice("", blank)] if blank is not None else []
    return out + [SelectChoice(v, labels.get(v, v)) for v in values]


def single_line(form, field) -> None:
    """A one-line field refuses a line break (a browser's text box never sends one): a joining link or
    a name with CR or LF in it would break the calendar files, CSV rows and emails it goes into."""
    if isinstance(field.data, str) and ("\r" in field.data or "\n" in field.data):
        raise ValidationError(f"{field.label.text} must be on one line: remove the line breaks")


def _plain_number(text: str) -> str:
    """A number as typed, without what people add to it: 570,825, £570,825 and 12% read as numbers."""
    return text.strip().removeprefix("£").replace(",", "").rstrip("%").strip()


class WholeNumberField(IntegerField):
    """An IntegerField whose parse error is ``invalid_message``; "2,150" reads as 2150."""

    def __init__(self, label=None, validators=None, invalid_message="Enter a whole number", **kwargs):
        super().__init__(label, validators, **kwargs)
        self.invalid_message = invalid_message

    def process_formdata(self, valuelist):
        if valuelist and valuelist[0].strip():
            try:
                self.data = int(_plain_number(valuelist[0]))
            except ValueError:
                self.data = None
                raise ValueError(self.invalid_message)
            if abs(self.data) > LARGEST_INTEGER:
                self.data = None
                raise ValueError(f"{self.label.text} must be {LARGEST_INTEGER:,} or less")
        else:
            self.data = None


class NumberField(DecimalField):
    """A DecimalField whose parse error is ``invalid_message``; "£570,825" reads as 570825."""

    def __init__(self, label=None, validators=None, invalid_message="Enter a number", **kwargs):
        kwargs.setdefault("places", None)
        super().__init__(label, validators, **kwargs)
        self.invalid_message = invalid_message

    def process_formdata(self, valuelist):
        try:
            super().process_formdata([_plain_number(v) for v in valuelist] if valuelist else valuelist)
        except ValueError:
            raise ValueError(self.invalid_message)


class DayField(StringField):
    """A day typed as 2020-09-01 or 01/09/2020 (core.timefmt.parse_day); ``day`` holds it once valid.

    The text stays in ``data`` so that a wrong entry is shown back as typed."""

    def __init__(self, label=None, validators=None, invalid_message=None, **kwargs):
        kwargs.setdefault("description", "For example, 2020-09-01 or 01/09/2020")
        kwargs.setdefault("widget", GovTextInput())
        super().__init__(label, validators, **kwargs)
        self.invalid_message = invalid_message
        self.day = None

    def pre_validate(self, form):
        self.day = parse_day(self.data)
        if self.data and self.data.strip() and self.day is None:
            raise ValidationError(self.invalid_message
                                  or f"{self.label.text} must be a real date, like 2020-09-01 or 01/09/2020")


class ActionForm(FlaskForm):
    """A form that is only a button (and its CSRF token), for actions such as booking a place or
    making a new invitation link."""

    submit = SubmitField("Continue", widget=GovSubmitInput())
