"""HiGHS through highspy, configured the one way this package uses it.

HiGHS prints its banner on stdout at the first `Highs()` of a process, whatever the options,
and `python -m pricing solve` writes the result JSON on stdout: the first instance is created
once with file descriptor 1 pointed at /dev/null. HiGHS also keeps one thread pool per
process: once it has run with some thread count, a model asking for another one does not
solve at all (status kNotset), so every model here runs single-threaded, which also keeps
answers repeatable and lets two allocation runs share a process.
"""

from __future__ import annotations

import os
import sys
import threading

_banner_lock = threading.Lock()
_banner_done = False


def silence_banner() -> None:
    """Create the process's first Highs() with stdout pointed at /dev/null (once)."""
    global _banner_done
    with _banner_lock:
        if _banner_done:
            return
        import highspy

        sys.stdout.flush()
        saved = os.dup(1)
        try:
            with open(os.devnull, "w") as sink:
                os.dup2(sink.fileno(), 1)
                highspy.Highs()
        finally:
            os.dup2(saved, 1)
            os.close(saved)
        _banner_done = True


def new_highs():  # -> highspy.Highs (imported lazily: validate and generate need no solver)
    """A silent, single-threaded HiGHS instance."""
    silence_banner()
    import highspy

    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("threads", 1)
    return h
