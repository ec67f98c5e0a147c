"""Spot colours of the panels and the WCAG contrast ratio of their text. Pure."""

# Background and text colour of each service's panel; every text colour must meet WCAG AA (4.5:1).
PANELS = {
    "green": {"background": "#00703c", "text": "#ffffff"},
    "amber": {"background": "#ffb81c", "text": "#0b0c0c"},
    "red": {"background": "#b10e1e", "text": "#ffffff"},
}
PAPER = "#ffffff"
REMEMBER_BORDER = "#0b0c0c"
WCAG_AA = 4.5


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
