"""Forms for planning a trial: the power calculation, an allocation, an analysis plan."""

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovCheckboxesInput, GovRadioInput, GovSubmitInput, GovTextInput
from wtforms import RadioField, SelectMultipleField, StringField, SubmitField
from wtforms.validators import InputRequired, Length, NumberRange, Optional, ValidationError

from core.forms import NumberField, WholeNumberField, choice_list
from trials import allocation as algorithm
from trials import power as calc

STRATA_LABELS = {"district": "District", "phase": "Phase",
                 "size_band": "Size band: " + ", ".join(label for label, _low in algorithm.SIZE_BANDS) + " pupils"}


def show_error(form, error) -> None:
    """Put a service's message on the field it is about (the form's ``name`` when it names none)."""
    field = getattr(form, error.field, None) if getattr(error, "field", None) else None
    (field if field is not None and hasattr(field, "errors") else form.name).errors.append(str(error))


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
                       validators=[InputRequired("Enter a name for the allocation"),
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
                       description="Names separated by commas, the comparison arm first")
    waves = StringField("Waves (stepped wedge only)", widget=GovTextInput(),
                        description="How many, like 3, or their names in the order they are trained, "
                                    "like autumn-2027,spring-2028,summer-2028")
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
