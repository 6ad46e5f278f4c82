"""The table of the parameters scikit-learn lacks (_parameters.py) is the
one source of both estimators' signatures, validation, docstrings, and the
README's list."""

import inspect
import re
from pathlib import Path

import pytest
from sklearn import linear_model

import hogwild
from hogwild._parameters import CHANGED_DEFAULTS, PARAMETERS

README = Path(__file__).resolve().parents[1] / "README.md"


@pytest.mark.parametrize("estimator, sklearn_estimator", [
    (hogwild.SGDClassifier, linear_model.SGDClassifier), (hogwild.SGDRegressor, linear_model.SGDRegressor)])
def test_signature_is_scikit_learns_then_the_table(estimator, sklearn_estimator):
    ours = inspect.signature(estimator).parameters
    theirs = inspect.signature(sklearn_estimator).parameters
    assert list(ours)[:len(theirs)] == list(theirs)
    assert [ours[name].default for name in theirs] == [CHANGED_DEFAULTS.get(name, p.default)
                                                       for name, p in theirs.items()]
    assert ours["learning_rate"].default == "auto"
    assert list(ours)[len(theirs):] == [p.name for p in PARAMETERS]
    assert [ours[p.name].default for p in PARAMETERS] == [p.default for p in PARAMETERS]
    assert estimator().get_params() == {**estimator().get_params(), **{p.name: p.default for p in PARAMETERS}}


@pytest.mark.parametrize("estimator", [hogwild.SGDClassifier, hogwild.SGDRegressor])
def test_every_table_parameter_is_set_validated_and_documented(estimator):
    model = estimator(**{p.name: p.default for p in PARAMETERS})
    for p in PARAMETERS:
        assert getattr(model, p.name) == p.default
        assert p.name in estimator._parameter_constraints
        assert re.search(rf"^    {p.name} : ", estimator.__doc__, re.MULTILINE), p.name
    with pytest.raises(ValueError, match="'batch_size' parameter"):
        estimator(batch_size=0).fit([[0.0], [1.0]], [0, 1])


def test_readme_lists_exactly_the_tables_parameters():
    rows = re.findall(r"^\| (`[^|]+`) \| `?([^|`]+)`?", README.read_text(), re.MULTILINE)
    listed = {name.strip("`") for cell, _ in rows for name in re.findall(r"`(\w+)`", cell)}
    table = {p.name for p in PARAMETERS}
    assert table <= listed, table - listed
