"""The materials' palette: the spot colour of each service's panel with the ink on it, and the WCAG
contrast arithmetic that checks it. Pure.

Schools photocopy in black and white, so the fills run from light to dark as the services run from
'not urgent' to 'child at risk now': every pair of fills differs by a luminance contrast of at least
PANEL_CONTRAST (not only neighbours), and the ink on each meets WCAG AA.
"""

from itertools import combinations

# Background and text colour of each service's panel.
PANELS = {
    "green": {"background": "#8cd49a", "text": "#0b0c0c"},
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


def relative_luminance(hex_colour: str) -> float:
    """Relative luminance as WCAG 2 defines it, 0 (black) to 1 (white)."""

    def linear(channel: int) -> float:
        c = channel / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (linear(c) for c in rgb(hex_colour))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


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
