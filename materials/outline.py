"""What each page of a material says, in order: the slides of the two decks, the texts of the poster's
panels, and the follow-up sheet's back. The PDF builders and the HTML versions both read these, so a
screen reader gets every word the PDF prints. Pure: no Flask, no database, no layout."""

from dataclasses import dataclass, field

from materials import legacy
from materials.content import (
    DECK_SLIDES,
    DECKS,
    INDUCTION,
    REFRESHER,
    SERVICE_COLOURS,
    SERVICES,
    advice_line,
    advice_service,
    items,
    model_of,
    service,
    words,
)

# Projected slides are read from the back of a room: no slide says more than this.
SLIDE_WORDS = 60
# The poster is read at a glance: every word on it, footer included, at most this many.
POSTER_WORDS = 150


# What a panel can show, in reading order; the poster shows all but ``after``.
PARTS = ("urgency", "name", "phone", "when", "examples", "messages")


@dataclass(frozen=True)
class Panel:
    """One service as the poster and the slides show it."""

    key: str
    name: str
    phone: str
    urgency: str
    when: str
    examples: str
    messages: tuple[str, ...]  # the behavioural lines that belong beside this service
    after: str

    def texts(self, parts: tuple[str, ...] = PARTS) -> list[str]:
        """The texts of ``parts`` of the panel, in reading order."""
        out = []
        for part in parts:
            value = getattr(self, part)
            out += list(value) if isinstance(value, tuple) else [value]
        return out


def panel_messages(content: dict, key: str) -> tuple[str, ...]:
    """The lines printed in a service's panel besides its own texts: the gain framing beside Early
    Help, the advice prompt beside the advice route, the greater good beside MASH."""
    lines = []
    if key == "early_help" and content.get("gain_framing"):
        lines.append(content["gain_framing"])
    if key == advice_service(content)["key"]:
        lines.append("Not sure? Call here for advice.")
    if key == "mash" and content.get("greater_good_line"):
        lines.append(content["greater_good_line"])
    return tuple(lines)


def panels(content: dict) -> list[Panel]:
    """The three services, least urgent first."""
    out = []
    for key in SERVICES:
        s = service(content, key)
        out.append(Panel(key, s["name"], s["phone"], s.get("urgency", ""), s.get("when", ""), s.get("examples", ""),
                         panel_messages(content, key), s.get("after", "")))
    return out


def poster_texts(content: dict) -> list[str]:
    """Every text the poster prints, footer aside, in reading order."""
    texts = [content["title"], content["question"], content["social_norm"]]
    for panel in panels(content):
        texts += panel.texts()
    return texts + [content["danger"], content["danger_phone"]]


def poster_words(content: dict, footer: str = "") -> int:
    return sum(words(t) for t in poster_texts(content)) + words(footer)


# -- the decks ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Slide:
    """One slide: its id (the key of its trainer's note), its title, the layout that draws it, the
    texts it shows (by name; lists for lists) and the panels it shows."""

    id: str
    title: str
    layout: str
    texts: dict = field(default_factory=dict)
    panels: tuple[Panel, ...] = ()
    parts: tuple[str, ...] = PARTS  # what each of the panels shows
    note: str = ""

    @property
    def words(self) -> int:
        """Every word on the slide but its footer."""
        count = words(self.title)
        for value in self.texts.values():
            count += sum(words(v) for v in value) if isinstance(value, (list, tuple)) else words(value)
        return count + sum(sum(words(t) for t in p.texts(self.parts)) for p in self.panels)


def _scenario_slides(content: dict, n: int, asked: str, title: str) -> list[Slide]:
    """A worked example as two slides: the situation and the question, then the answer and why."""
    scenario = content["scenarios"][n - 1]
    chosen = service(content, scenario.get("service", ""))
    all_panels = tuple(panels(content))
    question = Slide(f"{asked}_{n}", f"{title} {n}: which service?", "question",
                     {"situation": scenario["situation"], "norm": content["social_norm"]}, all_panels, ("name",))
    answer_panel = next((p for p in all_panels if chosen and p.key == chosen["key"]), None)
    answer = Slide(f"answer_{n}", f"{title} {n}: the answer", "answer", {"why": scenario["why"]},
                   (answer_panel,) if answer_panel else (), ("name", "phone", "messages"))
    return [question, answer]


def _service_slides(content: dict) -> list[Slide]:
    return [Slide(f"service_{p.key}", f"{p.name}: when to call", "service", {}, (p,)) for p in panels(content)]


def _induction(content: dict) -> list[Slide]:
    slides = [
        Slide("title", content["heading"], "title", {"subtitle": content.get("subtitle", "")}),
        Slide("agenda", "Agenda", "list", {"items": items(content.get("agenda", ""))}),
        Slide("outcomes", "By the end of this session you can", "list", {"items": items(content.get("outcomes", ""))}),
        Slide("why", "Why this matters", "figure", {"text": content.get("intro", ""), "figure": content["social_norm"],
                                                     "source": content.get("social_norm_source", "")}),
        _services(content),
        *_service_slides(content),
        Slide("danger", "Immediate danger", "danger", {"text": content["danger"], "phone": content["danger_phone"]}),
    ]
    for n in range(1, len(content.get("scenarios", [])) + 1):
        slides += _scenario_slides(content, n, "example", "Example")
    slides += [_after(content),
               Slide("close", "Keep the poster by your phone", "close",
                     {"text": content.get("closing", ""), "advice": advice_line(content)})]
    return slides


def _services(content: dict) -> Slide:
    """The three services side by side, least urgent first, with the advice route."""
    return Slide("services", content["question"], "services", {"advice": advice_line(content)}, tuple(panels(content)),
                 ("urgency", "name", "phone"))


def _after(content: dict) -> Slide:
    return Slide("after", "After you call: what happens and when", "after", {}, tuple(panels(content)),
                 ("name", "after"))


def _refresher(content: dict) -> list[Slide]:
    slides = [
        Slide("title", content["heading"], "title", {"subtitle": content.get("subtitle", "")}),
        Slide("today", "Today", "today", {"agenda": items(content.get("agenda", "")),
                                          "outcomes": items(content.get("outcomes", ""))}),
        Slide("changes", "What has changed", "figure", {"figure": content["social_norm"],
                                                        "source": content.get("social_norm_source", ""),
                                                        "text": content.get("changes", "")}),
    ]
    for n in range(1, len(content.get("scenarios", [])) + 1):
        slides += _scenario_slides(content, n, "quiz", "Question")
    slides += [_services(content), _after(content)]
    return slides


def deck(kind: str, content: dict) -> list[Slide]:
    """The slides of an induction or refresher deck, in order, each with its trainer's note."""
    slides = _induction(content) if kind == INDUCTION else _refresher(content) if kind == REFRESHER else []
    notes = content.get("notes", {})
    return [Slide(s.id, s.title, s.layout, s.texts, s.panels, s.parts, notes.get(s.id, "")) for s in slides]


def slide_ids(kind: str) -> list[str]:
    return [slide_id for slide_id, _label in DECK_SLIDES.get(kind, ())]


def long_slides(kind: str, content: dict) -> list[tuple[int, Slide]]:
    """The slides (numbered from 1) that say more than SLIDE_WORDS words."""
    return [(n, s) for n, s in enumerate(deck(kind, content), start=1) if s.words > SLIDE_WORDS]


def page_context(kind: str, content: dict) -> dict:
    """What a material's HTML page needs besides its content: the article template for the content
    model it was written in, and the outline that article walks."""
    if model_of(content) < 2:
        return {"article": "materials/_legacy_article.html", "colours": legacy.SERVICE_COLOURS,
                "slides": legacy.deck(kind, content) if kind in DECKS else None}
    return {"article": "materials/_article.html", "colours": SERVICE_COLOURS, "panels": panels(content),
            "slides": deck(kind, content) if kind in DECKS else None, "advice": advice_line(content)}
