"""One list row as columns: their widths, what each shows (quantised), and its segments.

A row's ``state`` holds, per column, exactly what decides its cells: the text, the colour
class and a bar's length in eighths of a cell. Two equal states draw equal cells, so the list
compares states to rewrite only the columns that changed.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from datetime import datetime
from typing import Any

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style

from vault.core.model import Credential, Status
from vault.core.names import printable
from vault.core.providers import PRESETS
from vault.core.summary import format_left, secret_label
from vault.tui.widgets.expiry_bar import bar_segments, secret_share, thin_bar_segments, urgency

SPINNER = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"

SECRET_BAR = 5
"""Cells of the root secret's thin indicator."""

STYLE_WIDTH = max(len(style) for style in PRESETS) + 1
"""The style column when there is room for every style name in full."""

LABELS = ("", "name", "style", "status", "token", "left", "root secret")
"""The header's label of each column (the first holds the busy spinner)."""

_STATUS_CLASS = {
    Status.VALID: "ok",
    Status.EXPIRING: "warn",
    Status.EXPIRED: "bad",
    Status.ERROR: "bad",
}

Widths = tuple[int, int, int, int, int, int]
"""Name, style, status, bar, time and secret column widths."""


def columns(width: int) -> Widths:
    """Widths of name, style, status, bar, time and secret columns for this width.

    Narrow lists (a 100-column terminal with the details pane open) drop whole columns,
    style first, then the root secret (the pane shows both), rather than cutting text.
    Wide ones give every style its full name and the rest of the width to names: at 200
    columns nothing is cut and the columns spread over the screen.
    """
    bar = 20 if width >= 110 else 12
    kept = 2 + 10 + bar + 1 + 16
    name_min = 16
    style, secret = STYLE_WIDTH, 18
    if width - kept - secret - style < 20:
        style = 16
    if width - kept - secret - style < name_min:
        style = 0
    if width - kept - secret - style < name_min:
        secret = 0
    name = max(12, width - kept - style - secret)
    return name, style, 10, bar, 16, secret


def row_width(widths: Widths) -> int:
    """Cells in a row: the spinner's 2, every column, and the space after the bar."""
    return 2 + sum(widths) + 1


def spans(widths: Widths) -> list[tuple[int, int]]:
    """(x, width) of the spinner, name, style, status, bar, time and secret columns."""
    name_w, style_w, status_w, bar_w, time_w, secret_w = widths
    out, x = [], 0
    for w in (2, name_w, style_w, status_w, bar_w + 1, time_w, secret_w):
        out.append((x, w))
        x += w
    return out


def row_state(
    cred: Credential,
    at: datetime,
    bar_w: int,
    busy: Collection[str],
    doing: Mapping[str, str],
) -> tuple[Any, ...]:
    """What each column shows, quantised as drawn: equal states draw equal cells."""
    status = cred.status(at)
    mark = SPINNER[int(at.timestamp() * 8) % len(SPINNER)] if cred.name in busy else ""
    token = cred.token
    if token is None:
        bar: tuple[Any, ...] = ("none",)
        left: tuple[Any, ...] = ("revoked" if cred.revoked else "no token",)
    else:
        seconds = token.seconds_left(at)
        share = token.share_left(at)
        level = urgency(share, seconds)
        value = share if share is not None else (1.0 if seconds is None else 0.0)
        # Eighths of a cell: a bar that moved less than that draws the same cells.
        bar = (round(max(0.0, min(1.0, value)) * bar_w * 8), level)
        left = (format_left(seconds), level)
    secret: tuple[Any, ...] = ()
    secret_left = cred.secret_seconds_left(at)
    if secret_left is not None:
        sshare = secret_share(cred, at)
        thin = round(max(0.0, min(1.0, 1.0 if sshare is None else sshare)) * SECRET_BAR)
        secret = (thin, secret_label(secret_left), cred.secret_level(at) or "ok")
    names = (cred.name, cred.provider)
    return (mark, names, names, (doing.get(cred.name), status), bar, left, secret)


def row_segments(
    cred: Credential,
    state: tuple[Any, ...],
    widths: Widths,
    style: Style,
    colour: Callable[[str], Style],
) -> list[Segment]:
    """The row's segments on ``style`` (the list's, or the cursor's background).

    ``colour("ok")`` gives a colour class's foreground; ``colour("track")`` the bar's track.
    """
    return [
        seg for column in range(COLUMNS) for seg in cell(column, cred, state, widths, style, colour)
    ]


COLUMNS = 7
"""Spinner, name, style, status, bar, time and root secret: the parts of ``row_state``."""


def cell(
    column: int,
    cred: Credential,
    state: tuple[Any, ...],
    widths: Widths,
    style: Style,
    colour: Callable[[str], Style],
) -> list[Segment]:
    """One column's segments, exactly its ``spans`` width: a tick redraws a row by rebuilding
    only the columns whose state changed and reusing the others' segments."""
    name_w, style_w, status_w, bar_w, time_w, secret_w = widths
    mark, _, _, (doing, status), bar, left, secret = state
    if column == 0:
        return [Segment(f"{mark} ", style + colour("busy")) if mark else Segment("  ", style)]
    if column == 1:
        # Segments are not markup, but a stored name may still hold control characters.
        return [Segment(pad(printable(cred.name), name_w), style)]
    if column == 2:
        return [Segment(pad(printable(cred.provider), style_w), style + colour("dim"))]
    if column == 3:
        status_colour = colour(_STATUS_CLASS.get(status, "dim"))
        return [Segment(pad(doing or status.value, status_w), style + status_colour)]
    if column == 4:
        if bar == ("none",):
            return [Segment(pad("·" * bar_w, bar_w + 1), style + colour("dim"))]
        eighths, level = bar
        track = style + colour("track")
        return [
            *bar_segments(eighths / (bar_w * 8), bar_w, style + colour(level), track),
            Segment(" ", style),
        ]
    if column == 5:
        fill = style + colour("dim" if bar == ("none",) else left[1])
        return [Segment(pad(left[0], time_w), fill)]
    if secret and secret_w:
        thin, label, slevel = secret
        sfill = style + colour(slevel)
        dim = style + colour("dim")
        return [
            *thin_bar_segments(thin / SECRET_BAR, SECRET_BAR, sfill, dim),
            Segment(" " + pad(label, secret_w - SECRET_BAR - 1), sfill),
        ]
    return [Segment(" " * secret_w, style)] if secret_w else []


def pad(text: str, width: int) -> str:
    if width <= 0:
        return ""
    if cell_len(text) > width - 1:
        return set_cell_size(text, width - 2) + "… "
    return set_cell_size(text, width)
