"""How long the core's idle OpenMP threads spin before they sleep.

GNU libgomp keeps a parallel region's threads spinning after it ends, and
threads waiting at a barrier, for GOMP_SPINCOUNT iterations (300,000 by
default, about 3.4 ms of CPU on this project's machine) before they sleep.
On a machine where other programs run, that is a core's time taken from
them, and from a thread of the same fit that the busy core holds back.
Unless the user chose (OMP_WAIT_POLICY or GOMP_SPINCOUNT set), the package
asks for 10,000 (about 0.1 ms): no slower on an idle machine, faster next
to a busy process (python bench/bench_small.py's last lines measure both).
libgomp reads its settings once, when it is loaded: this module runs
before the compiled core is imported. Other programs started by this
process inherit the setting; another OpenMP runtime ignores it.
"""

import os

SPIN_COUNT = "10000"


def ask_for_short_spins(environ=os.environ):
    """Sets GOMP_SPINCOUNT where neither it nor OMP_WAIT_POLICY is set;
    returns whether it did."""
    if "OMP_WAIT_POLICY" in environ or "GOMP_SPINCOUNT" in environ:
        return False
    environ["GOMP_SPINCOUNT"] = SPIN_COUNT
    return True


ask_for_short_spins()
