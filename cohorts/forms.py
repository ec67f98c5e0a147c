"""Forms for defining a cohort, recomputing its membership and the report's options."""

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovCheckboxesInput, GovCheckboxInput, GovSubmitInput, GovTextInput
from wtforms import BooleanField, SelectMultipleField, StringField, SubmitField
from wtforms.validators import InputRequired, Length, NumberRange, Optional, ValidationError

from core.forms import DayField, NumberField, WholeNumberField, choice_list


def _required(what):
    return InputRequired(f"Enter the {what}")


class CohortForm(FlaskForm):
    name = StringField("Cohort name", widget=GovTextInput(), description="For example, autumn-2020",
                       validators=[InputRequired("Enter a name for the cohort"),
                                   Length(max=100, message="The name must be 100 characters or fewer")])
    courses = SelectMultipleField("Courses that count as the training", widget=GovCheckboxesInput(),
                                  validators=[InputRequired("Choose at least one course")])
    exposure_start = DayField("Exposure window: first session day from", validators=[_required("start of the exposure window")])
    exposure_end = DayField("Exposure window: first session day to", validators=[_required("end of the exposure window")])
    outcome_start = DayField("Outcome window: MASH records received from", validators=[_required("start of the outcome window")])
    outcome_end = DayField("Outcome window: MASH records received to", validators=[_required("end of the outcome window")])
    submit = SubmitField("Create cohort", widget=GovSubmitInput())

    def __init__(self, course_codes, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.courses.choices = choice_list(course_codes)

    def validate_exposure_end(self, field):
        if self.exposure_start.day and field.day and self.exposure_start.day > field.day:
            raise ValidationError("The exposure window must end on or after its start")

    def validate_outcome_end(self, field):
        if self.outcome_start.day and field.day and self.outcome_start.day > field.day:
            raise ValidationError("The outcome window must end on or after its start")


class ReportOptionsForm(FlaskForm):
    """Options read from the address (GET), so a report view can be bookmarked; it changes nothing,
    so it carries no CSRF token."""

    class Meta:
        csrf = False

    annual_calls = WholeNumberField("Calls a year that result in no further action", widget=GovTextInput(),
                                    invalid_message="Enter the calls a year as a whole number, like 2150",
                                    validators=[Optional(), NumberRange(min=1, message="Calls a year must be 1 or more")])
    annual_cost = NumberField("What those calls cost a year (£)", widget=GovTextInput(),
                              invalid_message="Enter the cost a year as a number, like 570825",
                              validators=[Optional(), NumberRange(min=0, message="The cost must be 0 or more")])
    suppress = BooleanField("Suppress small numbers for publication", widget=GovCheckboxInput(),
                            description="Counts of 1 to 4 shown as c, other counts rounded to the nearest 5")
    submit = SubmitField("Update the report", widget=GovSubmitInput())

    def validate_annual_cost(self, field):
        if (field.data is None) != (self.annual_calls.data is None) and not self.annual_calls.errors:
            raise ValidationError("Enter both the calls a year and their cost, or neither")
