"""Forms for planning a trial: the power calculation, an allocation, an analysis plan."""

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
    GovCheckboxesInput,
    GovRadioInput,
    GovSelect,
    GovSubmitInput,
    GovTextArea,
    GovTextInput,
)
from wtforms import RadioField, SelectField, SelectMultipleField, StringField, SubmitField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange, Optional, ValidationError

from core.forms import DayField, NumberField, WholeNumberField, choice_list, single_line
from trials import allocation as algorithm
from trials import plans
from trials import power as calc

STRATA_LABELS = {"district": "District", "phase": "Phase",
                 "size_band": "Size band: " + ", ".join(label for label, _low in algorithm.SIZE_BANDS) + " pupils"}


def show_error(form, error) -> None:
    """Put a service's message on the field it is about (the form's first field when it names none)."""
    field = getattr(form, error.field, None) if getattr(error, "field", None) else None
    if field is None or not hasattr(field, "errors"):
        field = next(f for f in form if f.name != "csrf_token")
    field.errors.append(str(error))


def _number(label, what, example, required=True, **kwargs):
    """A number field whose messages name ``what`` it holds and give an ``example``."""
    validators = [InputRequired(f"Enter the {what}, like {example}")] if required else [Optional()]
    return NumberField(label, widget=GovTextInput(), validators=validators,
                       invalid_message=f"Enter the {what} as a number, like {example}", **kwargs)


class PowerForm(FlaskForm):
    """The power calculation's inputs. Read from the address (GET): it changes nothing, so a result
    can be bookmarked or shared, and it carries no CSRF token."""

    class Meta:
        csrf = False

    baseline = _number("Baseline contacts per DSL", "baseline", "0.57",
                       description="Mean MASH contacts per DSL over the outcome window, without the training")
    dispersion = _number("Dispersion (k)", "dispersion", "4.3",
                         description="The negative binomial dispersion: the variance is mean + k × mean²")
    reduction = _number("Reduction hoped for (%)", "reduction hoped for", "20", description="For example, 20 for a fifth fewer contacts")
    alpha = _number("Significance level", "significance level", "0.05", description="Two-sided; usually 0.05")
    power = _number("Power", "power", "0.8", description="The chance of detecting the reduction if it is real; usually 0.8")
    icc = _number("ICC", "ICC", "0.05", required=False,
                  description="Optional: how alike DSLs in one school are (intra-class correlation), like 0.05")
    cluster_size = _number("Cluster size", "cluster size", "4.6", required=False, description="Optional: DSLs per school")
    per_arm = WholeNumberField("DSLs available in each arm", widget=GovTextInput(), validators=[Optional()],
                               invalid_message="Enter the DSLs available in each arm as a whole number, like 500",
                               description="Optional: to see the smallest reduction that many could detect")
    submit = SubmitField("Calculate", widget=GovSubmitInput())

    def design(self) -> calc.Design:
        def value(field):
            return float(field.data) if field.data is not None else None

        return calc.Design(value(self.baseline), value(self.dispersion), value(self.alpha), value(self.power),
                            value(self.icc), value(self.cluster_size))

    def validate(self, extra_validators=None) -> bool:
        """The form's checks, then the formula's own, each message on the field it is about."""
        if not super().validate(extra_validators):
            return False
        try:
            calc.sample_size(self.design(), float(self.reduction.data))
            if self.per_arm.data is not None:
                calc.min_detectable_reduction(self.design(), self.per_arm.data)
        except calc.PowerError as error:
            getattr(self, error.field or "baseline").errors.append(str(error))
            return False
        return True


class AllocationForm(FlaskForm):
    name = StringField("Name of the allocation", widget=GovTextInput(), description="For example, trial-2027",
                       validators=[single_line, InputRequired("Enter a name for the allocation"),
                                   Length(max=100, message="The name must be 100 characters or fewer")])
    design = RadioField("Design", widget=GovRadioInput(), default="parallel",
                        choices=choice_list(("parallel", "stepped-wedge"), {
                            "parallel": "Parallel arms: each school stays in its arm",
                            "stepped-wedge": "Stepped wedge: every school is trained, in waves (terms) in a random order"}))
    strata = SelectMultipleField("Stratify by", widget=GovCheckboxesInput(),
                                 choices=choice_list(algorithm.STRATA, STRATA_LABELS),
                                 description="Schools are randomised separately within each combination of "
                                             "these; choose none to randomise all schools together")
    arms = StringField("Arms (parallel arms only)", widget=GovTextInput(), default="control,intervention",
                       description="Names separated by commas, the comparison arm first", validators=[single_line])
    waves = StringField("Waves (stepped wedge only)", widget=GovTextInput(),
                        description="How many, like 3, or their names in the order they are trained, "
                                    "like autumn-2027,spring-2028,summer-2028", validators=[single_line])
    seed = WholeNumberField("Seed", widget=GovTextInput(),
                            invalid_message="Enter the seed as a whole number, like 2027",
                            description="A whole number. With the register, it reproduces the allocation: "
                                        "keep the one suggested or type your own",
                            validators=[InputRequired("Enter a seed, like 2027"),
                                        NumberRange(min=0, max=algorithm.MAX_SEED,
                                                    message=f"The seed must be from 0 to {algorithm.MAX_SEED:,}")])
    submit = SubmitField("Allocate schools", widget=GovSubmitInput())

    def validate_arms(self, field):
        if self.design.data != "stepped-wedge":
            self.arm_names = self._names(algorithm.parse_arms, field.data)

    def validate_waves(self, field):
        if self.design.data == "stepped-wedge":
            self.arm_names = self._names(algorithm.parse_waves, field.data)

    @staticmethod
    def _names(parse, text) -> list[str]:
        try:
            return parse(text)
        except algorithm.AllocationError as error:
            raise ValidationError(str(error))

    @property
    def chosen_strata(self) -> list[str]:
        return algorithm.parse_strata(",".join(self.strata.data or []))


class PlanForm(FlaskForm):
    """A draft analysis plan's choices; its name is given only when it is made (``named``)."""

    name = StringField("Name of the plan", widget=GovTextInput(), description="For example, trial-2027 plan",
                       validators=[single_line, InputRequired("Enter a name for the plan"),
                                   Length(max=100, message="The name must be 100 characters or fewer")])
    allocation_id = SelectField("Allocation the plan analyses", widget=GovSelect(), coerce=int,
                                validators=[InputRequired("Choose the allocation the plan analyses")])
    primary_outcome = RadioField("Primary outcome", widget=GovRadioInput(), choices=choice_list(plans.OUTCOMES,
                                 plans.OUTCOMES), validators=[InputRequired("Choose the primary outcome")])
    secondary_outcomes = SelectMultipleField("Secondary outcomes", widget=GovCheckboxesInput(),
                                             choices=choice_list(plans.OUTCOMES, plans.OUTCOMES),
                                             description="Reported, but not the test the trial stands or falls by")
    pre_start = DayField("Pre window: MASH records received from",
                         description="Optional; a pre-post model needs it. For example, 2026-09-01 or 01/09/2026")
    pre_end = DayField("Pre window: MASH records received to")
    outcome_start = DayField("Outcome window: MASH records received from",
                             validators=[InputRequired("Enter the start of the outcome window")])
    outcome_end = DayField("Outcome window: MASH records received to",
                           validators=[InputRequired("Enter the end of the outcome window")])
    model = RadioField("Model", widget=GovRadioInput(), choices=choice_list(plans.MODELS, plans.MODELS),
                       validators=[InputRequired("Choose the model")])
    covariates = SelectMultipleField("Covariates", widget=GovCheckboxesInput(),
                                     choices=choice_list(plans.COVARIATES, plans.COVARIATES))
    min_dsls_per_arm = WholeNumberField("Minimum DSLs in each arm", widget=GovTextInput(), default=30,
                                        invalid_message="Enter the minimum DSLs in each arm as a whole number, like 30",
                                        validators=[InputRequired("Enter the minimum DSLs in each arm, like 30")])
    min_schools_per_arm = WholeNumberField("Minimum schools in each arm", widget=GovTextInput(), default=5,
                                           invalid_message="Enter the minimum schools in each arm as a whole number, "
                                                           "like 5",
                                           validators=[InputRequired("Enter the minimum schools in each arm, like 5")])
    submit = SubmitField("Save the draft", widget=GovSubmitInput())

    def __init__(self, allocations, *args, named: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        if not named:
            del self.name
        self.allocation_id.choices = choice_list([a.id for a in allocations], {a.id: a.name for a in allocations})

    def choices(self) -> dict:
        """The keyword arguments of trials.plans.content."""
        pre = None
        if self.pre_start.data or self.pre_end.data:
            pre = (self.pre_start.day, self.pre_end.day)
        return {"primary_outcome": self.primary_outcome.data, "secondary_outcomes": self.secondary_outcomes.data,
                "pre_window": pre, "outcome_window": (self.outcome_start.day, self.outcome_end.day),
                "model": self.model.data, "covariates": self.covariates.data,
                "min_dsls_per_arm": self.min_dsls_per_arm.data, "min_schools_per_arm": self.min_schools_per_arm.data}

    @staticmethod
    def data_from(plan) -> dict:
        """A stored plan's choices as the form's data, for editing."""
        choices = plan.content
        pre = choices["pre_window"] or ["", ""]
        return {"allocation_id": plan.allocation_id, "primary_outcome": choices["primary_outcome"],
                "secondary_outcomes": choices["secondary_outcomes"], "pre_start": pre[0], "pre_end": pre[1],
                "outcome_start": choices["outcome_window"][0], "outcome_end": choices["outcome_window"][1],
                "model": choices["model"], "covariates": choices["covariates"],
                "min_dsls_per_arm": choices["min_dsls_per_arm"], "min_schools_per_arm": choices["min_schools_per_arm"]}


class AmendForm(FlaskForm):
    reason = TextAreaField("Why the plan is being amended", widget=GovTextArea(),
                           validators=[InputRequired("Give the reason for the amendment"),
                                       Length(max=2000, message="The reason must be 2,000 characters or fewer")])
    submit = SubmitField("Make a new version", widget=GovSubmitInput())


class LockForm(FlaskForm):
    submit = SubmitField("Lock the plan", widget=GovSubmitInput())
