"""Coverage-guided fuzzing (atheris) of hogwild.load: any byte string is a
model or a ValueError naming the file, never another exception or a crash.

    python tests/fuzz/fuzz_load.py tests/fuzz/corpus_load -runs=1000000

(tests/test_fuzz.py runs it briefly; an input that crashes it belongs in
a test of its own, next to tests/test_model_file.py's hostile files.)"""

import io
import sys
import warnings

import atheris

import hogwild
import hogwild._model_file

# (instrumented after import: the editable install's import hook hides
# hogwild from atheris.instrument_imports)
atheris.instrument_func(hogwild._model_file.load_model)
for name in ("_read_entries", "_read_metadata", "_estimator_from", "_declared_bytes", "_params_from_json"):
    atheris.instrument_func(getattr(hogwild._model_file, name))


def one_input(data):
    file = io.BytesIO(data)
    file.name = "fuzzed.hwm"
    try:
        hogwild.load(file)
    except ValueError as error:
        if not str(error).startswith("fuzzed.hwm: "):
            raise AssertionError(f"a ValueError that does not name the file: {error}") from None


if __name__ == "__main__":
    warnings.simplefilter("ignore")
    atheris.Setup(sys.argv, one_input)
    atheris.Fuzz()
