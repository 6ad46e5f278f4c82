"""Refusing a model that cannot be trained in this machine's memory.

A feature index of 2**31 in a two-line svmlight file makes a model of 2**31
float64 weights (16 GiB). Training holds that several times over, and on a
machine with less memory the kernel killed the process, after minutes,
without a message (a new user's trial: exit 137 at 22.6 of 23 GiB). A
MemoryError naming the feature count is raised before anything is
allocated, where even the least a training needs exceeds what is
available; anything that might fit is left to try.
"""

import os
import resource

# Peak bytes training costs, at least: 8 a weight of coef_ (one row per
# one-vs-rest class) and, for one problem trained at a time, 12 more a
# feature (the session's working copy, the copy it checks against,
# optimizer and averaging state, depending on the settings). Measured with
# one epoch of 2 rows of 2**24 features (peak RSS over the weights):
# binary, buckwild 22 bytes a weight, hogwild 24 (two threads 36), local on
# two threads 44, async 44, averaged 48, minibatch and gd 56, adam 88;
# three classes 13.4 a weight (one thread), ten classes of 2**22 13.1.
MODEL_BYTES_PER_WEIGHT = 8
TRAINING_BYTES_PER_FEATURE = 12
# Models needing at most this much are trained without asking the system
# (reading its figures took 0.25 ms, half the fixed cost of a small fit)
ALWAYS_AVAILABLE = 2**28

# (cgroup v2, v1): the files of a memory cgroup, and the reclaimable page
# cache its usage counts (a file just read sits there)
_CGROUP_FILES = (("memory.max", "memory.current", "inactive_file"),
                 ("memory.limit_in_bytes", "memory.usage_in_bytes", "total_inactive_file"))


def available_memory(root="/"):
    """Bytes this process may still allocate: the memory the kernel
    reports as available plus free swap, within the limits of the
    process's memory cgroup and its ancestors (their usage less the
    reclaimable page cache) and RLIMIT_AS; None where the system does not
    say (not Linux). `root`: where /proc and /sys are (tests)."""
    try:
        with open(os.path.join(root, "proc/meminfo")) as f:
            fields = {line.split(":")[0]: int(line.split()[1]) * 1024 for line in f if len(line.split()) >= 2}
        available = fields["MemAvailable"] + fields.get("SwapFree", 0)
    except (OSError, KeyError, ValueError):
        return None
    for folder, (limit_name, usage_name, cache_name) in _memory_cgroups(root):
        try:
            with open(os.path.join(folder, limit_name)) as f:
                limit = f.read().strip()
            if limit == "max":
                continue
            with open(os.path.join(folder, usage_name)) as f:
                used = int(f.read().strip())
            with open(os.path.join(folder, "memory.stat")) as f:
                stat = dict(line.split() for line in f if len(line.split()) == 2)
            used -= int(stat.get(cache_name, 0))
            available = min(available, max(0, int(limit) - used))
        except (OSError, ValueError):
            continue
    address_space, _ = resource.getrlimit(resource.RLIMIT_AS)
    if address_space != resource.RLIM_INFINITY:
        try:
            with open(os.path.join(root, "proc/self/statm")) as f:
                mapped = int(f.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
            available = min(available, max(0, address_space - mapped))
        except (OSError, ValueError, IndexError):
            pass
    return available


def _memory_cgroups(root):
    """[(folder, its file names)] of the process's memory cgroup and its
    ancestors, from /proc/self/cgroup (its path is relative to the mount;
    in a cgroup namespace, where it is not found there, the mount itself
    is the process's cgroup)."""
    try:
        with open(os.path.join(root, "proc/self/cgroup")) as f:
            lines = [line.strip().split(":", 2) for line in f if line.count(":") >= 2]
    except OSError:
        return []
    folders = []
    for _, controllers, path in lines:
        if controllers == "":
            mount, names = os.path.join(root, "sys/fs/cgroup"), _CGROUP_FILES[0]
            if not os.path.exists(os.path.join(mount, "cgroup.controllers")):
                mount = os.path.join(mount, "unified")  # (v2 beside v1: its hierarchy mounted there)
        elif "memory" in controllers.split(","):
            mount, names = os.path.join(root, "sys/fs/cgroup/memory"), _CGROUP_FILES[1]
        else:
            continue
        mount = os.path.normpath(mount)
        own = os.path.normpath(os.path.join(mount, path.lstrip("/")))
        if not os.path.isdir(own):
            own = mount
        folders.append((own, names))
        while own != mount:  # (a parent's limit binds its children too)
            own = os.path.dirname(own)
            folders.append((own, names))
    return folders


def refuse_a_model_beyond_memory(n_rows, n_features):
    """MemoryError where a model of `n_rows` x `n_features` float64 weights
    (one row per one-vs-rest class) cannot be trained in the memory
    available (see MODEL_BYTES_PER_WEIGHT)."""
    needed = n_features * (n_rows * MODEL_BYTES_PER_WEIGHT + TRAINING_BYTES_PER_FEATURE)
    if needed <= ALWAYS_AVAILABLE:
        return
    available = available_memory()
    if available is not None and needed > available:
        classes = f" for each of {n_rows} classes" if n_rows > 1 else ""
        raise MemoryError(
            f"X has {n_features} features (n_features_in_: the largest column index + 1): training a model of "
            f"{n_features} float64 weights{classes} needs at least {needed / 2**20:,.0f} MiB, more than the "
            f"{available / 2**20:,.0f} MiB of memory available")
