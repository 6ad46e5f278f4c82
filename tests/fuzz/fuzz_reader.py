"""Coverage-guided fuzzing (atheris) of the svmlight reader through
hogwild.datasets.load_svmlight: any byte string parses or raises a
ValueError, never another exception or a crash.

    python tests/fuzz/fuzz_reader.py tests/fuzz/corpus_reader -runs=1000000
"""

import io
import sys

import atheris

import hogwild.datasets
from hogwild.datasets import load_svmlight

# (the parsing is C++: coverage of the Python around it, the rest by the
# reader's own ASan/UBSan fuzz program under ctest)
atheris.instrument_func(hogwild.datasets.load_svmlight_files)
atheris.instrument_func(hogwild.datasets._read_text)


def one_input(data):
    try:
        X, y = load_svmlight(io.BytesIO(data), n_threads=1)
    except ValueError:
        return
    if X.shape[0] != y.shape[0]:
        raise AssertionError("rows and labels differ")


if __name__ == "__main__":
    atheris.Setup(sys.argv, one_input)
    atheris.Fuzz()
