"""One form per material, made from its content fields, and the settings and publishing forms.

Besides each field's own checks, a material's form checks the whole: no text sends advice calls to
a service other than the one advice route, no slide says more than SLIDE_WORDS words, and the
poster says no more than POSTER_WORDS."""

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
from wtforms.validators import InputRequired, Length, Regexp, ValidationError

from core.forms import choice_list, single_line
from materials.content import (
    DECKS,
    EXTRA_FIELDS,
    FOLLOW_UP,
    POSTER,
    SCENARIO_COUNTS,
    SERVICE_LABELS,
    SERVICES,
    advice_conflicts,
    fields_for,
    unflatten,
    words,
)
from materials.outline import POSTER_WORDS, SLIDE_WORDS, long_slides, poster_words
from materials.pdf import poster, sheet

PHONE = Regexp(r"^\+?[0-9][0-9 ()-]{1,18}[0-9]$", message="Enter a phone number using digits and spaces, like 01926 412412")


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
    if name.startswith("notes_"):
        return f"Trainer's note for {_lower_first(field.label)}", f"trainer's note for {_lower_first(field.label)}"
    return field.label, _lower_first(field.label)


class WordCount:
    """Between ``fewest`` and ``most`` words."""

    def __init__(self, fewest: int, most: int, noun: str):
        self.fewest, self.most, self.noun = fewest, most, noun

    def __call__(self, form, field):
        count = words(field.data or "")
        if not self.fewest <= count <= self.most:
            raise ValidationError(f"The {self.noun} must be {self.fewest} to {self.most} words; it has {count}")


def _field(name: str, spec):
    label, noun = _label(name, spec)
    if spec.choice:
        message = (f"Choose the right service for example {name[len('scenario')]}" if name.startswith("scenario")
                   else f"Choose the {noun}")
        return RadioField(label, widget=GovRadioInput(), choices=choice_list(SERVICES, SERVICE_LABELS),
                          description=spec.hint, validators=[InputRequired(message)])
    validators = [InputRequired(f"Enter the {noun}"),
                  Length(max=spec.limit, message=f"The {noun} must be {spec.limit} characters or fewer")]
    if name.endswith("phone"):
        validators.append(PHONE)
    if spec.words:
        validators.append(WordCount(*spec.words, noun))
    if spec.multiline:
        return TextAreaField(label, widget=GovTextArea(), description=spec.hint, validators=validators)
    return StringField(label, widget=GovTextInput(), description=spec.hint, validators=[single_line, *validators])


class MaterialForm(FlaskForm):
    """The fields of one material's content, checked one by one and then as a whole."""

    kind = ""

    def validate(self, extra_validators=None) -> bool:
        if not super().validate(extra_validators):
            return False
        content = unflatten(self.kind, self.data)
        problems = self._advice_problems(content) + self._length_problems(content)
        for name, message in problems:
            self[name].errors = list(self[name].errors) + [message]
        return not problems

    def _advice_problems(self, content: dict) -> list[tuple[str, str]]:
        """Texts that send advice calls anywhere but the advice route."""
        chosen = content["advice_service"]
        texts = {name: value for name, value in self.data.items()
                 if isinstance(value, str) and not name.startswith(f"{chosen}_") and name != "advice_service"}
        label = SERVICE_LABELS.get(chosen, chosen)
        return [(name, f"This text sends advice calls to {other}, but the advice route is {label}. Change the text, "
                       "or change the advice route") for name, other in advice_conflicts(content, texts).items()]

    def _length_problems(self, content: dict) -> list[tuple[str, str]]:
        problems = []
        if self.kind in (POSTER, FOLLOW_UP):
            count = poster_words(content)
            if count > POSTER_WORDS - 10:  # the version line at its foot takes about ten more
                problems.append(("social_norm", f"The poster would say {count} words before its version line; keep it "
                                                f"to {POSTER_WORDS - 10} so it can be read at a glance"))
            elif not all(poster.fits(content, size) for size in ("A4", "A3")):
                problems.append(("social_norm", "The poster would not fit its page at readable sizes: shorten the "
                                                "longest texts"))
        if self.kind == FOLLOW_UP and not sheet.back_fits(content):
            problems.append(("checklist", "The back of the sheet would not fit one page at readable sizes: shorten "
                                          "the checklist, the examples or what happens after a call"))
        if self.kind in DECKS:
            for number, slide in long_slides(self.kind, content):
                problems.append((self._first_field(slide.id),
                                 f"Slide {number} ({slide.title}) would have {slide.words} words; keep every slide "
                                 f"to {SLIDE_WORDS} or fewer"))
        return problems

    def _first_field(self, slide_id: str) -> str:
        """The field a long slide's message is shown against: the one most likely to make it long."""
        for prefix in ("example_", "quiz_", "answer_"):
            if slide_id.startswith(prefix):
                return f"scenario{slide_id.rsplit('_', 1)[1]}_situation"
        if slide_id.startswith("service_"):
            return f"{slide_id.removeprefix('service_')}_when"
        extra = [f.name for f in EXTRA_FIELDS[self.kind]]
        return {"agenda": "agenda", "outcomes": "outcomes", "today": "outcomes", "why": "intro", "changes": "changes",
                "close": "closing"}.get(slide_id, extra[0])


@cache
def material_form_class(kind: str) -> type[FlaskForm]:
    """The edit form of ``kind``: a field for every text of its content."""
    attributes = {name: _field(name, spec) for name, spec in fields_for(kind)}
    attributes["kind"] = kind
    attributes["submit"] = SubmitField("Save draft and preview", widget=GovSubmitInput())
    return type(f"MaterialForm_{kind.replace('-', '_')}", (MaterialForm,), attributes)


def field_groups(kind: str) -> list[tuple[str, list[str]]]:
    """The form's fields in fieldsets, each with its legend."""
    names = [name for name, _spec in fields_for(kind)]
    extra = {f.name for f in EXTRA_FIELDS[kind]}
    service_names = tuple(f"{key}_" for key in SERVICES)
    general = [n for n in names if not n.startswith(service_names + ("scenario", "notes_")) and n not in extra]
    groups = [("Headings and messages", general)]
    for key in SERVICES:
        groups.append((SERVICE_LABELS[key], [n for n in names if n.startswith(f"{key}_")]))
    if extra:
        groups.append(("The sheet's back" if kind == FOLLOW_UP else "The deck's own texts",
                       [n for n in names if n in extra]))
    noun = "Quiz question" if kind == "refresher-slides" else "Worked example"
    for n in range(1, SCENARIO_COUNTS[kind] + 1):
        groups.append((f"{noun} {n}", [x for x in names if x.startswith(f"scenario{n}_")]))
    notes = [n for n in names if n.startswith("notes_")]
    if notes:
        groups.append(("Trainer's notes, one for each slide", notes))
    return groups


class SettingsForm(FlaskForm):
    poster_public = BooleanField("Anyone may read and download the poster without signing in",
                                 widget=GovCheckboxInput(),
                                 description="The poster then has a public address you can share with schools.")
    submit = SubmitField("Save settings", widget=GovSubmitInput())


class PublishForm(FlaskForm):
    figure_checked = BooleanField("I have checked the social-norm figure and where it comes from",
                                  widget=GovCheckboxInput(),
                                  validators=[InputRequired("Confirm that you have checked the social-norm figure "
                                                            "and where it comes from")])
    submit = SubmitField("Publish this version", widget=GovSubmitInput())
