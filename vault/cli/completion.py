"""`tokenvault completion bash|zsh|fish`: shell completion generated from the real parser.

The scripts are built from ``build_parser()`` when asked for, so a new command or flag is
completed without anyone editing a script. Credential names come from
``tokenvault completion --names``, which asks the running agent only: completing a word must
never prompt for a passphrase, read the vault file or keep the agent awake. Without an agent
it prints nothing (exit 0) and no names are offered.
"""

from __future__ import annotations

import argparse
import shlex
from dataclasses import dataclass, field

from vault.cli.common import Command, out, vault_path
from vault.core.names import printable

SHELLS = ("bash", "zsh", "fish")

NAMES = "names"
FILES = "files"
"""Value kinds besides a list of choices: credential names and paths."""

NEW_NAMES = frozenset({"add"})
"""Commands whose NAME is a new name: offering the existing ones would only mislead."""

Kind = str | tuple[str, ...]
"""What completes a value: NAMES, FILES, a tuple of choices, or "" (nothing to offer)."""


@dataclass
class CommandSpec:
    """One command as completion needs it."""

    name: str
    help: str
    flags: list[str] = field(default_factory=list)
    values: dict[str, Kind] = field(default_factory=dict)
    """Flags that take a value, and what completes it."""
    positionals: list[Kind] = field(default_factory=list)
    repeat_last: bool = False
    """The last positional takes any number of words (``refresh NAME...``)."""


def _provider_styles() -> tuple[str, ...]:
    from vault.core.providers.presets import PRESETS

    return tuple(sorted(PRESETS))


def _kind(action: argparse.Action) -> Kind:
    if action.choices:
        return tuple(str(choice) for choice in action.choices)
    if action.dest == "provider":
        return _provider_styles()  # `add --provider STYLE`: free text to argparse, presets here
    if action.dest in {"name", "names", "rest"}:
        return NAMES
    metavar = str(action.metavar or "")
    if metavar in {"FILE", "PATH", "DIR"} or action.dest.endswith(("_file", "_dir")):
        return FILES
    return ""


def _visible(action: argparse.Action) -> bool:
    return action.help != argparse.SUPPRESS


def _options(parser: argparse.ArgumentParser) -> tuple[list[str], dict[str, Kind]]:
    flags: list[str] = []
    values: dict[str, Kind] = {}
    for action in parser._actions:
        if not action.option_strings or not _visible(action):
            continue
        for flag in action.option_strings:
            flags.append(flag)
            if action.nargs != 0:
                values[flag] = _kind(action)
    return flags, values


def spec(parser: argparse.ArgumentParser) -> tuple[CommandSpec, list[CommandSpec]]:
    """The global options (as a spec without positionals) and every command, in help order."""
    flags, values = _options(parser)
    top = CommandSpec("tokenvault", parser.description or "", flags, values)
    subs = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    helps = {choice.dest: str(choice.help or "") for choice in subs._choices_actions}
    commands = []
    for name, sub in subs.choices.items():
        flags, values = _options(sub)
        cmd = CommandSpec(name, helps.get(name, ""), flags, values)
        for action in sub._actions:
            if action.option_strings or not _visible(action):
                continue
            kind = _kind(action)
            cmd.positionals.append("" if kind == NAMES and name in NEW_NAMES else kind)
            cmd.repeat_last = action.nargs in {"*", "+", argparse.REMAINDER}
        commands.append(cmd)
    return top, commands


# -- bash (zsh reuses it through bashcompinit) ---------------------------------------------------


def _words(items: list[str] | tuple[str, ...]) -> str:
    return shlex.quote(" ".join(items))


def _reply(kind: Kind) -> str:
    """Bash that fills COMPREPLY for a value of ``kind`` (``cur`` is the word being typed)."""
    if kind == NAMES:
        return "_tokenvault_complete_names"
    if kind == FILES:
        return "_tokenvault_complete_files"
    if isinstance(kind, tuple):
        return f'COMPREPLY=($(compgen -W {_words(kind)} -- "$cur"))'
    return ":"


def _value_cases(command: str, values: dict[str, Kind]) -> list[str]:
    return [f'        "{command} {flag}") {_reply(kind)} ;;' for flag, kind in values.items()]


def bash_script() -> str:
    from vault.cli import build_parser

    top, commands = spec(build_parser())
    takes = [f'        "{c.name} {f}") return 0 ;;' for c in commands for f in c.values]
    values = [line for c in commands for line in _value_cases(c.name, c.values)]
    flags = [f"        {c.name}) echo {_words(c.flags)} ;;" for c in commands]
    positional, clamps = [], []
    for c in commands:
        for i, kind in enumerate(c.positionals):
            positional.append(f'        "{c.name} {i}") {_reply(kind)} ;;')
        if c.repeat_last and c.positionals:
            last = len(c.positionals) - 1  # NAME... : every later word is the last one again
            clamps.append(f"        {c.name}) ((n > {last})) && n={last} ;;")
    global_values = "\n".join(
        f"                {flag}) {_reply(kind)}; return 0 ;;" for flag, kind in top.values.items()
    )
    global_takes = "|".join(top.values)
    names = [c.name for c in commands]
    return BASH_TEMPLATE.format(
        commands=_words(names),
        global_flags=_words(top.flags),
        global_takes=global_takes,
        global_values=global_values,
        takes="\n".join(takes),
        values="\n".join(values),
        flags="\n".join(flags),
        positional="\n".join(positional),
        clamps="\n".join(clamps),
    )


BASH_TEMPLATE = """\
# tokenvault completion for bash, generated by `tokenvault completion bash`.
# Load it with: eval "$(tokenvault completion bash)"   (e.g. in ~/.bashrc)

_tokenvault_names() {{
    # Names come from the running agent only: never a passphrase prompt, never the vault.
    local i
    local -a vault=()
    for ((i = 1; i < COMP_CWORD; i++)); do
        if [[ ${{COMP_WORDS[i]}} == --vault ]]; then vault=(--vault "${{COMP_WORDS[i + 1]}}"); fi
    done
    command tokenvault "${{vault[@]}}" completion --names 2>/dev/null </dev/null
}}

_tokenvault_complete_names() {{
    local name quoted
    while IFS= read -r name; do
        printf -v quoted '%q' "$name"
        [[ $quoted == "$cur"* ]] && COMPREPLY+=("$quoted")
    done < <(_tokenvault_names)
}}

_tokenvault_complete_files() {{
    compopt -o filenames 2>/dev/null
    COMPREPLY=($(compgen -f -- "$cur"))
}}

_tokenvault_takes_value() {{
    case "$1 $2" in
{takes}
    esac
    return 1
}}

_tokenvault_value() {{
    case "$1 $2" in
{values}
    esac
}}

_tokenvault_flags() {{
    case "$1" in
{flags}
    esac
}}

_tokenvault_positional() {{
    local n=$2
    case "$1" in
{clamps}
    esac
    case "$1 $n" in
{positional}
    esac
}}

_tokenvault() {{
    local cur="${{COMP_WORDS[COMP_CWORD]}}" cmd="" npos=0 i w
    COMPREPLY=()
    for ((i = 1; i < COMP_CWORD; i++)); do
        w="${{COMP_WORDS[i]}}"
        if [[ -z $cmd ]]; then
            case "$w" in
                {global_takes})
                    if ((i == COMP_CWORD - 1)); then
                        case "$w" in
{global_values}
                        esac
                    fi
                    ((i++)) ;;
                -*) ;;
                *) cmd="$w" ;;
            esac
        elif [[ $w == -- ]]; then
            return 0  # what follows is another command's (exec): the shell's own completion
        elif [[ $w == -* ]]; then
            if [[ $w != *=* ]] && _tokenvault_takes_value "$cmd" "$w"; then
                if ((i == COMP_CWORD - 1)); then
                    _tokenvault_value "$cmd" "$w"
                    return 0
                fi
                ((i++))
            fi
        else
            ((npos++))
        fi
    done
    if [[ -z $cmd ]]; then
        if [[ $cur == -* ]]; then
            COMPREPLY=($(compgen -W {global_flags} -- "$cur"))
        else
            COMPREPLY=($(compgen -W {commands} -- "$cur"))
        fi
    elif [[ $cur == -* ]]; then
        COMPREPLY=($(compgen -W "$(_tokenvault_flags "$cmd")" -- "$cur"))
    else
        _tokenvault_positional "$cmd" "$npos"
    fi
    return 0
}}

complete -F _tokenvault tokenvault
"""


def zsh_script() -> str:
    # zsh runs the bash function through bashcompinit; KSH_ARRAYS makes COMP_WORDS 0-based.
    body = bash_script().replace(
        '    local cur="${COMP_WORDS[COMP_CWORD]}"',
        '    setopt localoptions ksharrays\n    local cur="${COMP_WORDS[COMP_CWORD]}"',
    )
    body = body.replace(
        "_tokenvault_names() {\n",
        "_tokenvault_names() {\n    setopt localoptions ksharrays\n",
    )
    head = (
        "#compdef tokenvault\n"
        "# tokenvault completion for zsh, generated by `tokenvault completion zsh`.\n"
        '# Load it with: eval "$(tokenvault completion zsh)"   (e.g. in ~/.zshrc)\n'
        "(( $+functions[compdef] )) || { autoload -U +X compinit && compinit; }\n"
        "autoload -U +X bashcompinit && bashcompinit\n"
    )
    return head + body.split("\n", 2)[2]


def _fish_value(kind: Kind) -> str:
    if kind == NAMES:
        return " -f -a '(__tokenvault_names)'"
    if kind == FILES:
        return " -F"
    if isinstance(kind, tuple):
        return " -f -a " + shlex.quote(" ".join(kind))
    return " -f"


def _fish_flag(flag: str) -> str:
    return f"-l {flag[2:]}" if flag.startswith("--") else f"-s {flag[1:]}"


def fish_script() -> str:
    from vault.cli import build_parser

    top, commands = spec(build_parser())
    lines = [
        "# tokenvault completion for fish, generated by `tokenvault completion fish`.",
        "# Load it with: tokenvault completion fish | source   (or save it in",
        "# ~/.config/fish/completions/tokenvault.fish)",
        "function __tokenvault_names",
        "    # Names from the running agent only: never a passphrase prompt, never the vault.",
        "    command tokenvault completion --names 2>/dev/null </dev/null",
        "end",
        "complete -c tokenvault -f",
    ]
    for flag in top.flags:
        value = " -r" + _fish_value(top.values[flag]) if flag in top.values else ""
        lines.append(f"complete -c tokenvault -n '__fish_use_subcommand' {_fish_flag(flag)}{value}")
    for c in commands:
        desc = shlex.quote(printable(c.help))
        lines.append(f"complete -c tokenvault -n '__fish_use_subcommand' -a {c.name} -d {desc}")
    for c in commands:
        seen = f"-n '__fish_seen_subcommand_from {c.name}'"
        for flag in c.flags:
            value = " -r" + _fish_value(c.values[flag]) if flag in c.values else ""
            lines.append(f"complete -c tokenvault {seen} {_fish_flag(flag)}{value}")
        if c.positionals and c.positionals[0]:
            lines.append(f"complete -c tokenvault {seen}{_fish_value(c.positionals[0])}")
    return "\n".join(lines) + "\n"


def cmd_completion(args: argparse.Namespace) -> int:
    if args.names:
        from vault.agent import client as agent_client

        # The agent, or nothing: no passphrase, no vault file, no touch of its idle timer.
        for name in agent_client.agent_names(vault_path(args)) or []:
            if name == printable(name):  # a control character would drive the terminal
                out(name)
        return 0
    if args.shell is None:
        from vault.core.errors import UsageError

        raise UsageError("Name a shell: tokenvault completion bash, zsh or fish.")
    out({"bash": bash_script, "zsh": zsh_script, "fish": fish_script}[args.shell]().rstrip("\n"))
    return 0


def register(command: Command) -> None:
    """Register completion."""
    p = command(
        "completion", cmd_completion, "Print a shell completion script (bash, zsh or fish)."
    )
    p.add_argument("shell", nargs="?", choices=SHELLS, help="bash, zsh or fish")
    # What the scripts call to complete names: hidden from --help and from the completions.
    p.add_argument("--names", action="store_true", help=argparse.SUPPRESS)
