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

# Peak bytes a weight of the model costs while training, at least: its own
# float64 coef_, the session's working copy, the copy it checks against
# and, depending on the settings, optimizer and averaging state. Measured
# with one epoch of 2 rows of 2**24 features (peak RSS over the weights):
# buckwild 22 bytes a weight, hogwild 24 (two threads 36), local on two
# threads 44, async 44, averaged 48, minibatch and gd 56, adam 88.
MIN_TRAINING_BYTES_PER_WEIGHT = 20


def available_memory():
    """Bytes this process may still allocate (memory the kernel reports as
    available plus free swap, within a cgroup's limit and RLIMIT_AS), or
    None where the system does not say (not Linux)."""
    try:
        with open("/proc/meminfo") as f:
            fields = {line.split(":")[0]: int(line.split()[1]) * 1024 for line in f if line.count(" ") >= 1}
        available = fields["MemAvailable"] + fields.get("SwapFree", 0)
    except (OSError, KeyError, ValueError, IndexError):
        return None
    for limit_path, usage_path in (("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory.current"),
                                   ("/sys/fs/cgroup/memory/memory.limit_in_bytes",
                                    "/sys/fs/cgroup/memory/memory.usage_in_bytes")):
        try:
            with open(limit_path) as limit, open(usage_path) as usage:
                text = limit.read().strip()
                if text != "max":
                    available = min(available, max(0, int(text) - int(usage.read().strip())))
            break
        except (OSError, ValueError):
            continue
    address_space, _ = resource.getrlimit(resource.RLIMIT_AS)
    if address_space != resource.RLIM_INFINITY:
        try:
            with open("/proc/self/statm") as f:
                mapped = int(f.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
            available = min(available, max(0, address_space - mapped))
        except (OSError, ValueError, IndexError):
            pass
    return available


def refuse_a_model_beyond_memory(n_rows, n_features):
    """MemoryError where a model of `n_rows` x `n_features` float64 weights
    (one row per one-vs-rest class) cannot be trained in the memory
    available: it needs at least MIN_TRAINING_BYTES_PER_WEIGHT a weight."""
    needed = n_rows * n_features * MIN_TRAINING_BYTES_PER_WEIGHT
    available = available_memory()
    if available is not None and needed > available:
        classes = f" for each of {n_rows} classes" if n_rows > 1 else ""
        raise MemoryError(
            f"X has {n_features} features (n_features_in_: the largest column index + 1): training a model of "
            f"{n_features} float64 weights{classes} needs at least {needed / 2**30:.1f} GiB, more than the "
            f"{available / 2**30:.1f} GiB of memory available")
