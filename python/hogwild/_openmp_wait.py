"""How long the core's idle OpenMP threads spin before they sleep.

GNU libgomp keeps a parallel region's threads spinning after it ends, and
threads waiting at a barrier, for GOMP_SPINCOUNT iterations (300,000 by
default, about 3.4 ms of CPU on this project's machine) before they sleep.
On a machine where other programs run, that is a core's time taken from
them, and from a thread of the same fit that the busy core holds back.
Unless the user chose (OMP_WAIT_POLICY or GOMP_SPINCOUNT set), the package
asks for 10,000 (about 0.1 ms): no slower on an idle machine, faster next
to a busy process (python bench/bench_small.py's last lines measure both).
libgomp reads its settings once, when it is loaded: the setting is in the
environment while the compiled core loads it, and taken out again, so
that programs started later and other OpenMP runtimes loaded later (a
library's own libgomp) keep libgomp's defaults.
"""

import os
from contextlib import contextmanager

SPIN_COUNT = "10000"


def ask_for_short_spins(environ):
    """Sets GOMP_SPINCOUNT where neither it nor OMP_WAIT_POLICY is set;
    returns whether it did."""
    if "OMP_WAIT_POLICY" in environ or "GOMP_SPINCOUNT" in environ:
        return False
    environ["GOMP_SPINCOUNT"] = SPIN_COUNT
    return True


@contextmanager
def short_spins_while_loading(environ=os.environ):
    """GOMP_SPINCOUNT set (see ask_for_short_spins) during the block, in
    which the core, and with it libgomp, is loaded."""
    asked = ask_for_short_spins(environ)
    try:
        yield
    finally:
        if asked and environ.get("GOMP_SPINCOUNT") == SPIN_COUNT:
            del environ["GOMP_SPINCOUNT"]
