"""Process hardening while a vault is unlocked: no core dumps, not ptrace-dumpable."""

from __future__ import annotations

import contextlib
import ctypes
import resource
import sys

PR_SET_DUMPABLE = 4
PR_GET_DUMPABLE = 3

_done = False


def disable_core_dumps() -> None:
    """Stop the kernel writing decrypted secrets to a core file if the process crashes.

    RLIMIT_CORE 0 stops core files; PR_SET_DUMPABLE 0 (Linux) also stops other processes of the
    same user from attaching with ptrace or reading /proc/PID/mem. Python cannot wipe memory
    reliably (strings are immutable and may be copied), so this is the part we *can* promise.
    """
    global _done
    if _done:
        return
    # A hard limit already below ours is fine, hence the suppress.
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    if sys.platform.startswith("linux"):
        _libc().prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)
    _done = True


def _libc() -> ctypes.CDLL:
    # The C library is already loaded into the interpreter: CDLL(None) finds prctl without
    # ctypes.util.find_library, which runs ldconfig in a subprocess (tens of ms per command).
    return ctypes.CDLL(None, use_errno=True)


def is_dumpable() -> bool | None:
    """Report the kernel's dumpable flag (Linux), for tests and ``doctor`` style checks."""
    if not sys.platform.startswith("linux"):
        return None
    return bool(_libc().prctl(PR_GET_DUMPABLE, 0, 0, 0, 0))
