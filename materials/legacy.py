"""Content written before model 2 (versions without a ``"model"`` key). Their PDFs are stored bytes
that never change; this module keeps only what their HTML pages need to look exactly as they always
did (the old slide outline), and the report's title that :func:`materials.content.upgrade` compares
against. Pure."""

from dataclasses import dataclass

REPORT_TITLE = "THE RIGHT SUPPORT AT THE RIGHT TIME"
SERVICES = ("early_help", "dsl_infoline", "mash")
SERVICE_COLOURS = {"early_help": "green", "dsl_infoline": "amber", "mash": "red"}
SCENARIO_COUNT = 3
REFRESHER = "refresher-slides"


@dataclass(frozen=True)
class Slide:
    """One slide: a heading and blocks. A block is ("text", str), ("service", key),
    ("services", None) for the 'which service when' table, ("scenario", n) or ("poster", None)."""

    heading: str
    blocks: tuple


def deck(kind: str, content: dict) -> list[Slide]:
    """The slides of a model 1 induction or refresher deck, in order."""
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
