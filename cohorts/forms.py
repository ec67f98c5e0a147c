"""Forms for defining a cohort, recomputing its membership, the report's options, the linkage
page's filters and mapping a referrer email to a DSL (an alias)."""

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
    GovCheckboxesInput,
    GovCheckboxInput,
    GovRadioInput,
    GovSelect,
    GovSubmitInput,
    GovTextInput,
)
from wtforms import (
    BooleanField,
    HiddenField,
    RadioField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
)
from wtforms.validators import InputRequired, Length, NumberRange, Optional, ValidationError

from core.forms import DayField, NumberField, WholeNumberField, choice_list, single_line
from core.timefmt import uk_date


def _required(what):
    return InputRequired(f"Enter the {what}")


class CohortForm(FlaskForm):
    name = StringField("Cohort name", widget=GovTextInput(), description="For example, autumn-2020",
                       validators=[single_line, InputRequired("Enter a name for the cohort"),
                                   Length(max=100, message="The name must be 100 characters or fewer")])
    courses = SelectMultipleField("Courses that count as the training", widget=GovCheckboxesInput(),
                                  validators=[InputRequired("Choose at least one course")])
    exposure_start = DayField("Exposure window: first session day from", validators=[_required("start of the exposure window")])
    exposure_end = DayField("Exposure window: first session day to", validators=[_required("end of the exposure window")])
    outcome_start = DayField("Outcome window: MASH records received from", validators=[_required("start of the outcome window")])
    outcome_end = DayField("Outcome window: MASH records received to", validators=[_required("end of the outcome window")])
    # No Optional() here: it would stop validation of an empty field before the both-or-neither check.
    pre_start = DayField("Pre-period (optional): from",
                         description="Calls before training, for the difference in differences. For example, "
                                     "2019-09-01 or 01/09/2019")
    pre_end = DayField("Pre-period (optional): to")
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

    def validate_pre_end(self, field):
        given = [bool((f.data or "").strip()) for f in (self.pre_start, field)]
        if given[0] != given[1] and not self.pre_start.errors:
            raise ValidationError("Enter both the start and the end of the pre-period, or neither")
        if self.pre_start.day and field.day and self.pre_start.day > field.day:
            raise ValidationError("The pre-period must end on or after its start")

    @property
    def pre(self):
        """The pre-period as a pair of dates, or None when it was left out."""
        return (self.pre_start.day, self.pre_end.day) if self.pre_start.day and self.pre_end.day else None


class TrialCohortForm(FlaskForm):
    """A trial's intention-to-treat cohort: the allocation whose arms make the groups, the outcome
    window and, optionally, what counts as attending (for the per-protocol analysis)."""

    name = StringField("Cohort name", widget=GovTextInput(), description="For example, trial-2027-itt",
                       validators=[InputRequired("Enter a name for the cohort"),
                                   Length(max=100, message="The name must be 100 characters or fewer")])
    trial = SelectField("Allocation", widget=GovSelect(), validate_choice=False,
                        description="Treatment is every DSL of a school in an intervention arm, whether or not "
                                    "they attended; comparison is every DSL of a control school",
                        validators=[InputRequired("Choose the allocation the cohort follows")])
    outcome_start = DayField("Outcome window: MASH records received from", validators=[_required("start of the outcome window")])
    outcome_end = DayField("Outcome window: MASH records received to", validators=[_required("end of the outcome window")])
    pre_start = DayField("Pre-period (optional): from",
                         description="Calls before the trial, for the difference in differences. For example, "
                                     "2019-09-01 or 01/09/2019")
    pre_end = DayField("Pre-period (optional): to")
    courses = SelectMultipleField("Courses that count as attending (optional)", widget=GovCheckboxesInput(),
                                  description="For the per-protocol analysis. If you choose none: induction and "
                                              "refresher")
    exposure_start = DayField("Attendance counts from (optional)",
                              description="If you leave both empty: from the day of the draw to the outcome end. "
                                          "For example, 2027-01-04 or 04/01/2027")
    exposure_end = DayField("Attendance counts to (optional)")
    submit = SubmitField("Create the trial's cohort", widget=GovSubmitInput())

    validate_pre_end = CohortForm.validate_pre_end

    def __init__(self, allocations, course_codes, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.trial.choices = [SelectChoice("", "Choose an allocation")] + [SelectChoice(name, name)
                                                                             for name in allocations]
        self.courses.choices = choice_list(course_codes)

    def validate_trial(self, field):
        if field.data and field.data not in {c.value for c in field.choices}:
            raise ValidationError("Choose an allocation from the list")

    def validate_outcome_end(self, field):
        if self.outcome_start.day and field.day and self.outcome_start.day > field.day:
            raise ValidationError("The outcome window must end on or after its start")

    def validate_exposure_end(self, field):
        given = [bool((f.data or "").strip()) for f in (self.exposure_start, field)]
        if given[0] != given[1] and not self.exposure_start.errors:
            raise ValidationError("Enter both days attendance counts between, or neither")
        if self.exposure_start.day and field.day and self.exposure_start.day > field.day:
            raise ValidationError("Attendance must count to a day on or after the day it counts from")

    @property
    def pre(self):
        return (self.pre_start.day, self.pre_end.day) if self.pre_start.day and self.pre_end.day else None

    @property
    def exposure(self):
        return (self.exposure_start.day, self.exposure_end.day) if self.exposure_start.day and self.exposure_end.day \
            else None


class ReportOptionsForm(FlaskForm):
    """Options read from the address (GET), so a report view can be bookmarked; it changes nothing,
    so it carries no CSRF token."""

    class Meta:
        csrf = False

    annual_calls = WholeNumberField(
        "Non-urgent calls from schools to the MASH a year", widget=GovTextInput(),
        description="The projection's base: the MASH's count for one year of non-urgent contacts from schools, "
                    "the only calls a DSL's training can change. Not every call from every source. For example, 2,150",
        invalid_message="Enter the calls a year as a whole number, like 2,150",
        validators=[Optional(), NumberRange(min=1, message="Calls a year must be 1 or more")])
    annual_cost = NumberField("What those calls cost a year", widget=GovTextInput(),
                              description="In pounds, for example £570,825",
                              invalid_message="Enter the cost a year as an amount in pounds, like £570,825",
                              validators=[Optional(), NumberRange(min=0, message="The cost must be £0 or more")])
    optimism_bias = NumberField(
        "Optimism bias (%)", widget=GovTextInput(),
        description="The share of the projected calls avoided to take off, as HM Treasury's Green Book advises for "
                    "a projection that may overstate. Leave it empty for 0%.",
        invalid_message="Enter the optimism bias as a percentage from 0 to 100, like 20",
        validators=[Optional(), NumberRange(min=0, max=100, message="The optimism bias must be from 0%% to 100%%")])
    suppress = BooleanField("Suppress small numbers for publication", widget=GovCheckboxInput(),
                            description="Counts of 1 to 4 shown as c, other counts rounded to the nearest 5")
    submit = SubmitField("Update the report", widget=GovSubmitInput())

    def validate_annual_cost(self, field):
        if (field.data is None) != (self.annual_calls.data is None) and not self.annual_calls.errors:
            raise ValidationError("Enter both the calls a year and their cost, or neither")


class LinkageFilterForm(FlaskForm):
    """The linkage page's filters, read from the address (GET) so a filtered view can be kept as a
    link; it changes nothing, so it carries no CSRF token. Its button is drawn by the page, so that
    it does not share an id with the page's other forms' buttons."""

    class Meta:
        csrf = False

    source = SelectField("Source", widget=GovSelect(), validate_choice=False)
    batch = SelectField("Import batch", widget=GovSelect(), validate_choice=False)

    def __init__(self, sources, batches, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.source.choices = choice_list(sources, blank="All sources")
        self.batch.choices = [SelectChoice("", "All import batches")] + [
            SelectChoice(str(b.id), f"Batch {b.id}: {b.filename} ({b.kind}, {uk_date(b.imported_at)})") for b in batches]

    # Choices are checked here, not by WTForms, so that a stale or hand-made link gets a message
    # that says what to do.
    def validate_source(self, field):
        if field.data and field.data not in {c.value for c in field.choices}:
            raise ValidationError("Choose a source from the list: no MASH record has that source")

    def validate_batch(self, field):
        if field.data and field.data not in {c.value for c in field.choices}:
            raise ValidationError("Choose an import batch from the list: there is no MASH or Early Help batch with that number")


class AliasSearchForm(FlaskForm):
    """Which referrer email to map, and a search of the register for the DSL it belongs to (GET:
    searching changes nothing). Its button is drawn by the page, as for the linkage filters."""

    class Meta:
        csrf = False

    email = StringField("Referrer email to map", widget=GovTextInput(),
                        validators=[single_line, InputRequired("Enter the referrer email to map"),
                                    Length(max=254, message="The email must be 254 characters or fewer")])
    q = StringField("Search the DSL register", widget=GovTextInput(), description="A name, an email or a school",
                    validators=[single_line, InputRequired("Enter a name, an email or a school to search the register for"),
                                Length(max=200, message="The search must be 200 characters or fewer")])


class AliasChoiceForm(FlaskForm):
    email = HiddenField()
    dsl = RadioField("Which DSL does this email belong to?", widget=GovRadioInput(), validate_choice=False,
                     validators=[InputRequired("Choose the DSL this email belongs to")])
    submit = SubmitField("Continue", widget=GovSubmitInput())

    def __init__(self, dsls, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.dsl.choices = [SelectChoice(str(d.id), f"{d.name}, {d.email}, {d.school.name} (URN {d.school.urn})")
                            for d in dsls]


class AliasConfirmForm(FlaskForm):
    email = HiddenField()
    dsl = HiddenField()
    submit = SubmitField("Map the email and relink its records", widget=GovSubmitInput())
