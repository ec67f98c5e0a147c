"""The content model of each material: its fields, the first version's text, and the outline of the
slide decks and the follow-up sheet. Pure: no Flask, no database.

Content is a JSON object. Every material carries the same core (title, REMEMBER text, the question,
the three services with their numbers and 'when' and 'why' texts, the social-norm, gain-framing and
greater-good messages) so each version is complete on its own; decks and the follow-up sheet add
their own texts. Long texts are paragraphs separated by a blank line.
"""

from copy import deepcopy
from dataclasses import dataclass

POSTER = "poster"
INDUCTION = "induction-slides"
REFRESHER = "refresher-slides"
FOLLOW_UP = "follow-up"
KINDS = (POSTER, INDUCTION, REFRESHER, FOLLOW_UP)
TITLES = {
    POSTER: "The 'at a glance' poster",
    INDUCTION: "Induction course slides",
    REFRESHER: "Refresher course slides",
    FOLLOW_UP: "Follow-up information sheet",
}
FILENAMES = {kind: f"{kind}.pdf" for kind in KINDS}
DESCRIPTIONS = {
    POSTER: "Which service is right for the child: Early Help, the DSL Infoline or MASH, with their numbers.",
    INDUCTION: "The slides for the course for new DSLs.",
    REFRESHER: "The slides for the course DSLs take every two years.",
    FOLLOW_UP: "The information sheet sent to DSLs after their training.",
}

# The three services in the poster's order, and the spot colour of each.
SERVICES = ("early_help", "dsl_infoline", "mash")
SERVICE_COLOURS = {"early_help": "green", "dsl_infoline": "amber", "mash": "red"}

# Limits keep each text short enough to fit its panel or slide.
LINE, PHONE, SHORT, TEXT, LONG = 120, 20, 300, 600, 1200


@dataclass(frozen=True)
class Field:
    name: str
    label: str
    limit: int
    multiline: bool = False
    hint: str = ""


CORE_FIELDS = (
    Field("title", "Poster title", LINE),
    Field("remember", "The REMEMBER box", LONG, True, "Use **double asterisks** around a word to make it bold."),
    Field("question", "The question above the services", LINE),
    Field("mash_lead", "The words above MASH", LINE, hint="For example: Only call MASH..."),
    Field("social_norm", "Social norm message", SHORT, True, "What most DSLs do, and what it achieves."),
    Field("gain_framing", "Gain framing message", SHORT, True, "What the DSL and the child gain by taking this route."),
    Field("greater_good", "Greater good message", TEXT, True, "Why keeping the MASH line clear helps every child."),
)
SERVICE_FIELDS = (
    Field("name", "Service name", 40),
    Field("phone", "Phone number", PHONE, hint="For example: 01926 412412"),
    Field("when", "WHEN to call", TEXT, True),
    Field("why", "WHY to call", TEXT, True),
)
SCENARIO_COUNT = 3
SCENARIO_FIELDS = (
    Field("situation", "Situation", SHORT, True),
    Field("service", "The right service", 20),
    Field("why", "Why this service", SHORT, True),
)
EXTRA_FIELDS = {
    POSTER: (),
    INDUCTION: (
        Field("heading", "Deck title", LINE),
        Field("subtitle", "Subtitle", LINE),
        Field("intro", "Opening slide text", TEXT, True),
        Field("closing", "Closing slide text", TEXT, True),
    ),
    REFRESHER: (
        Field("heading", "Deck title", LINE),
        Field("subtitle", "Subtitle", LINE),
        Field("intro", "Opening slide text", TEXT, True),
        Field("changes", "What has changed", TEXT, True),
        Field("closing", "Closing slide text", TEXT, True),
    ),
    FOLLOW_UP: (
        Field("heading", "Sheet title", LINE),
        Field("intro", "Opening paragraph", TEXT, True),
        Field("next_steps", "What to do next", LONG, True),
        Field("closing", "Closing paragraph", TEXT, True),
    ),
}
HAS_SCENARIOS = {INDUCTION, REFRESHER, FOLLOW_UP}

REMEMBER = (
    "**EARLY HELP** can provide tailored, preventative support. Contact them when you first think a child or "
    "family might be struggling, to help avoid a problem becoming a crisis. If you need to talk through the right "
    "course of action call the **DSL INFOLINE** for advice. As well as providing urgent help, **MASH** will "
    "support with specialist help for disabled children."
)
SERVICE_TEXT = {
    "early_help": {
        "name": "EARLY HELP",
        "phone": "01926 412412",
        "when": "The situation would be improved with additional support for the child or family. To help prevent "
                "a problem becoming a crisis.",
        "why": "You may be concerned about poor school attendance, substance abuse, the child is a young carer, or "
               "if the family is experiencing financial problems or they would benefit from parenting support. Call "
               "for easy and rapid access to support, and signposting to a range of specialists.",
    },
    "dsl_infoline": {
        "name": "DSL INFOLINE",
        "phone": "01926 418608",
        "when": "The situation is complex, or you are concerned about a child's safety or welfare \u2013 but they are "
                "not in immediate risk of harm.",
        "why": "If you are uncertain and want some advice before deciding on the best course of action.",
    },
    "mash": {
        "name": "MASH",
        "phone": "01926 414144",
        "when": "You have an urgent or ongoing safeguarding concern and immediate action is needed.\n\nContact the "
                "MASH helpline directly or submit the contact form. The Team will assess the concern and will "
                "respond to you.",
        "why": "You feel the child may be at risk of harm, or of exploitation, or they have significant or ongoing "
               "mental health problems.\n\nOR A disabled child needs a specialist social care assessment.",
    },
}
CORE_TEXT = {
    "title": "THE RIGHT SUPPORT AT THE RIGHT TIME",
    "remember": REMEMBER,
    "question": "Which service is right for the child?",
    "mash_lead": "Only call MASH...",
    "social_norm": "Most DSLs who talk a concern through with Early Help first say it was the quickest way to get "
                   "the family the right support.",
    "gain_framing": "Call Early Help early: help received, case resolved \u2013 before a problem becomes a crisis.",
    "greater_good": "The MASH line is there to help for urgent and complex child protection matters \u2013 so if the "
                    "issue you want to discuss doesn't fit those criteria please talk through your concerns with one "
                    "of our Early Help experts. That way we can keep the MASH lines clear for emergencies.",
}
SCENARIOS = {
    INDUCTION: (
        {"situation": "A Year 4 pupil's attendance has dropped to 85% this term and mum says money is tight.",
         "service": "early_help",
         "why": "The family would benefit from support now, so the problem does not become a crisis."},
        {"situation": "A pupil has said something worrying about home, but there is no sign of immediate harm and "
                      "you are unsure what to do.",
         "service": "dsl_infoline",
         "why": "You want advice before deciding on the best course of action."},
        {"situation": "A pupil arrives with an injury and says a parent caused it; they are afraid to go home.",
         "service": "mash",
         "why": "The child may be at risk of harm and immediate action is needed."},
    ),
    REFRESHER: (
        {"situation": "A young carer is often late and tired; the family has asked the school for help.",
         "service": "early_help",
         "why": "Tailored, preventative support for the family, with signposting to specialists."},
        {"situation": "You have several small concerns about one child that together feel complex.",
         "service": "dsl_infoline",
         "why": "The situation is complex but the child is not in immediate risk of harm: talk it through."},
        {"situation": "A disabled child's family tells you they cannot cope and need a specialist assessment.",
         "service": "mash",
         "why": "A disabled child needs a specialist social care assessment."},
    ),
    FOLLOW_UP: (
        {"situation": "A family is struggling with money and the child's attendance is falling.",
         "service": "early_help",
         "why": "Support now can stop a problem becoming a crisis."},
        {"situation": "You are worried about a child's welfare but they are not in immediate danger.",
         "service": "dsl_infoline",
         "why": "Get advice before deciding what to do."},
        {"situation": "A child tells you they are being exploited.",
         "service": "mash",
         "why": "The child may be at risk of harm: act now."},
    ),
}
EXTRA_TEXT = {
    POSTER: {},
    INDUCTION: {
        "heading": "Designated Safeguarding Lead induction",
        "subtitle": "The right support at the right time",
        "intro": "As a DSL you decide who to call when you are worried about a child. Three services can help, "
                 "and each one is right at a different time.\n\nThis course shows you which service to call, when, "
                 "and why.",
        "closing": "Keep the poster by your phone. When you are worried about a child, ask: which service is right "
                   "for the child? Then call.",
    },
    REFRESHER: {
        "heading": "Designated Safeguarding Lead refresher",
        "subtitle": "The right support at the right time",
        "intro": "You already know the three services. This refresher is a reminder of which one to call, when, "
                 "and why, with some new examples.",
        "changes": "Early Help now takes calls for advice as well as requests for support.\n\nThe DSL Infoline "
                   "is there for complex concerns where a child is not in immediate risk of harm.",
        "closing": "Put the new poster up where you make calls. Ask: which service is right for the child?",
    },
    FOLLOW_UP: {
        "heading": "After your DSL training: the right support at the right time",
        "intro": "Thank you for taking part in DSL training. This sheet is a short reminder of the three services "
                 "and when to call each of them.",
        "next_steps": "Put the 'at a glance' poster up where you and your deputies make calls.\n\nShare this sheet "
                      "with your deputy DSLs.\n\nSave the three numbers in your phone.",
        "closing": "If you are unsure which service is right for the child, call the DSL Infoline for advice.",
    },
}


def first_version(kind: str) -> dict:
    """The content of version 1 of ``kind``: the report's poster text and phone numbers."""
    content = deepcopy(CORE_TEXT)
    content["services"] = [{"key": key, **deepcopy(SERVICE_TEXT[key])} for key in SERVICES]
    content.update(deepcopy(EXTRA_TEXT[kind]))
    if kind in HAS_SCENARIOS:
        content["scenarios"] = [dict(s) for s in SCENARIOS[kind]]
    return content


def fields_for(kind: str) -> list[tuple[str, Field]]:
    """Every editable field of ``kind`` as (flat form name, field), in the order of the form."""
    flat = [(f.name, f) for f in CORE_FIELDS]
    for key in SERVICES:
        flat += [(f"{key}_{f.name}", f) for f in SERVICE_FIELDS]
    flat += [(f.name, f) for f in EXTRA_FIELDS[kind]]
    if kind in HAS_SCENARIOS:
        for n in range(1, SCENARIO_COUNT + 1):
            flat += [(f"scenario{n}_{f.name}", f) for f in SCENARIO_FIELDS]
    return flat


def flatten(content: dict) -> dict:
    """Content as the flat mapping a form edits."""
    flat = {k: v for k, v in content.items() if isinstance(v, str)}
    for service in content.get("services", []):
        for key, value in service.items():
            if key != "key":
                flat[f"{service['key']}_{key}"] = value
    for n, scenario in enumerate(content.get("scenarios", []), start=1):
        for key, value in scenario.items():
            flat[f"scenario{n}_{key}"] = value
    return flat


def unflatten(kind: str, flat: dict) -> dict:
    """The content of ``kind`` from a flat mapping of its fields; texts are trimmed, line ends made \\n."""

    def clean(value) -> str:
        return (value or "").replace("\r\n", "\n").replace("\r", "\n").strip()

    content = {f.name: clean(flat.get(f.name)) for f in CORE_FIELDS + EXTRA_FIELDS[kind]}
    content["services"] = [
        {"key": key, **{f.name: clean(flat.get(f"{key}_{f.name}")) for f in SERVICE_FIELDS}} for key in SERVICES
    ]
    if kind in HAS_SCENARIOS:
        content["scenarios"] = [
            {f.name: clean(flat.get(f"scenario{n}_{f.name}")) for f in SCENARIO_FIELDS}
            for n in range(1, SCENARIO_COUNT + 1)
        ]
    return content


def service(content: dict, key: str) -> dict:
    return next(s for s in content["services"] if s["key"] == key)


def paragraphs(text: str) -> list[str]:
    """A text's paragraphs: split on blank lines, each trimmed, empty ones dropped."""
    parts = [p.strip() for p in (text or "").replace("\r\n", "\n").split("\n\n")]
    return [p for p in parts if p]


# -- the outline shared by the PDF decks and their HTML versions ------------------------------


@dataclass(frozen=True)
class Slide:
    """One slide: a heading and blocks. A block is ("text", str), ("service", key),
    ("services", None) for the 'which service when' table, ("scenario", n) or ("poster", None)."""

    heading: str
    blocks: tuple


def deck(kind: str, content: dict) -> list[Slide]:
    """The slides of an induction or refresher deck, in order."""
    names = {s["key"]: s["name"] for s in content["services"]}
    slides = [Slide(content["heading"], (("text", content.get("subtitle", "")),)),
              Slide("Why we are here", (("text", content.get("intro", "")),))]
    if kind == REFRESHER:
        slides.append(Slide("What has changed", (("text", content.get("changes", "")),)))
    slides.append(Slide(content["question"], (("services", None),)))
    for key in SERVICES:
        title = f"{names[key]}: when and why" if key != "mash" else content["mash_lead"]
        slides.append(Slide(title, (("service", key),)))
    for n in range(1, SCENARIO_COUNT + 1):
        slides.append(Slide(f"Worked example {n}: when and why", (("scenario", n),)))
    slides += [
        Slide("What other DSLs do", (("text", content["social_norm"]),)),
        Slide("What you gain", (("text", content["gain_framing"]),)),
        Slide("Keep the MASH line clear", (("text", content["greater_good"]),)),
        Slide("The poster: keep it by your phone", (("poster", None),)),
        Slide("Remember", (("text", content.get("closing", "")),)),
    ]
    return slides


def scenario_answer(content: dict, scenario: dict) -> str:
    """The name of the service a worked example points to (its key, or the text as written)."""
    names = {s["key"]: s["name"] for s in content["services"]}
    return names.get(scenario.get("service", ""), scenario.get("service", ""))
