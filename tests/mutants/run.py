"""make mutants: apply each named mutation to a copy of the tree and check its tests catch it.

Every entry of ``mutants.toml`` breaks one behaviour on purpose. For each, the working tree
(tracked files plus untracked, unignored ones, as they are on disk) is copied to a temporary
folder, the one mutation is applied there, and the entry's test files run in the copy with
``PYTHONPATH`` pointing at it, so pytest, ``tokenvault`` and ``python -m vault...``
subprocesses all import the mutated ``vault`` rather than the editable install. A mutation the
tests pass on has SURVIVED: some behaviour is no longer checked. An entry whose ``find`` text
does not occur exactly once is BROKEN (the code moved; update the entry).

Usage: ``python tests/mutants/run.py [--list] [--file LIST.toml ...] [--only NAME ...] [-j N]
[--no-baseline]``.
Exit status: 0 when every mutation was caught, 1 otherwise.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import tomllib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LISTS = Path(__file__).parent
"""Every ``*.toml`` here is a list: ``mutants.toml`` plus one file per feature area, so each
area's planted bugs sit in one place and parallel work does not edit one shared file."""
PYTHON = ROOT / ".venv" / "bin" / "python"
VERBOSE = False
"""--verbose: show pytest's output for caught mutants too (what caught them)."""
TIMEOUT = 900.0
"""Seconds one mutant's tests may run; a mutation that makes a test hang counts as caught
only through pytest-timeout, so this is the backstop."""


@dataclass(frozen=True)
class Edit:
    find: str
    replace: str


@dataclass(frozen=True)
class Mutant:
    name: str
    file: str
    edits: tuple[Edit, ...]
    tests: tuple[str, ...]
    why: str
    list: str = ""
    """The file (``NAME.toml``) the entry is written in."""


@dataclass
class Outcome:
    name: str
    verdict: str  # "caught", "SURVIVED" or "BROKEN"
    seconds: float
    detail: str = ""


def load(folder: Path = LISTS) -> list[Mutant]:
    entries = []
    for path in sorted(folder.glob("*.toml")):
        entries += [
            {**e, "list": path.name}
            for e in tomllib.loads(path.read_text(encoding="utf-8")).get("mutant", [])
        ]
    out: list[Mutant] = []
    for entry in entries:
        if "edit" in entry:
            edits = tuple(Edit(e["find"], e["replace"]) for e in entry["edit"])
        else:
            edits = (Edit(entry["find"], entry["replace"]),)
        out.append(
            Mutant(
                name=entry["name"],
                file=entry["file"],
                edits=edits,
                tests=tuple(entry["tests"]),
                why=entry.get("why", ""),
                list=entry["list"],
            )
        )
    names = [m.name for m in out]
    duplicated = {n for n in names if names.count(n) > 1}
    if duplicated:
        raise SystemExit(f"tests/mutants/*.toml: names used twice: {', '.join(sorted(duplicated))}")
    return out


def tree_files() -> list[str]:
    """The working tree as git sees it: tracked and untracked-but-not-ignored, as on disk."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        check=True,
        capture_output=True,
    ).stdout.decode()
    return sorted({p for p in listed.split("\0") if p and os.path.lexists(ROOT / p)})


def copy_tree(files: list[str], into: Path) -> None:
    for rel in files:
        target = into / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / rel, target, follow_symlinks=False)


def mutate(text: str, mutant: Mutant) -> str:
    """``text`` with every edit applied; ValueError when a ``find`` is not there exactly once."""
    for edit in mutant.edits:
        count = text.count(edit.find)
        if count != 1:
            raise ValueError(f"{mutant.file}: find text occurs {count} times, expected once")
        text = text.replace(edit.find, edit.replace)
    return text


def environ(copy: Path) -> dict[str, str]:
    env = dict(os.environ)
    # Ahead of site-packages, where the editable install points at the real tree.
    env["PYTHONPATH"] = os.pathsep.join([str(copy), *filter(None, [env.get("PYTHONPATH")])])
    env.pop("PYTEST_ADDOPTS", None)
    return env


def imported_from(copy: Path, env: dict[str, str]) -> Path:
    """Where ``import vault`` resolves in the copy: it must be the copy, or nothing is tested."""
    found = subprocess.run(
        [str(PYTHON), "-c", "import vault; print(vault.__file__)"],
        cwd=copy,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    return Path(found).resolve()


def run_tests(copy: Path, tests: tuple[str, ...], env: dict[str, str]) -> tuple[int, str]:
    cmd = [str(PYTHON), "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", *tests]
    # Its own process group: a mutant that breaks signal forwarding (tokenvault exec) leaves
    # children waiting forever once pytest is gone; they are ended with the group.
    proc = subprocess.Popen(
        cmd,
        cwd=copy,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        stdout, stderr = proc.communicate(timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        return 1, f"timed out after {TIMEOUT:.0f} s"
    finally:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    return proc.returncode, stdout[-3000:] + stderr[-2000:]


def in_copy(mutant: Mutant | None, tests: tuple[str, ...]) -> Outcome:
    """Run ``tests`` in a fresh copy, with ``mutant`` applied (None: the baseline)."""
    name = mutant.name if mutant else "(baseline: no mutation)"
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="tv-mutant-") as tmp:
        copy = Path(tmp) / "tree"
        # Listed for each copy, not once per run: while others work in the tree, a module
        # added after the run began is imported by files copied as they are now.
        copy_tree(tree_files(), copy)
        if mutant is not None:
            source = copy / mutant.file
            if not source.is_file():
                return Outcome(name, "BROKEN", 0.0, f"{mutant.file} does not exist")
            try:
                source.write_text(mutate(source.read_text(encoding="utf-8"), mutant))
            except ValueError as exc:
                return Outcome(name, "BROKEN", 0.0, str(exc))
        env = environ(copy)
        where = imported_from(copy, env)
        if not where.is_relative_to(copy.resolve()):
            return Outcome(name, "BROKEN", 0.0, f"the copy imports vault from {where}")
        code, output = run_tests(copy, tests, env)
    seconds = time.monotonic() - started
    if mutant is None:
        return Outcome(name, "passed" if code == 0 else "FAILED", seconds, output)
    # 1: a test failed; 2: collection broke (an import error counts: the tests noticed).
    if code in (1, 2):
        return Outcome(name, "caught", seconds, output if VERBOSE else "")
    if code == 0:
        return Outcome(name, "SURVIVED", seconds)
    return Outcome(name, "BROKEN", seconds, f"pytest exit status {code}:\n{output}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--list", action="store_true", help="print the mutations and exit")
    parser.add_argument("--only", action="append", metavar="NAME", help="run only NAME")
    parser.add_argument(
        "--file",
        action="append",
        metavar="LIST",
        help="run only the entries of tests/mutants/LIST (LIST.toml or LIST; repeatable)",
    )
    parser.add_argument("-j", "--jobs", type=int, default=1, help="mutants run at once")
    parser.add_argument(
        "--no-baseline",
        action="store_true",
        help="skip the first run of the selected tests on the unmutated tree",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="show what caught each")
    args = parser.parse_args(argv)
    global VERBOSE
    VERBOSE = args.verbose
    mutants = load()
    if args.file:
        wanted = {
            f if f.endswith(".toml") else f + ".toml" for f in (Path(f).name for f in args.file)
        }
        unknown = sorted(wanted - {m.list for m in mutants})
        if unknown:
            parser.error(f"no list named {', '.join(unknown)} in {LISTS}")
        mutants = [m for m in mutants if m.list in wanted]
    if args.list:
        width = max(len(m.name) for m in mutants)
        for m in mutants:
            print(f"{m.name:<{width}}  {m.file}  -> {' '.join(m.tests)}")
            if m.why:
                print(f"{'':<{width}}  {m.why}")
        return 0
    if args.only:
        unknown = sorted(set(args.only) - {m.name for m in mutants})
        if unknown:
            parser.error(f"no mutation named {', '.join(unknown)} (see --list)")
        mutants = [m for m in mutants if m.name in args.only]

    if not args.no_baseline:
        # A test that already fails would "catch" every mutation: check they pass first.
        everything = tuple(sorted({t for m in mutants for t in m.tests}))
        base = in_copy(None, everything)
        print(f"baseline: {len(everything)} test paths {base.verdict} in {base.seconds:.0f} s")
        if base.verdict != "passed":
            print(base.detail)
            return 1

    outcomes: list[Outcome] = []
    width = max(len(m.name) for m in mutants)
    with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        futures = [pool.submit(in_copy, m, m.tests) for m in mutants]
        for future in futures:
            outcome = future.result()
            outcomes.append(outcome)
            print(f"{outcome.name:<{width}}  {outcome.verdict:<8}  {outcome.seconds:6.1f} s")
            if outcome.detail:
                print("    " + outcome.detail.replace("\n", "\n    "))
            sys.stdout.flush()
    caught = sum(o.verdict == "caught" for o in outcomes)
    print(f"{caught}/{len(outcomes)} caught")
    return 0 if caught == len(outcomes) else 1


if __name__ == "__main__":
    raise SystemExit(main())
