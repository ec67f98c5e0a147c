"""Forms for signing in, accounts, schools and DSLs."""

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
    GovCheckboxInput,
    GovPasswordInput,
    GovRadioInput,
    GovSelect,
    GovSubmitInput,
    GovTextInput,
)
from wtforms import BooleanField, PasswordField, RadioField, SelectField, StringField, SubmitField
from wtforms.validators import Email, EqualTo, InputRequired, Length, NumberRange, Optional, ValidationError

from core.auth import ROLE_LABELS, ROLES
from core.forms import NumberField, WholeNumberField, choice_list, single_line
from people.models import DSL_ROLES, PHASES
from people.services import MIN_PASSWORD_LENGTH


def strip(value):
    return value.strip() if isinstance(value, str) else value


class LoginForm(FlaskForm):
    email = StringField("Email address", widget=GovTextInput(),
                        validators=[single_line, InputRequired("Enter your email address"), Length(max=254)])
    password = PasswordField("Password", widget=GovPasswordInput(),
                             validators=[InputRequired("Enter your password"), Length(max=200)])
    submit = SubmitField("Sign in", widget=GovSubmitInput())


class CodeForm(FlaskForm):
    code = StringField("Code", widget=GovTextInput(), filters=[strip],
                       description="The 6-digit code your authenticator app shows now, or one of your recovery codes",
                       validators=[InputRequired("Enter the code from your authenticator app"),
                                   Length(max=40, message="Enter the 6-digit code from your authenticator app")])
    submit = SubmitField("Continue", widget=GovSubmitInput())


class AppCodeForm(FlaskForm):
    """A code from the authenticator app only (setting it up, or confirming a change)."""

    code = StringField("Code from your authenticator app", widget=GovTextInput(), filters=[strip],
                       description="The 6 digits the app shows now",
                       validators=[InputRequired("Enter the 6-digit code from your authenticator app"),
                                   Length(max=20, message="Enter the 6-digit code from your authenticator app")])
    submit = SubmitField("Continue", widget=GovSubmitInput())


class SetPasswordForm(FlaskForm):
    password = PasswordField("New password", widget=GovPasswordInput(),
                             description=f"Use {MIN_PASSWORD_LENGTH} characters or more. Three or four unrelated words "
                                         "work well. Do not use your email address or a common password.",
                             validators=[InputRequired("Enter a new password"),
                                         Length(min=MIN_PASSWORD_LENGTH, max=200,
                                                message=f"Password must be between {MIN_PASSWORD_LENGTH} and 200 characters")])
    confirm = PasswordField("Confirm new password", widget=GovPasswordInput(),
                            validators=[InputRequired("Confirm your new password"),
                                        EqualTo("password", "The passwords do not match")])
    submit = SubmitField("Save password", widget=GovSubmitInput())


class ChangePasswordForm(SetPasswordForm):
    current = PasswordField("Current password", widget=GovPasswordInput(),
                            validators=[InputRequired("Enter your current password")])


class SchoolForm(FlaskForm):
    urn = WholeNumberField("URN", widget=GovTextInput(), description="DfE unique reference number",
                           invalid_message="Enter the URN as a whole number",
                       validators=[InputRequired("Enter the URN as a whole number"),
                                   NumberRange(min=1, message="URN must be a positive whole number")])
    name = StringField("School name", widget=GovTextInput(),
                       validators=[single_line, InputRequired("Enter the school name"), Length(max=200, message="Name must be 200 characters or fewer")])
    pupils = WholeNumberField("Pupils on roll", widget=GovTextInput(),
                              invalid_message="Enter the number of pupils as a whole number",
                          validators=[InputRequired("Enter the number of pupils as a whole number"),
                                      NumberRange(min=0, message="Pupils must be 0 or more")])
    fsm_percent = NumberField("Free school meals (%)", widget=GovTextInput(),
                              invalid_message="Enter the free school meals percentage as a number, like 14.5",
                               description="Percentage of pupils eligible for free school meals, 0 to 100",
                               validators=[InputRequired("Enter the free school meals percentage"),
                                           NumberRange(min=0, max=100, message="Free school meals must be between 0 and 100")])
    phase = SelectField("Phase", widget=GovSelect(), choices=choice_list(PHASES, blank="Not known"),
                        validators=[Optional()])
    district = StringField("District", widget=GovTextInput(), validators=[single_line, Optional(), Length(max=200)])
    submit = SubmitField("Save school", widget=GovSubmitInput())


class DslForm(FlaskForm):
    name = StringField("Full name", widget=GovTextInput(),
                       validators=[single_line, InputRequired("Enter the person's full name"), Length(max=200)])
    email = StringField("Work email address", widget=GovTextInput(), filters=[strip],
                        validators=[single_line, InputRequired("Enter a work email address"),
                                    Email("Enter an email address in the correct format, like name@school.example.org",
                                          check_deliverability=False),
                                    Length(max=254)])
    school_urn = WholeNumberField("School URN", widget=GovTextInput(),
                                  invalid_message="Enter the school's URN as a whole number",
                              description="The URN of the school, as on the schools list",
                              validators=[InputRequired("Enter the school's URN as a whole number")])
    role = RadioField("Role", widget=GovRadioInput(), choices=choice_list(DSL_ROLES), default="DSL",
                      validators=[InputRequired("Choose a role")])
    submit = SubmitField("Save DSL", widget=GovSubmitInput())


class UserForm(FlaskForm):
    email = StringField("Email address", widget=GovTextInput(), filters=[strip],
                        validators=[single_line, InputRequired("Enter an email address"),
                                    Email("Enter an email address in the correct format, like name@council.example.org",
                                          check_deliverability=False),
                                    Length(max=254)])
    name = StringField("Full name", widget=GovTextInput(), validators=[single_line, InputRequired("Enter the person's name"), Length(max=200)])
    role = RadioField("Role", widget=GovRadioInput(), choices=choice_list(ROLES, ROLE_LABELS),
                      validators=[InputRequired("Choose a role")])
    submit = SubmitField("Add user and create invitation link", widget=GovSubmitInput())

    def validate_role(self, field):
        if field.data == "dsl" and self.email.data:
            from people.services import dsl_by_email

            if dsl_by_email(self.email.data) is None:
                raise ValidationError("A DSL account needs a DSL on the register with the same email address")


class UserEditForm(FlaskForm):
    name = StringField("Full name", widget=GovTextInput(), validators=[single_line, InputRequired("Enter the person's name"), Length(max=200)])
    role = RadioField("Role", widget=GovRadioInput(), choices=choice_list(ROLES, ROLE_LABELS),
                      validators=[InputRequired("Choose a role")])
    active = BooleanField("Account is active", widget=GovCheckboxInput(),
                          description="Untick to disable the account and end its sessions")
    submit = SubmitField("Save user", widget=GovSubmitInput())
