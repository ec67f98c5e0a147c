"""The materials' palette: the spot colour of each service's panel with the ink on it, and the WCAG
contrast arithmetic that checks it. Pure.

Schools photocopy in black and white, so the fills run from light to dark as the services run from
'not urgent' to 'child at risk now': every pair of fills differs by a luminance contrast of at least
PANEL_CONTRAST (not only neighbours), and the ink on each meets WCAG AA. The same holds for the
fills as a reader with deuteranopia or protanopia sees them (about one man in twelve has a red-green
colour vision deficiency), simulated with Machado, Oliveira and Fernandes's matrices (2009, full
severity) in linear RGB.
"""

from itertools import combinations

# Background and text colour of each service's panel.
PANELS = {
    "green": {"background": "#96dba3", "text": "#0b0c0c"},
    "amber": {"background": "#db8000", "text": "#0b0c0c"},
    "red": {"background": "#a00f1e", "text": "#ffffff"},
}
INK = "#0b0c0c"
PAPER = "#ffffff"
WCAG_AA = 4.5
# Two fills no photocopier prints as the same grey.
PANEL_CONTRAST = 1.5


def rgb(hex_colour: str) -> tuple[int, int, int]:
    """'#00703c' as (0, 112, 60)."""
    value = hex_colour.lstrip("#")
    if len(value) != 6:
        raise ValueError(f"not a #rrggbb colour: {hex_colour!r}")
    return int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16)


def _linear(channel: int) -> float:
    c = channel / 255
    return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4


def _luminance(r: float, g: float, b: float) -> float:
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def relative_luminance(hex_colour: str) -> float:
    """Relative luminance as WCAG 2 defines it, 0 (black) to 1 (white)."""
    return _luminance(*(_linear(c) for c in rgb(hex_colour)))


# Red-green colour vision deficiencies at full severity (Machado, Oliveira and Fernandes, 2009), as
# matrices on linear RGB. Each row sums to 1, so greys are seen as they are.
COLOUR_VISION = {
    "deuteranopia": ((0.367322, 0.860646, -0.227968), (0.280085, 0.672501, 0.047413),
                     (-0.011820, 0.042940, 0.968881)),
    "protanopia": ((0.152286, 1.052583, -0.204868), (0.114503, 0.786281, 0.099216),
                   (-0.003882, -0.048116, 1.051998)),
}


def seen_luminance(hex_colour: str, vision: str) -> float:
    """The relative luminance of a colour as a reader with ``vision`` (a COLOUR_VISION key) sees it."""
    linear = [_linear(c) for c in rgb(hex_colour)]
    seen = [min(1.0, max(0.0, sum(m * c for m, c in zip(row, linear)))) for row in COLOUR_VISION[vision]]
    return _luminance(*seen)


def contrast_ratio(foreground: str, background: str) -> float:
    """WCAG contrast ratio of two colours, 1 to 21."""
    lighter, darker = sorted((relative_luminance(foreground), relative_luminance(background)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def panel_contrasts() -> dict[str, float]:
    """The contrast of each panel's text on its background."""
    return {name: contrast_ratio(p["text"], p["background"]) for name, p in PANELS.items()}


def fill_contrasts() -> dict[tuple[str, str], float]:
    """The luminance contrast of every pair of panel fills."""
    return {(a, b): contrast_ratio(PANELS[a]["background"], PANELS[b]["background"])
            for a, b in combinations(PANELS, 2)}


def seen_fill_contrasts() -> dict[tuple[str, str, str], float]:
    """The luminance contrast of every pair of panel fills as each colour vision deficiency sees
    them: {(vision, panel, panel): ratio}."""
    out = {}
    for vision in COLOUR_VISION:
        for a, b in combinations(PANELS, 2):
            lighter, darker = sorted((seen_luminance(PANELS[x]["background"], vision) for x in (a, b)), reverse=True)
            out[(vision, a, b)] = (lighter + 0.05) / (darker + 0.05)
    return out
