"""Process hardening while a vault is unlocked: no core dumps, not ptrace-dumpable."""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
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
        libc_name = ctypes.util.find_library("c")
        if libc_name:
            libc = ctypes.CDLL(libc_name, use_errno=True)
            libc.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)
    _done = True


def is_dumpable() -> bool | None:
    """Report the kernel's dumpable flag (Linux), for tests and ``doctor`` style checks."""
    if not sys.platform.startswith("linux"):
        return None
    libc_name = ctypes.util.find_library("c")
    if not libc_name:
        return None
    return bool(ctypes.CDLL(libc_name).prctl(PR_GET_DUMPABLE, 0, 0, 0, 0))
