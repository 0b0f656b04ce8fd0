"""Copy a token to the system clipboard, and clear it later only if it still holds our token.

Threat model: a copied token outlives its use in the clipboard and in clipboard managers'
histories. So every copy is cleared after a timeout (30 s by default) and, where the tool
can say so, marked as a password so that history managers skip it.

Password hint, platform by platform (what is actually feasible from a subprocess):

* ``wl-copy``: offers one MIME type per call; wl-clipboard added ``--sensitive`` (which
  offers ``x-kde-passwordManagerHint: secret`` beside the text) in newer releases, so we use it
  when ``wl-copy --help`` lists it, and otherwise copy plain text.
* ``xclip``: one process owns one target (``-t``). Offering the text *and* the hint target
  needs a single X selection owner serving both, which xclip cannot be; offering only the hint
  target would make the token unpasteable. So no hint through xclip (documented limitation).
* ``xsel``: text only, no targets at all.
* ``pbcopy``: plain text only; the macOS ``org.nspasteboard.ConcealedType`` needs the
  NSPasteboard API, not available from ``pbcopy``.
* ``clip.exe``: plain text only; Windows' ``ExcludeClipboardContentFromMonitorProcessing``
  format needs the Win32 clipboard API.
* OSC 52: the terminal owns the clipboard; there is no way to mark the content.
"""

from __future__ import annotations

import base64
import os
import shlex
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field

from vault.core.passphrase import child_environ

PASSWORD_HINT = "x-kde-passwordManagerHint"

_TIMEOUT = 3.0
"""Seconds a clipboard tool may take; a hung tool must never hang the app."""


@dataclass(frozen=True)
class Tool:
    """A native clipboard command line: how to write, read back and clear."""

    name: str
    copy: list[str]
    paste: list[str] | None
    clear: list[str] | None = None
    hint_args: list[str] = field(default_factory=list)
    """Extra arguments that mark the content as a password, when the tool supports it."""


@dataclass(frozen=True)
class CopyResult:
    """What a copy did.

    ``osc52`` is set when no native tool worked: the caller (the TUI) must write that escape
    sequence to the terminal itself. ``hinted`` tells whether the password hint was offered.
    """

    method: str
    osc52: str | None = field(default=None, repr=False)
    hinted: bool = False
    missing: str | None = None
    """A chosen tool that could not run (not installed, or it failed), named so the user
    knows the copy went through the terminal instead, rather than silently."""
    tmux: bool = False
    """OSC 52 was sent from inside tmux, which passes it on only with ``set-clipboard on``."""

    @property
    def confirmed(self) -> bool:
        """Whether the copy is known to have landed: never for OSC 52 (the terminal is silent)."""
        return self.method != "osc52"


def osc52_sequence(text: str) -> str:
    """The OSC 52 escape sequence that asks the terminal to put ``text`` on its clipboard."""
    payload = base64.b64encode(text.encode("utf-8")).decode("ascii")
    return f"\x1b]52;c;{payload}\a"


def osc52_clear_sequence() -> str:
    """OSC 52 with an empty payload: terminals that honour it empty their clipboard."""
    return "\x1b]52;c;\a"


def detect_tool() -> Tool | None:
    """The first native clipboard tool usable in this session, or None.

    ``TOKENVAULT_CLIPBOARD=osc52`` forces the terminal path (ssh sessions, tests).
    """
    forced = os.environ.get("TOKENVAULT_CLIPBOARD", "").strip().lower()
    if forced in {"osc52", "none"}:
        return None
    candidates = _candidates()
    if forced:
        candidates = [t for t in candidates if t.name == forced]
    for tool in candidates:
        if shutil.which(tool.copy[0]):
            return tool
    return None


def _candidates() -> list[Tool]:
    tools: list[Tool] = []
    if sys.platform == "darwin":
        tools.append(Tool("pbcopy", ["pbcopy"], ["pbpaste"]))
    if sys.platform == "win32" or _is_wsl():
        tools.append(
            Tool(
                "clip.exe",
                ["clip.exe"],
                ["powershell.exe", "-NoProfile", "-Command", "Get-Clipboard"],
            )
        )
    if os.environ.get("WAYLAND_DISPLAY"):
        tools.append(
            Tool(
                "wl-copy",
                ["wl-copy"],
                ["wl-paste", "--no-newline"],
                clear=["wl-copy", "--clear"],
                hint_args=["--sensitive"] if _wl_copy_has_sensitive() else [],
            )
        )
    if os.environ.get("DISPLAY"):
        tools.append(
            Tool(
                "xclip",
                ["xclip", "-selection", "clipboard", "-in"],
                ["xclip", "-selection", "clipboard", "-out"],
            )
        )
        tools.append(
            Tool(
                "xsel",
                ["xsel", "--clipboard", "--input"],
                ["xsel", "--clipboard", "--output"],
                clear=["xsel", "--clipboard", "--delete"],
            )
        )
    return tools


def _is_wsl() -> bool:
    try:
        with open("/proc/version", encoding="ascii", errors="ignore") as fh:
            return "microsoft" in fh.read().lower()
    except OSError:
        return False


def _wl_copy_has_sensitive() -> bool:
    if not shutil.which("wl-copy"):
        return False
    try:
        out = subprocess.run(
            ["wl-copy", "--help"],
            capture_output=True,
            text=True,
            timeout=_TIMEOUT,
            env=child_environ(),
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return False
    return "--sensitive" in (out.stdout + out.stderr)


def _run(args: list[str], data: str | None = None) -> subprocess.CompletedProcess[bytes]:
    # xclip and wl-copy fork a child that keeps serving the selection; it inherits our pipes, so
    # stdout/stderr go to DEVNULL or run() would wait for the child forever.
    return subprocess.run(
        args,
        input=data.encode("utf-8") if data is not None else None,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        stdin=None if data is not None else subprocess.DEVNULL,
        timeout=_TIMEOUT,
        env=child_environ(),
        check=True,
    )


def configured_tool(command: str) -> Tool:
    """The ``[clipboard] command`` of the config (``"xsel --clipboard --input"``) as a Tool.

    A known tool's name (xclip, xsel, wl-copy, pbcopy, clip.exe) keeps that tool's way of
    reading back and clearing, so the copy is still cleared only if it is still ours; any
    other command is copy-only, and clearing copies an empty text with it.
    """
    args = shlex.split(command)
    name = os.path.basename(args[0]) if args else command
    known = {
        "xclip": (["xclip", "-selection", "clipboard", "-out"], None),
        "xsel": (["xsel", "--clipboard", "--output"], ["xsel", "--clipboard", "--delete"]),
        "wl-copy": (["wl-paste", "--no-newline"], ["wl-copy", "--clear"]),
        "pbcopy": (["pbpaste"], None),
    }
    paste, clear = known.get(name, (None, None))
    return Tool(name, args, paste, clear)


def chosen_tool(command: str = "") -> Tool | None:
    """The one choice every front end makes (the TUI, `tokenvault copy` and its clearer).

    The config's ``[clipboard] command`` wins when set, used as is even if it is not
    installed (the copy then names it as missing rather than silently taking another tool
    the user did not pick); otherwise the first tool ``detect_tool`` finds.
    """
    if command:
        return configured_tool(command)
    return detect_tool()


def copy_text(text: str, tool: Tool | None = None) -> CopyResult:
    """Put ``text`` on the clipboard with the native tool, else return the OSC 52 sequence."""
    tool = tool if tool is not None else detect_tool()
    missing = None
    if tool is not None:
        try:
            _run([*tool.copy, *tool.hint_args], text)
            return CopyResult(method=tool.name, hinted=bool(tool.hint_args))
        except (OSError, subprocess.SubprocessError):
            missing = tool.name  # fall through to the terminal, which works over ssh too
    return CopyResult(
        method="osc52",
        osc52=osc52_sequence(text),
        missing=missing,
        tmux=bool(os.environ.get("TMUX")),
    )


def read_text(tool: Tool | None = None) -> str | None:
    """The clipboard's text via the native tool, or None when it cannot be read."""
    tool = tool if tool is not None else detect_tool()
    if tool is None or tool.paste is None:
        return None
    try:
        out = subprocess.run(
            tool.paste,
            capture_output=True,
            stdin=subprocess.DEVNULL,
            timeout=_TIMEOUT,
            env=child_environ(),
            check=True,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    text = out.stdout.decode("utf-8", errors="replace")
    return text[:-2] if tool.name == "clip.exe" and text.endswith("\r\n") else text


def clear_if_unchanged(expected: str, method: str, tool: Tool | None = None) -> CopyResult | None:
    """Empty the clipboard, but only if it still holds ``expected`` (see ``clear_if_holding``)."""
    return clear_if_holding(lambda current: current == expected, method, tool)


def clear_if_holding(
    ours: Callable[[str], bool], method: str, tool: Tool | None = None
) -> CopyResult | None:
    """Empty the clipboard, but only if ``ours(text it holds)`` says it is still our copy.

    A predicate rather than the text itself, so the detached clearer of `tokenvault copy`
    (vault.core.clipclear) can decide by a digest and never hold the token.

    The user may have copied something else since; wiping that would be rude and lose data.

    Returns:
        None when nothing was to be done or the native tool cleared it; a ``CopyResult`` with
        an OSC 52 clearing sequence when the copy went through the terminal (which cannot be
        read back, so the terminal's clipboard is cleared unconditionally).
    """
    if method == "osc52":
        return CopyResult(method="osc52", osc52=osc52_clear_sequence())
    tool = tool if tool is not None else detect_tool()
    if tool is None or tool.name != method:
        return None
    current = read_text(tool)
    if current is not None and not ours(current.rstrip("\r\n")):
        return None
    try:
        if tool.clear is not None:
            _run(tool.clear)
        else:
            _run(tool.copy, "")
    except (OSError, subprocess.SubprocessError):
        pass
    return None
