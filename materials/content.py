"""The content model of each material: its fields, the first version's text, the forms' flat view of
it, and the one advice route every text must agree with. Pure: no Flask, no database.

Content is a JSON object with ``"model": 2``. Every material carries the same core (the title, the
question, the three services with their numbers, urgency, WHEN trigger, examples and what happens
after a call, the social-norm, gain-framing and greater-good messages, the immediate-danger line and
which service takes calls for advice) so each version is complete on its own; decks and the
follow-up sheet add their own texts, examples and, for decks, a trainer's note for every slide.
Versions published before this model (no ``"model"`` key, see ``materials.legacy``) keep their
stored PDFs and are shown as they always were; editing one starts from :func:`upgrade`.

Long texts are paragraphs separated by a blank line; lists (agenda, outcomes, checklist) are one
item per line; the title breaks where its text has a line break.
"""

import re
from copy import deepcopy
from dataclasses import dataclass

from materials.legacy import REPORT_TITLE

MODEL = 2
POSTER = "poster"
INDUCTION = "induction-slides"
REFRESHER = "refresher-slides"
FOLLOW_UP = "follow-up"
KINDS = (POSTER, INDUCTION, REFRESHER, FOLLOW_UP)
DECKS = (INDUCTION, REFRESHER)
TITLES = {
    POSTER: "The 'at a glance' poster",
    INDUCTION: "Induction course slides",
    REFRESHER: "Refresher course slides",
    FOLLOW_UP: "Follow-up information sheet",
}
FILENAMES = {kind: f"{kind}.pdf" for kind in KINDS}
# The trainer's notes of each deck, written by ``materials export`` beside the decks.
NOTES_FILENAMES = {INDUCTION: "induction-notes.pdf", REFRESHER: "refresher-notes.pdf"}
DESCRIPTIONS = {
    POSTER: "Which service is right for the child: Early Help, the DSL Infoline or MASH, with their numbers.",
    INDUCTION: "The slides for the course for new DSLs, with the trainer's notes.",
    REFRESHER: "The shorter, quiz-led slides for the course DSLs take every two years, with the trainer's notes.",
    FOLLOW_UP: "The double-sided sheet sent after training: the poster, then what happens after you call.",
}

# The three services from least to most urgent, and the spot colour of each.
SERVICES = ("early_help", "dsl_infoline", "mash")
SERVICE_COLOURS = {"early_help": "green", "dsl_infoline": "amber", "mash": "red"}
SERVICE_LABELS = {"early_help": "Early Help", "dsl_infoline": "DSL Infoline", "mash": "MASH"}

LINE, PHONE, SHORT, TEXT, NOTE = 120, 20, 200, 400, 1200
# A WHEN trigger is read at a glance: 8 to 15 words.
WHEN_WORDS = (8, 15)


@dataclass(frozen=True)
class Field:
    name: str
    label: str
    limit: int
    multiline: bool = False
    hint: str = ""
    words: tuple[int, int] | None = None  # fewest and most words, when limited
    choice: bool = False  # one of the three services


CORE_FIELDS = (
    Field("title", "Title", 80, True, "Press Enter where the title should break onto its second line."),
    Field("question", "The question above the services", 60),
    Field("advice_service", "Advice route: the one service DSLs call for advice", 20, choice=True,
          hint="Every material sends advice calls here, and no text may send them anywhere else."),
    Field("social_norm", "Social-norm message, with a real figure", 120, True,
          "What most DSLs do, for example: 95% of DSLs trained in autumn 2020 made no non-urgent call to the MASH."),
    Field("social_norm_source", "Where the social-norm figure comes from", SHORT,
          hint="Shown with the figure on the slides, the follow-up sheet and the HTML versions."),
    Field("gain_framing", "Gain-framing line, in the Early Help panel", 50),
    Field("greater_good_line", "Greater-good line, in the MASH panel", 50),
    Field("greater_good", "Greater-good message in full, for the slides and the sheet", TEXT, True),
    Field("danger", "Immediate danger: the words before the number", 60, True, "Press Enter where a line should break."),
    Field("danger_phone", "Immediate danger: the number", PHONE),
)
SERVICE_FIELDS = (
    Field("name", "Service name", 20),
    Field("phone", "Phone number", PHONE, hint="For example: 01926 412412"),
    Field("urgency", "How urgent (a label on the panel)", 20, hint="For example: Not urgent"),
    Field("when", "WHEN to call", 100, True, "8 to 15 words.", words=WHEN_WORDS),
    Field("examples", "Examples", 90, True, "One short line, for example: For example: poor attendance, money worries."),
    Field("after", "After a call: what happens and when", 160, True,
          "What the caller can expect, with the times your council commits to."),
)
SCENARIO_FIELDS = (
    Field("situation", "Situation", SHORT, True),
    Field("service", "The right service", 20, choice=True),
    Field("why", "Why this service", SHORT, True),
)
# How many worked examples (quiz questions in the refresher) each material has.
SCENARIO_COUNTS = {POSTER: 0, INDUCTION: 3, REFRESHER: 4, FOLLOW_UP: 3}
LIST_HINT = "One item on each line."
EXTRA_FIELDS = {
    POSTER: (),
    INDUCTION: (
        Field("heading", "Deck title", LINE),
        Field("subtitle", "Subtitle", LINE),
        Field("agenda", "Agenda", TEXT, True, LIST_HINT),
        Field("outcomes", "Learning outcomes", TEXT, True, LIST_HINT),
        Field("intro", "Why this matters", 300, True),
        Field("closing", "Closing slide text", 300, True),
    ),
    REFRESHER: (
        Field("heading", "Deck title", LINE),
        Field("subtitle", "Subtitle", LINE),
        Field("agenda", "Agenda", TEXT, True, LIST_HINT),
        Field("outcomes", "Learning outcomes", TEXT, True, LIST_HINT),
        Field("changes", "What has changed", 300, True, "Shown beside the social-norm figure."),
    ),
    FOLLOW_UP: (
        Field("heading", "Title of the back", LINE),
        Field("intro", "Opening line of the back", 240, True),
        Field("checklist", "Checklist", TEXT, True, LIST_HINT),
    ),
}

SERVICE_TEXT = {
    "early_help": {
        "name": "EARLY HELP",
        "phone": "01926 412412",
        "urgency": "Not urgent",
        "when": "A child or family is struggling and support now would help.",
        "examples": "For example: attendance, young carers, money, parenting.",
        "after": "An Early Help worker calls you back within one working day to agree next steps.",
    },
    "dsl_infoline": {
        "name": "DSL INFOLINE",
        "phone": "01926 418608",
        "urgency": "Unsure",
        "when": "It is complex or you are unsure, and the child is not at immediate risk.",
        "examples": "For example: several small worries that add up.",
        "after": "An adviser talks it through on the call and says who, if anyone, to contact next.",
    },
    "mash": {
        "name": "MASH",
        "phone": "01926 414144",
        "urgency": "Child at risk now",
        "when": "Only when a child is at risk of harm and needs action now.",
        "examples": "For example: injury, abuse, exploitation, a disabled child's assessment.",
        "after": "MASH decides within one working day and writes to you with the outcome within three working "
                 "days.",
    },
}
CORE_TEXT = {
    "model": MODEL,
    "title": "THE RIGHT SUPPORT\nAT THE RIGHT TIME",
    "question": "Which service is right for the child?",
    "advice_service": "dsl_infoline",
    "social_norm": "**95% of DSLs** trained in autumn 2020 made no non-urgent call to the MASH.",
    "social_norm_source": "Evaluation of the council's DSL training, autumn 2020 (Social Engine, January 2021)",
    "gain_framing": "Help received, case resolved.",
    "greater_good_line": "Keep this line clear for children at risk now.",
    "greater_good": "The MASH line is there for urgent and complex child protection matters. If your concern "
                    "does not fit those, talk it through with one of our Early Help experts. That way we keep "
                    "the MASH lines clear for emergencies.",
    "danger": "A child in immediate danger?\nCall the police:",
    "danger_phone": "999",
}
SCENARIOS = {
    INDUCTION: (
        {"situation": "A Year 4 pupil's attendance has dropped to 85% this term and mum says money is tight.",
         "service": "early_help",
         "why": "The family would benefit from support now, before the problem becomes a crisis."},
        {"situation": "A pupil has said something worrying about home. There is no sign of immediate harm, "
                      "and you are unsure what to do.",
         "service": "dsl_infoline",
         "why": "You want to talk it through before deciding on the best course of action."},
        {"situation": "A pupil arrives with an injury, says a parent caused it and is afraid to go home.",
         "service": "mash",
         "why": "The child may be at risk of harm and action is needed now."},
    ),
    REFRESHER: (
        {"situation": "A young carer is often late and tired. The family has asked the school for help.",
         "service": "early_help",
         "why": "Tailored, preventative support for the family, with signposting to specialists."},
        {"situation": "You have several small concerns about one child that together feel complex.",
         "service": "dsl_infoline",
         "why": "It is complex but the child is not at immediate risk: talk it through first."},
        {"situation": "A pupil tells you an older friend gives them money to carry parcels.",
         "service": "mash",
         "why": "This may be exploitation: the child is at risk of harm now."},
        {"situation": "A disabled child's family says they cannot cope and need a specialist assessment.",
         "service": "mash",
         "why": "A disabled child needs a specialist social care assessment."},
    ),
    FOLLOW_UP: (
        {"situation": "A family is struggling with money and the child's attendance is falling.",
         "service": "early_help",
         "why": "Support now can stop a problem becoming a crisis."},
        {"situation": "You are worried about a child's welfare but they are not in immediate danger.",
         "service": "dsl_infoline",
         "why": "Talk it through before deciding what to do."},
        {"situation": "A child tells you they are being exploited.",
         "service": "mash",
         "why": "The child is at risk of harm: act now."},
    ),
}
EXTRA_TEXT = {
    POSTER: {},
    INDUCTION: {
        "heading": "Induction for designated safeguarding leads",
        "subtitle": "The right support at the right time",
        "agenda": "Your role: deciding who to call\nThe three services: when and why\nThree examples: you decide\n"
                  "After you call\nQuestions",
        "outcomes": "Choose the right service for a child, first time\nKnow when the MASH is needed, and when "
                    "it is not\nKnow where to get advice when you are unsure\nKnow what happens after you call",
        "intro": "As a DSL you decide who to call when you are worried about a child. Three services can help, "
                 "and each is right at a different time.",
        "closing": "When you are worried about a child, ask: which service is right for the child? Then call, "
                   "with the poster in front of you.",
    },
    REFRESHER: {
        "heading": "Refresher for designated safeguarding leads",
        "subtitle": "The right support at the right time",
        "agenda": "What has changed\nQuick quiz: four cases\nThe three services\nAfter you call",
        "outcomes": "Choose the right service in four new cases\nKnow where to get advice when you are unsure\n"
                    "Know what happens after you call",
        "changes": "There is one number for advice: the DSL Infoline. MASH takes calls only when a child is "
                   "at risk now.",
    },
    FOLLOW_UP: {
        "heading": "After your DSL training",
        "intro": "The other side is the poster. This side says what happens after you call, with three "
                 "examples and a checklist.",
        "checklist": "Put the poster up where you make calls\nSave the three numbers in your phone\nGive a copy "
                     "to each deputy DSL\nNote each call: the date, the service and the outcome\nWaiting for an "
                     "outcome? Check the times above before you call again",
    },
}


# Every slide of each deck, in order: its id (the key of its trainer's note) and what the note's
# field is labelled in the form. materials.outline lays the slides out in this order.
DECK_SLIDES = {
    INDUCTION: (
        ("title", "the title slide"), ("agenda", "the agenda"), ("outcomes", "the learning outcomes"),
        ("why", "why this matters"), ("services", "the three services"),
        ("service_early_help", "Early Help"), ("service_dsl_infoline", "the DSL Infoline"), ("service_mash", "MASH"),
        ("danger", "immediate danger"),
        ("example_1", "example 1, the question"), ("answer_1", "example 1, the answer"),
        ("example_2", "example 2, the question"), ("answer_2", "example 2, the answer"),
        ("example_3", "example 3, the question"), ("answer_3", "example 3, the answer"),
        ("after", "after you call"), ("close", "the closing slide"),
    ),
    REFRESHER: (
        ("title", "the title slide"), ("today", "the agenda and learning outcomes"), ("changes", "what has changed"),
        ("quiz_1", "question 1"), ("answer_1", "question 1, the answer"),
        ("quiz_2", "question 2"), ("answer_2", "question 2, the answer"),
        ("quiz_3", "question 3"), ("answer_3", "question 3, the answer"),
        ("quiz_4", "question 4"), ("answer_4", "question 4, the answer"),
        ("services", "the three services"), ("after", "after you call"),
    ),
}
ASK = "Ask the room before you show the answer: which service, and why? Take two or three answers."
REVEAL = ("Reveal the service and its number. Draw out the WHY, and link it to the panel's WHEN line on the "
          "poster.")
NOTES = {
    INDUCTION: {
        "title": "Welcome everyone and introduce yourself. This session is about one decision: which service "
                 "to call when you are worried about a child.",
        "agenda": "Walk through the plan. Say that most of the time goes on real examples, and that everyone "
                  "leaves with the poster.",
        "outcomes": "Read the outcomes aloud. Come back to them at the end and ask people to rate their "
                    "confidence in each.",
        "why": "Give the figure and let it land: most DSLs who have had this training choose the right service "
               "first time. The point is getting the child the right help quickly, not avoiding MASH.",
        "services": "Point out the arrow: from not urgent at the top to a child at risk now at the bottom. "
                    "Each service is right at a different point.",
        "service_early_help": "Early Help is a professional service, not a lesser option. Stress early: calling "
                              "when a family first struggles stops a problem becoming a crisis.",
        "service_dsl_infoline": "This is the one number for advice. If you are unsure, call here before deciding; "
                                "the adviser will tell you if MASH or Early Help is needed.",
        "service_mash": "Only call MASH when a child is at risk of harm and action is needed now, or a disabled "
                        "child needs a specialist assessment. Keeping the line clear helps every child.",
        "danger": "If a child is in immediate danger, call the police on 999 first. Then tell MASH.",
        "example_1": ASK,
        "answer_1": REVEAL,
        "example_2": ASK,
        "answer_2": REVEAL + " Being unsure is a reason to call the DSL Infoline for advice.",
        "example_3": ASK,
        "answer_3": REVEAL + " If the child is in immediate danger, 999 comes first.",
        "after": "Many follow-up calls happen because people do not know what to expect. Go through the "
                 "times so nobody needs to call to chase.",
        "close": "Hand out the poster and the follow-up sheet. Ask everyone to put the poster by the phone "
                 "they use for these calls.",
    },
    REFRESHER: {
        "title": "Welcome back. This is a short refresher built around a quiz: people decide first, then we "
                 "look at the services again.",
        "today": "Walk through the plan and the outcomes in under a minute.",
        "changes": "Give the figure from our own latest results and what has changed since people last "
                   "trained.",
        "quiz_1": "Give people thirty seconds to decide on their own before anyone answers.",
        "answer_1": REVEAL,
        "quiz_2": "Again, thirty seconds on their own first.",
        "answer_2": REVEAL + " Being unsure is a reason to call for advice.",
        "quiz_3": "Ask what makes this one different from the last.",
        "answer_3": REVEAL + " Exploitation is a risk of harm now.",
        "quiz_4": "A harder one: ask who would have called Early Help, and why.",
        "answer_4": REVEAL + " MASH also assesses disabled children who need specialist social care.",
        "services": "Recap the three services with the arrow from not urgent to a child at risk now. Ask "
                    "everyone to check the poster by their phone is this version.",
        "after": "Go through what happens after a call and when, so nobody needs to call to chase.",
    },
}


def first_version(kind: str) -> dict:
    """The content of version 1 of ``kind``: the report's services, numbers and messages."""
    content = deepcopy(CORE_TEXT)
    content["services"] = [{"key": key, **deepcopy(SERVICE_TEXT[key])} for key in SERVICES]
    content.update(deepcopy(EXTRA_TEXT[kind]))
    if SCENARIO_COUNTS[kind]:
        content["scenarios"] = [dict(s) for s in SCENARIOS[kind]]
    if kind in DECKS:
        content["notes"] = dict(NOTES[kind])
    return content


def model_of(content: dict) -> int:
    """The content model a version was written in: 1 for versions from before ``"model"`` existed."""
    return int(content.get("model", 1))


def upgrade(kind: str, content: dict) -> dict:
    """Content of the current model from content of any model. A version written before model 2
    keeps its title (when changed from the report's), question, service names and numbers; every
    other text is model 2's, for the admin to check before saving."""
    if model_of(content) >= MODEL:
        return content
    upgraded = first_version(kind)
    if content.get("title") and content["title"] != REPORT_TITLE:
        upgraded["title"] = content["title"]
    upgraded["question"] = content.get("question") or upgraded["question"]
    for old in content.get("services", []):
        new = service(upgraded, old.get("key", ""))
        if new is not None:
            new.update({name: old[name] for name in ("name", "phone") if old.get(name)})
    return upgraded


# -- the flat view a form edits ----------------------------------------------------------------


def notes_fields(kind: str) -> list[tuple[str, Field]]:
    """A field for the trainer's note of each slide of a deck, labelled with the slide."""
    return [(f"notes_{slide_id}", Field(f"notes_{slide_id}", f"Slide {n}: {label}", NOTE, True))
            for n, (slide_id, label) in enumerate(DECK_SLIDES.get(kind, ()), start=1)]


def fields_for(kind: str) -> list[tuple[str, Field]]:
    """Every editable field of ``kind`` as (flat form name, field), in the order of the form."""
    flat = [(f.name, f) for f in CORE_FIELDS]
    for key in SERVICES:
        flat += [(f"{key}_{f.name}", f) for f in SERVICE_FIELDS]
    flat += [(f.name, f) for f in EXTRA_FIELDS[kind]]
    for n in range(1, SCENARIO_COUNTS[kind] + 1):
        flat += [(f"scenario{n}_{f.name}", f) for f in SCENARIO_FIELDS]
    return flat + notes_fields(kind)


def flatten(content: dict) -> dict:
    """Content as the flat mapping a form edits."""
    flat = {k: v for k, v in content.items() if isinstance(v, str)}
    for item in content.get("services", []):
        flat.update({f"{item['key']}_{key}": value for key, value in item.items() if key != "key"})
    for n, scenario in enumerate(content.get("scenarios", []), start=1):
        flat.update({f"scenario{n}_{key}": value for key, value in scenario.items()})
    flat.update({f"notes_{slide_id}": text for slide_id, text in content.get("notes", {}).items()})
    return flat


def clean(value) -> str:
    """A typed text trimmed, its line ends made \\n."""
    return (value or "").replace("\r\n", "\n").replace("\r", "\n").strip()


def unflatten(kind: str, flat: dict) -> dict:
    """The content of ``kind`` from a flat mapping of its fields."""
    content = {"model": MODEL}
    content.update({f.name: clean(flat.get(f.name)) for f in CORE_FIELDS + EXTRA_FIELDS[kind]})
    content["services"] = [
        {"key": key, **{f.name: clean(flat.get(f"{key}_{f.name}")) for f in SERVICE_FIELDS}} for key in SERVICES
    ]
    if SCENARIO_COUNTS[kind]:
        content["scenarios"] = [
            {f.name: clean(flat.get(f"scenario{n}_{f.name}")) for f in SCENARIO_FIELDS}
            for n in range(1, SCENARIO_COUNTS[kind] + 1)
        ]
    if kind in DECKS:
        content["notes"] = {name.removeprefix("notes_"): clean(flat.get(name)) for name, _f in notes_fields(kind)}
    return content


# -- reading content ----------------------------------------------------------------------------


def service(content: dict, key: str) -> dict | None:
    return next((s for s in content["services"] if s["key"] == key), None)


def paragraphs(text: str) -> list[str]:
    """A text's paragraphs: split on blank lines, each trimmed, empty ones dropped."""
    parts = [p.strip() for p in (text or "").replace("\r\n", "\n").split("\n\n")]
    return [p for p in parts if p]


def items(text: str) -> list[str]:
    """A list typed one item a line: each trimmed, empty lines dropped."""
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def title_lines(text: str) -> list[str]:
    """The title's lines, broken where its text breaks."""
    return items(text) or [""]


def words(text: str) -> int:
    """How many words a text has: runs of characters between spaces holding a letter or a digit."""
    return sum(1 for token in (text or "").split() if any(c.isalnum() for c in token))


# Words kept in capitals when a title is put in sentence case.
ACRONYMS = ("MASH", "DSL", "DSLs", "KCSIE", "SEND", "NHS", "UK", "GP", "CAMHS")


def sentence_case(text: str) -> str:
    """A title as a PDF's /Title: 'THE RIGHT SUPPORT AT THE RIGHT TIME' as 'The right support at
    the right time' (acronyms kept); text already in mixed case keeps its capitals."""
    text = " ".join((text or "").replace("**", "").split())
    letters = [c for c in text if c.isalpha()]
    if letters and all(c.isupper() for c in letters):
        acronyms = {a.upper(): a for a in ACRONYMS}

        def word(w: str) -> str:
            bare = re.sub(r"\W", "", w)
            return w.replace(bare, acronyms[bare]) if bare in acronyms else w.lower()

        text = " ".join(word(w) for w in text.split())
    return text[:1].upper() + text[1:]


# -- the one advice route -------------------------------------------------------------------------


def advice_service(content: dict) -> dict:
    """The service that takes calls for advice (the DSL Infoline unless an admin chose another)."""
    return service(content, content.get("advice_service", "")) or service(content, "dsl_infoline")


def advice_line(content: dict) -> str:
    """The one sentence every material uses to send advice calls to the advice route."""
    chosen = advice_service(content)
    return f"Not sure? Call {chosen['name']} for advice: {chosen['phone']}."


SENTENCE = re.compile(r"[^.!?\n]+")


def advice_conflicts(content: dict, texts: dict[str, str]) -> dict[str, str]:
    """Of ``texts`` (field name: text), those with a sentence that mentions advice and names a service
    other than the advice route, but not the advice route: {field name: the other service's name}."""
    chosen = advice_service(content)
    others = [s["name"] for s in content["services"] if s["key"] != chosen["key"] and s["name"]]
    names = (chosen["name"].lower(), SERVICE_LABELS[chosen["key"]].lower())
    found = {}
    for field, text in texts.items():
        for sentence in SENTENCE.findall(text or ""):
            lowered = sentence.lower()
            if "advice" not in lowered or any(name in lowered for name in names):
                continue
            named = [n for n in others if re.search(rf"\b{re.escape(n.lower())}\b", lowered)]
            if named:
                found[field] = named[0]
                break
    return found
