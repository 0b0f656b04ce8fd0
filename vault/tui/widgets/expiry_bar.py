"""Expiry bars: share-of-lifetime-left drawn with eighth blocks, plus human "time left" text.

Drawing is plain string work (no widget per row) so a list can paint thousands of rows cheaply.
"""

from __future__ import annotations

from datetime import datetime

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.app import RenderResult
from textual.reactive import reactive
from textual.widget import Widget

from vault.core.clock import now
from vault.core.model import Credential
from vault.core.summary import format_left

EIGHTHS = " ▏▎▍▌▋▊▉"
FULL = "█"
THIN_FULL = "━"
THIN_EMPTY = "─"

WARN_SHARE = 0.30
"""Below this share left a bar turns to the warning colour."""
BAD_SHARE = 0.10
"""Below this share left (the default auto-refresh point) a bar turns to the error colour."""


def urgency(share: float | None, seconds: int | None) -> str:
    """ "ok", "warn" or "bad": the colour class of a bar."""
    if seconds is not None and seconds <= 0:
        return "bad"
    if share is None:
        return "ok"
    if share < BAD_SHARE:
        return "bad"
    if share < WARN_SHARE:
        return "warn"
    return "ok"


def bar_segments(share: float, width: int, fill: Style, track: Style) -> list[Segment]:
    """A bar ``width`` cells wide, ``share`` (0..1) of it filled, with eighth-cell precision."""
    eighths = round(max(0.0, min(1.0, share)) * width * 8)
    full, rem = divmod(eighths, 8)
    segments = [Segment(FULL * full, fill)] if full else []
    used = full
    if rem and used < width:
        # The partial cell: coloured glyph on the track's background.
        segments.append(Segment(EIGHTHS[rem], Style(color=fill.color, bgcolor=track.bgcolor)))
        used += 1
    if used < width:
        segments.append(Segment(" " * (width - used), track))
    return segments


def thin_bar_segments(share: float, width: int, fill: Style, track: Style) -> list[Segment]:
    """The thinner indicator used for a root secret's lifetime."""
    full = round(max(0.0, min(1.0, share)) * width)
    out = [Segment(THIN_FULL * full, fill)] if full else []
    if full < width:
        out.append(Segment(THIN_EMPTY * (width - full), track))
    return out


def secret_share(cred: Credential, at: datetime) -> float | None:
    if cred.secret_expires_at is None:
        return None
    start = cred.secret_created_at
    if start is None:
        return None
    life = (cred.secret_expires_at - start).total_seconds()
    if life <= 0:
        return None
    return max(0.0, min(1.0, (cred.secret_expires_at - at).total_seconds() / life))


class ExpiryBar(Widget):
    """A one-line bar for one credential's token (the details pane uses it, wide)."""

    DEFAULT_CSS = """
    ExpiryBar { height: 1; width: 1fr; }
    ExpiryBar > .expiry-bar--ok { color: $success; }
    ExpiryBar > .expiry-bar--warn { color: $warning; }
    ExpiryBar > .expiry-bar--bad { color: $error; }
    ExpiryBar > .expiry-bar--track { background: $panel; color: $foreground-muted; }
    """
    COMPONENT_CLASSES = {
        "expiry-bar--ok",
        "expiry-bar--warn",
        "expiry-bar--bad",
        "expiry-bar--track",
    }

    credential: reactive[Credential | None] = reactive(None, always_update=True)
    """The credential whose token the bar shows; set by the parent, which sets it again each
    second while the bar is on screen (no timer of its own: a hidden bar costs nothing)."""

    def render(self) -> RenderResult:
        cred = self.credential
        at = now()
        if cred is None or cred.token is None:
            return Text("no token", style="dim")
        token = cred.token
        left = token.seconds_left(at)
        share = token.share_left(at)
        label = f" {format_left(left)}"
        width = max(4, self.size.width - len(label) - 1)
        track = self.get_component_rich_style("expiry-bar--track")
        fill = self.get_component_rich_style(f"expiry-bar--{urgency(share, left)}")
        text = Text()
        share_value = share if share is not None else (1.0 if left is None else 0.0)
        for seg in bar_segments(share_value, width, fill, track):
            text.append(seg.text, seg.style)
        text.append(label, fill)
        return text
