"""Parallel regions that survive fork.

GNU libgomp keeps the threads of a thread's last team alive for its next
parallel region and has no fork handler: a forked child holds only the
thread that forked, and when that thread had led a team of several, its
next team of several waits forever for pool threads that were not copied
(a child trained by a multiprocessing "fork" pool hung so). A team of one
never uses the pool, and any other thread of the child starts a new pool.
Every parallel region the package opens takes its thread count from
`team_threads`.
"""

import os
import threading

_TEAM_LEADERS = set()           # threads (by ident) that led a team of several
_STALE_POOL_THREAD = None       # in a forked child: the forking thread, when it had led one


def _after_fork_in_child():
    global _STALE_POOL_THREAD
    forking = threading.get_ident()
    _STALE_POOL_THREAD = forking if forking in _TEAM_LEADERS or forking == _STALE_POOL_THREAD else None
    _TEAM_LEADERS.clear()  # (the other threads were not copied)


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


def team_threads(n_threads):
    """The threads of a parallel region of the core that the calling
    thread opens now: `n_threads`, or 1 where the region would hang (the
    thread that forked this process after leading a team of several)."""
    thread = threading.get_ident()
    if thread == _STALE_POOL_THREAD:
        return 1
    if n_threads > 1:
        _TEAM_LEADERS.add(thread)
    return int(n_threads)
