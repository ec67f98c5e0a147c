"""The call-entry form (built for speed on the phone), the caller search and the topics list."""

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovRadioInput, GovSelect, GovSubmitInput, GovTextInput
from wtforms import RadioField, SelectField, StringField, SubmitField
from wtforms.validators import InputRequired, Length, NumberRange, Optional, ValidationError

from core.forms import DayField, WholeNumberField, choice_list
from infoline.models import ADVICE, ADVICE_LABELS, TOPIC_LENGTH

MAX_MINUTES = 600


class CallerSearchForm(FlaskForm):
    """A GET form: it changes nothing, so it carries no CSRF token."""

    class Meta:
        csrf = False

    q = StringField("Find the caller", widget=GovTextInput(),
                    description="Part of their name, their email, or their school's name or URN",
                    validators=[Length(max=200, message="Search for 200 characters or fewer")])
    search = SubmitField("Find caller", widget=GovSubmitInput())


class CallForm(FlaskForm):
    caller = RadioField("Who called?", widget=GovRadioInput(), validate_choice=True,
                        validators=[InputRequired("Choose who called, or the school they called from")])
    advice = RadioField("Advice given", widget=GovRadioInput(), choices=choice_list(ADVICE, ADVICE_LABELS),
                        validators=[InputRequired("Choose the advice given")])
    topic = SelectField("Topic", widget=GovSelect(), validators=[Optional()])
    duration = WholeNumberField("Duration in minutes", widget=GovTextInput(),
                                invalid_message="Enter the duration as a whole number of minutes, like 5",
                                validators=[Optional(), NumberRange(min=0, max=MAX_MINUTES,
                                                                    message=f"Enter between 0 and {MAX_MINUTES} minutes")])
    submit = SubmitField("Save call", widget=GovSubmitInput())

    def __init__(self, callers, topics, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.caller.choices = choice_list([value for value, _ in callers], dict(callers))
        self.topic.choices = choice_list(topics, blank="Choose a topic")


class TopicForm(FlaskForm):
    name = StringField("New topic", widget=GovTextInput(),
                       validators=[InputRequired("Enter the topic's name"),
                                   Length(max=TOPIC_LENGTH, message=f"The topic's name must be {TOPIC_LENGTH} "
                                                                    "characters or fewer")])
    submit = SubmitField("Add topic", widget=GovSubmitInput())


class PeriodForm(FlaskForm):
    """The Infoline page's period: a GET form, so no CSRF token. Either end may be left open."""

    class Meta:
        csrf = False

    start = DayField("From")
    end = DayField("To")
    show = SubmitField("Show the period", widget=GovSubmitInput())

    def validate_end(self, field):
        if self.start.day and field.day and self.start.day > field.day:
            raise ValidationError("The period must end on or after its start")
