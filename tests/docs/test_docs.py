"""The docs tell the truth: commands, flags, cited tests, binding ids and config keys exist.

Each check reports the offending names, and a companion test feeds it a planted mistake to
prove it can fail.
"""

from __future__ import annotations

import argparse
import ast
import dataclasses
import importlib
import inspect
import pkgutil
import re
import shlex
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]
DOCS = ("README.md", "docs/guide.md", "SECURITY.md")

# -- (a) commands and flags ---------------------------------------------------------------------

FENCE = re.compile(r"^```[^\n]*\n(.*?)^```", re.M | re.S)
INLINE = re.compile(r"`([^`\n]+)`")
# `tokenvault` as a command word: not part of a path (~/.config/tokenvault/), a theme name
# (tokenvault-dark) or a longer word.
INVOCATION = re.compile(r"(?<![\w./-])tokenvault(?=[\s'\")`]|$)")


def code_lines(text: str) -> list[str]:
    """Lines of fenced blocks (backslash continuations joined) and inline code spans."""
    lines: list[str] = []
    for block in FENCE.finditer(text):
        lines.extend(block.group(1).replace("\\\n", " ").splitlines())
    lines.extend(INLINE.findall(FENCE.sub("", text)))
    return lines


def _words(rest: str) -> list[str]:
    """Shell words after `tokenvault`, up to a pipe, `;`, `&&`, `)`, a redirect or a comment."""
    for attempt in (rest, re.split(r"['\"]", rest)[0]):
        lexer = shlex.shlex(attempt, posix=True, punctuation_chars=True)
        lexer.whitespace_split = True
        try:
            words: list[str] = []
            for word in lexer:
                if word and set(word) <= set("|;&()<>"):
                    break
                words.append(word)
            return words
        except ValueError:  # an unbalanced quote (e.g. inside '!tokenvault git-credential')
            continue
    return []


def invocations(text: str) -> list[tuple[str, list[str]]]:
    found = []
    for line in code_lines(text):
        for match in INVOCATION.finditer(line):
            found.append((line.strip(), _words(line[match.end() :])))
    return found


def parser_tables() -> tuple[dict[str, argparse.Action], dict[str, argparse.ArgumentParser]]:
    from vault.cli import build_parser

    parser = build_parser()
    subs = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(parser._option_string_actions), dict(subs.choices)


def check_invocation(words: list[str]) -> list[str]:
    """Problems with one `tokenvault ...` invocation: unknown command or flags."""
    global_opts, commands = parser_tables()
    problems = []
    i = 0
    while i < len(words) and words[i].startswith("-"):
        flag = words[i].split("=", 1)[0]
        action = global_opts.get(flag)
        if action is None:
            problems.append(f"unknown global flag {flag}")
        elif action.nargs != 0 and "=" not in words[i]:
            i += 1  # its value
        i += 1
    if i >= len(words):
        return problems  # bare `tokenvault`: the TUI
    command = words[i]
    sub = commands.get(command)
    if sub is None:
        return [*problems, f"unknown command {command!r}"]
    known = sub._option_string_actions
    for word in words[i + 1 :]:
        if word == "--":
            break  # what follows belongs to the command `exec` runs
        if word.startswith("-") and word != "-":
            flag = word.split("=", 1)[0]
            if flag not in known:
                problems.append(f"{command}: unknown flag {flag}")
    return problems


@pytest.mark.parametrize("doc", DOCS)
def test_every_documented_command_and_flag_exists(doc: str) -> None:
    found = invocations((ROOT / doc).read_text(encoding="utf-8"))
    assert found, f"{doc}: no tokenvault commands found; is the extractor broken?"
    problems = [f"{line!r}: {p}" for line, words in found for p in check_invocation(words)]
    assert not problems, f"{doc}:\n" + "\n".join(problems)


def test_the_guide_shows_every_command() -> None:
    """Every subcommand appears in the guide at least once."""
    _, commands = parser_tables()
    text = (ROOT / "docs/guide.md").read_text(encoding="utf-8")
    shown = {words[0] for _, words in invocations(text) if words and not words[0].startswith("-")}
    missing = sorted(set(commands) - shown)
    assert not missing, f"docs/guide.md never shows: {missing}"


def map_problems(words: list[str]) -> list[str]:
    """Fields an `import dotenv ... --map VAR=NAME:FIELD --provider STYLE` line names that
    STYLE does not have (the command would refuse the line a reader copies)."""
    from vault.core.interchange.plan import field_kind

    if words[:2] != ["import", "dotenv"] or "--provider" not in words:
        return []
    style = words[words.index("--provider") + 1]
    maps = [words[i + 1] for i, word in enumerate(words[:-1]) if word == "--map"]
    fields = [m.partition("=")[2].partition(":")[2] for m in maps]
    return [f"{style} has no field {f!r}" for f in fields if field_kind(style, f) is None]


def test_documented_maps_name_fields_of_their_style() -> None:
    found = invocations((ROOT / "docs/guide.md").read_text(encoding="utf-8"))
    assert any(words[:2] == ["import", "dotenv"] for _, words in found)
    problems = [f"{line!r}: {p}" for line, words in found for p in map_problems(words)]
    assert not problems, "docs/guide.md:\n" + "\n".join(problems)
    assert map_problems(["import", "dotenv", ".env", "--map", "K=a:nope", "--provider",
                         "app-token"]) == ["app-token has no field 'nope'"]  # fmt: skip


def test_the_command_check_catches_mistakes() -> None:
    planted = (
        "`tokenvault frobnicate`\n"
        "```sh\ntokenvault token happay --no-such-flag \\\n    --min-valid 5m\n```\n"
        "`tokenvault list --vault x`\n"
    )
    problems = [p for _, words in invocations(planted) for p in check_invocation(words)]
    assert problems == [
        "token: unknown flag --no-such-flag",
        "unknown command 'frobnicate'",
        "list: unknown flag --vault",
    ]
    ok = "`$(tokenvault token x)` `'!tokenvault git-credential'` `tokenvault-dark` ~/tokenvault/"
    assert [w for _, w in invocations(ok)] == [["token", "x"], ["git-credential"]]


# -- (b) tests cited in SECURITY.md -------------------------------------------------------------

CITATION = re.compile(r"(tests/[\w/.-]+\.py)::(\w+)(?:::(\w+))?")


def defined_tests(path: Path) -> set[str]:
    """``test_x`` and ``Class::test_x`` names defined in a test file."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            names.add(node.name)
        elif isinstance(node, ast.ClassDef):
            for item in node.body:
                if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef):
                    names.add(f"{node.name}::{item.name}")
    return names


def missing_citations(text: str) -> list[str]:
    missing = []
    for match in CITATION.finditer(text):
        path, name, method = match.groups()
        full = f"{name}::{method}" if method else name
        file = ROOT / path
        if not file.is_file() or full not in defined_tests(file):
            missing.append(match.group(0))
    return missing


def test_every_cited_test_exists() -> None:
    text = (ROOT / "SECURITY.md").read_text(encoding="utf-8")
    assert len(CITATION.findall(text)) >= 30, "SECURITY.md should name the tests behind it"
    missing = [m for doc in DOCS for m in missing_citations((ROOT / doc).read_text("utf-8"))]
    assert not missing, "cited tests that do not exist:\n" + "\n".join(missing)


def test_the_citation_check_catches_mistakes() -> None:
    planted = (
        "`tests/core/test_store.py::test_files_are_private` "
        "`tests/core/test_store.py::test_that_was_never_written` "
        "`tests/nowhere/test_gone.py::test_x`"
    )
    assert missing_citations(planted) == [
        "tests/core/test_store.py::test_that_was_never_written",
        "tests/nowhere/test_gone.py::test_x",
    ]


# -- (c) binding ids ------------------------------------------------------------------------------

KEY_NAMES = {"question_mark": "?", "slash": "/", "plus": "+"}


def section_rows(text: str, heading: str) -> list[list[str]]:
    """Table rows (cells) under ``heading`` up to the next heading, header rows skipped."""
    match = re.search(rf"^{re.escape(heading)}\n(.*?)(?=^#|\Z)", text, re.M | re.S)
    assert match, f"no section {heading!r}"
    rows = []
    for line in match.group(1).splitlines():
        if line.startswith("|") and not set(line) <= set("|-: "):
            rows.append([cell.strip() for cell in line.strip("|").split("|")])
    return rows[1:]


def documented_bindings(text: str) -> dict[str, tuple[set[str], bool]]:
    """id -> (keys, remappable) from the guide's binding table."""
    out = {}
    for cells in section_rows(text, "### Binding ids"):
        binding_id = cells[0].strip("`")
        keys = set(re.findall(r"`([^`]+)`", cells[1]))
        out[binding_id] = (keys, "not remappable" not in " ".join(cells))
    return out


def code_bindings() -> dict[str, set[str]]:
    """id -> default keys, from every BINDINGS list of every class in vault.tui."""
    from textual.binding import Binding

    import vault.tui

    found: dict[str, set[str]] = {}
    for info in pkgutil.walk_packages(vault.tui.__path__, "vault.tui."):
        module = importlib.import_module(info.name)
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if cls.__module__ != module.__name__:
                continue
            for binding in cls.__dict__.get("BINDINGS", []):
                if isinstance(binding, Binding) and binding.id:
                    keys = {KEY_NAMES.get(k.strip(), k.strip()) for k in binding.key.split(",")}
                    found[binding.id] = keys
    return found


def binding_problems(documented: dict[str, tuple[set[str], bool]]) -> list[str]:
    from vault.tui.app import TokenVaultApp

    code = code_bindings()
    remappable = set(TokenVaultApp.binding_ids())
    problems = [f"documented but not in the code: {i}" for i in sorted(documented.keys() - code)]
    problems += [f"in the code but not documented: {i}" for i in sorted(code.keys() - documented)]
    for binding_id, (keys, says_remappable) in sorted(documented.items()):
        if binding_id in code and keys != code[binding_id]:
            actual = sorted(code[binding_id])
            problems.append(f"{binding_id}: documented keys {sorted(keys)}, code {actual}")
        if binding_id in code and says_remappable != (binding_id in remappable):
            problems.append(f"{binding_id}: the guide says remappable={says_remappable}")
    return problems


def test_every_binding_id_is_documented_and_real() -> None:
    documented = documented_bindings((ROOT / "docs/guide.md").read_text(encoding="utf-8"))
    problems = binding_problems(documented)
    assert not problems, "docs/guide.md binding ids:\n" + "\n".join(problems)


def test_the_binding_check_catches_mistakes() -> None:
    documented = documented_bindings((ROOT / "docs/guide.md").read_text(encoding="utf-8"))
    documented.pop("generate")
    documented["teleport"] = ({"z"}, True)
    documented["copy"] = ({"y"}, True)
    problems = binding_problems(documented)
    assert "documented but not in the code: teleport" in problems
    assert "in the code but not documented: generate" in problems
    assert "copy: documented keys ['y'], code ['c']" in problems


# -- (d) config keys ---------------------------------------------------------------------------

SAMPLES = {"<id>": ("generate", '"ctrl+g"'), "<style>": ("app-token", "false")}


def documented_config(text: str) -> dict[str, str]:
    """key -> documented default (TOML text, or "none")."""
    return {
        cells[0].strip("`"): cells[1].strip("`") for cells in section_rows(text, "### Config keys")
    }


def config_problems(documented: dict[str, str], tmp_path: Path) -> list[str]:
    from vault.core import config

    baseline = dataclasses.asdict(config.Config())
    problems = []
    for key, default in documented.items():
        dotted, value = key, default
        for placeholder, (name, sample) in SAMPLES.items():
            if placeholder in dotted:
                dotted, value = dotted.replace(placeholder, f'"{name}"'), sample
        table, _, leaf = dotted.rpartition(".")
        path = tmp_path / "config.toml"
        path.write_text((f"[{table}]\n" if table else "") + f"{leaf} = {value}\n")
        try:
            loaded = config.load_config(path)
        except config.ConfigError as exc:
            problems.append(f"{key}: {exc}")
            continue
        if loaded.warnings:
            problems.append(f"{key}: " + "; ".join(loaded.warnings))
        elif value == default and {
            k: v for k, v in dataclasses.asdict(loaded).items() if k != "path"
        } != {k: v for k, v in baseline.items() if k != "path"}:
            problems.append(f"{key}: the documented default {default} is not the default")
    accepted = set()
    for top in config._TOP_KEYS:
        if top == "theme":
            accepted.add(top)
        elif top == "keymap":
            accepted.add("keymap.<id>")
        else:
            table_keys = {
                "clipboard": config._CLIPBOARD_KEYS,
                "lock": config._LOCK_KEYS,
                "auto_refresh": config._REFRESH_KEYS,
                "agent": config._AGENT_KEYS,
                "notify": config._NOTIFY_KEYS,
            }[top]
            for sub in table_keys:
                accepted.add(f"{top}.{sub}" + (".<style>" if sub == "styles" else ""))
    problems += [f"accepted but not documented: {k}" for k in sorted(accepted - set(documented))]
    return problems


def test_every_config_key_is_accepted_and_documented(tmp_path: Path) -> None:
    documented = documented_config((ROOT / "docs/guide.md").read_text(encoding="utf-8"))
    problems = config_problems(documented, tmp_path)
    assert not problems, "docs/guide.md config keys:\n" + "\n".join(problems)


def test_the_config_check_catches_mistakes(tmp_path: Path) -> None:
    documented = documented_config((ROOT / "docs/guide.md").read_text(encoding="utf-8"))
    documented.pop("lock.idle_seconds")
    documented["clipboard.timeout"] = "45"
    documented["colour"] = '"blue"'
    problems = config_problems(documented, tmp_path)
    assert "clipboard.timeout: the documented default 45 is not the default" in problems
    assert any(p.startswith("colour: ") and "unknown key" in p for p in problems)
    assert "accepted but not documented: lock.idle_seconds" in problems


# -- secrets never on the command line ---------------------------------------------------------

SECRET_WORDS = ("secret", "passphrase", "password", "private-key")
NOT_SECRETS = {
    "--secret-created": "a date, not a secret",
    "--secret-for": "where the secret goes (header:NAME), not the secret",
}


def test_no_flag_takes_a_secret_on_the_command_line() -> None:
    """A flag named for a secret either reads a file or is a switch (stdin)."""
    from vault.core.providers import PRESETS
    from vault.core.providers.engine import SETTING_KINDS

    global_opts, commands = parser_tables()
    tables = {"tokenvault": global_opts} | {
        name: sub._option_string_actions for name, sub in commands.items()
    }
    offenders = []
    for where, options in tables.items():
        for flag, action in options.items():
            if not any(word in flag for word in SECRET_WORDS) or flag in NOT_SECRETS:
                continue
            if action.nargs != 0 and action.metavar != "FILE":
                offenders.append(f"{where} {flag}")
    assert not offenders, f"flags that would put a secret in argv: {offenders}"
    secret_names = {name for preset in PRESETS.values() for name in preset.secrets}
    assert not secret_names & set(SETTING_KINDS), "a secret must not be a --set setting"


# -- FORMAT.md's reader opens the worked example -----------------------------------------------


def test_format_md_reader_opens_the_worked_example(monkeypatch: pytest.MonkeyPatch) -> None:
    text = (ROOT / "FORMAT.md").read_text(encoding="utf-8")
    blocks = [b for b in re.findall(r"```python\n(.*?)```", text, re.S) if "def read_vault" in b]
    assert len(blocks) == 1
    monkeypatch.chdir(ROOT)
    namespace: dict[str, object] = {}
    exec(compile(blocks[0], "FORMAT.md", "exec"), namespace)  # the block asserts the token
    vault = namespace["vault"]
    assert isinstance(vault, dict) and vault["schema"] == 1
    read_vault = namespace["read_vault"]
    assert callable(read_vault)
    blob = (ROOT / "tests/core/vectors/example-v1.tvault").read_bytes()
    with pytest.raises(ValueError, match="wrong passphrase"):
        read_vault(blob, "not the passphrase")
