"""Form pieces every package shares: choices in the WTForms 3.3 style, and number fields whose
'not a number' message says what to enter, as the GOV.UK error pattern asks."""

from wtforms import DecimalField, IntegerField, SelectChoice


def choice_list(values, labels=None, blank: str | None = None) -> list[SelectChoice]:
    """Choices for a select or radios, in the form WTForms 3.3 expects."""
    labels = labels or {}
    out = [SelectChoice("", blank)] if blank is not None else []
    return out + [SelectChoice(v, labels.get(v, v)) for v in values]


class WholeNumberField(IntegerField):
    """An IntegerField whose parse error is ``invalid_message``."""

    def __init__(self, label=None, validators=None, invalid_message="Enter a whole number", **kwargs):
        super().__init__(label, validators, **kwargs)
        self.invalid_message = invalid_message

    def process_formdata(self, valuelist):
        if valuelist and valuelist[0].strip():
            try:
                self.data = int(valuelist[0].strip().replace(",", ""))
            except ValueError:
                self.data = None
                raise ValueError(self.invalid_message)
        else:
            self.data = None


class NumberField(DecimalField):
    """A DecimalField whose parse error is ``invalid_message``."""

    def __init__(self, label=None, validators=None, invalid_message="Enter a number", **kwargs):
        kwargs.setdefault("places", None)
        super().__init__(label, validators, **kwargs)
        self.invalid_message = invalid_message

    def process_formdata(self, valuelist):
        try:
            super().process_formdata([v.strip().rstrip("%") for v in valuelist] if valuelist else valuelist)
        except ValueError:
            raise ValueError(self.invalid_message)
