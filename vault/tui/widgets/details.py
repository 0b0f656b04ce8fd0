"""The details pane: settings (secrets masked), token metadata, JWT claims, policy, history."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from rich.markup import escape
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.content import Content
from textual.widgets import Static

from vault.core.clock import now
from vault.core.keyinfo import masked_secret
from vault.core.model import Credential, mask
from vault.core.names import printable
from vault.core.providers.expiry import jwt_claims
from vault.core.providers.secretsettings import masker
from vault.core.summary import format_left, secret_label, shown_settings
from vault.tui.widgets.expiry_bar import ExpiryBar

_WHEN = "%Y-%m-%d %H:%M:%S UTC"
"""The one date format of the pane, year included (history, claims, expiry and refresh)."""

HANG = 4
"""A wrapped value's further lines start this far in: under its label, one step deeper."""


def literal(value: str) -> str:
    """Stored or provider text as markup that shows it literally: control characters
    escaped (never sent to the terminal) and Rich markup (``[red]``) not interpreted."""
    return escape(printable(value))


def _when(value: datetime | None) -> str:
    return value.strftime(_WHEN) if value else "—"


def next_action(cred: Credential, at: datetime) -> str:
    """What the app will do next for this credential, in words."""
    token = cred.token
    if not cred.policy.auto:
        return "none: auto-refresh is off (press g or r)"
    if token is None:
        return "none until a token is generated (press g)"
    if token.expires_at is None:
        return "none: the token has no known expiry"
    life = token.lifetime() or timedelta(0)
    due = token.expires_at - life * cred.policy.share
    if due <= at:
        return "refresh now (under the threshold)"
    return f"auto-refresh at {_when(due)} (in {format_left(int((due - at).total_seconds()))})"


class DetailsPane(VerticalScroll):
    """Shows one credential; the parent calls ``show`` when the selection or clock changes."""

    _markup: str = ""
    _width: int = 0

    def compose(self) -> ComposeResult:
        yield Static("", id="details-head")
        yield ExpiryBar(id="details-bar")
        yield Static("", id="details-body")

    def show(
        self, cred: Credential | None, revealed: bool = False, agent_next: str | None = None
    ) -> None:
        """Args:
        agent_next: what the running agent will do for ``cred``; None when no agent refreshes.
        """
        head = self.query_one("#details-head", Static)
        body = self.query_one("#details-body", Static)
        bar = self.query_one("#details-bar", ExpiryBar)
        bar.credential = cred
        if cred is None:
            head.update("[b]No credential selected[/]")
            body.update("")
            return
        head.update(f"[b $primary]{literal(cred.name)}[/]  [dim]{literal(cred.provider)}[/]")
        markup = render_details(cred, revealed, now(), agent_next)
        if markup != self._markup or body.content_region.width != self._width:
            # Same words, same width: nothing to redraw (the parent calls this every second).
            self._markup, self._width = markup, body.content_region.width
            body.update(hang(markup, self._width), layout=True)


def render_details(
    cred: Credential, revealed: bool, at: datetime, agent_next: str | None = None
) -> str:
    """Markup for the pane body; token values only when ``revealed``, secrets never."""
    out: list[str] = []
    token = cred.token
    out.append("[b]Token[/]")
    if token is None:
        out.append("  none" + (" (revoked)" if cred.revoked else " yet: press g to generate"))
    else:
        shown = token.value if revealed else mask(token.value)
        label = "[$accent]value (revealed for 10 s)[/]" if revealed else "value"
        out.append(f"  {label}: {literal(shown)}")
        out.append(f"  type: {literal(token.token_type)}")
        out.append(f"  issued: {_when(token.issued_at)}")
        out.append(f"  expires: {_when(token.expires_at)}  ({format_left(token.seconds_left(at))})")
        out.append(f"  expiry from: {literal(token.expiry_source)}")
        claims = jwt_claims(token.value)
        if claims is not None:
            out.append("[b]JWT claims[/] [dim](decoded, not verified)[/]")
            for key, value in claims.items():
                text = json.dumps(value) if not isinstance(value, str) else value
                if key in ("exp", "iat", "nbf") and isinstance(value, int | float):
                    text += f"  ({datetime.fromtimestamp(value, UTC).strftime(_WHEN)})"
                out.append(f"  {literal(key)}: {literal(text)}")
    if cred.secret_expires_at is not None:
        out.append("[b]Root secret[/]")
        out.append(f"  created: {_when(cred.secret_created_at)}")
        out.append(f"  expires: {_when(cred.secret_expires_at)}")
        out.append(f"  {secret_label(cred.secret_seconds_left(at))}")
    out.append("[b]Refresh policy[/]")
    state = "on" if cred.policy.auto else "off"
    out.append(f"  auto-refresh: {state}, below {cred.policy.share:.0%} of the lifetime")
    out.append(f"  next: {literal(agent_next or next_action(cred, at))}")
    # Stored provider words are masked again: an old vault may hold an echoed secret.
    hide = masker(cred).scrub
    if cred.last_error:
        out.append("[b $error]Last error[/]")
        out.append(f"  [$error]{literal(hide(cred.last_error))}[/]")
    out.append("[b]Settings[/]")
    # A key kept as a plain setting (a literal X-Api-Key header) is masked like a secret.
    for key, value in sorted(shown_settings(cred).items()):
        text = json.dumps(value) if not isinstance(value, str) else value
        out.append(f"  {literal(key)}: {literal(text)}")
    if cred.secrets:
        out.append("[b]Secrets[/] [dim](masked)[/]")
        for key, value in sorted(cred.secrets.items()):
            out.append(f"  {literal(key)}: {masked_secret(value)}")
    out.append("[b]History[/]")
    for event in reversed(cred.history[-25:]):
        detail = f" — {literal(hide(event.detail))}" if event.detail else ""
        out.append(f"  {event.at.strftime(_WHEN)} {literal(event.kind)}{detail}")
    return "\n".join(out)


def hang(markup: str, width: int) -> Content:
    """The pane's lines wrapped to ``width`` with a hanging indent: a long value (a URL, a
    claim, an error) continues under its label instead of back at the left edge."""
    out: list[Content] = []
    for line in markup.split("\n"):
        content = Content.from_markup(line)
        if width <= HANG * 2 or content.cell_length <= width:
            out.append(content)
            continue
        indent = len(content.plain) - len(content.plain.lstrip(" "))
        first, *_ = content.wrap(width)
        out.append(first)
        rest = content.divide([len(first.plain)])[1]
        rest = rest.divide([len(rest.plain) - len(rest.plain.lstrip(" "))])[-1]
        step = indent + HANG
        out.extend(part.pad_left(step) for part in rest.wrap(width - step))
    return Content("\n").join(out)
