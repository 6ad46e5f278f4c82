"""``hogwild mf train`` and ``hogwild mf recommend``."""

import numpy as np
import pytest

import hogwild
from hogwild.cli import main
from hogwild.datasets import make_ratings


@pytest.fixture()
def ratings_files(tmp_path):
    users, items, ratings = make_ratings(120, 90, 4000, noise=0.1, random_state=3)
    lines = [f"{u + 1}\t{i + 1}\t{r:.3f}\t0" for u, i, r in zip(users, items, ratings)]
    (tmp_path / "train.data").write_text("\n".join(lines[:3500]) + "\n")
    (tmp_path / "test.data").write_text("\n".join(lines[3500:]) + "\n")
    return tmp_path / "train.data", tmp_path / "test.data"


def test_train_then_recommend(ratings_files, tmp_path, capsys):
    train, test = ratings_files
    model_path = tmp_path / "model.hwm"
    assert main(["mf", "train", str(train), "--test", str(test), "--factors", "8", "--epochs", "100",
                 "--alpha", "0.02", "--eta0", "0.03", "--solver", "sequential", "-o", str(model_path)]) == 0
    out = capsys.readouterr().out
    assert "3500 ratings" in out and "trained in" in out and f"model written to {model_path}" in out
    rows = [line.split() for line in out.splitlines() if line.strip()[:1].isdigit() and len(line.split()) == 4]
    assert [int(r[0]) for r in rows] == list(range(1, 101))
    test_rmse = float(out.split("test RMSE ")[1].split()[0])
    model = hogwild.load(model_path)
    users, items, ratings = hogwild.datasets.load_movielens(test)
    assert test_rmse == pytest.approx(np.sqrt(np.mean((model.predict((users, items)) - ratings) ** 2)), abs=1e-4)
    assert test_rmse < 0.3 * np.std(ratings)  # (rank 5, noise 0.1: far better than predicting the mean)

    user = int(model.user_ids_[0])
    assert main(["mf", "recommend", str(model_path), str(user), "-k", "4"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "rank\titem\tpredicted rating" and len(lines) == 5
    expected, _ = model.recommend(user, k=4)
    assert [int(line.split("\t")[1]) for line in lines[1:]] == list(expected)

    assert main(["mf", "recommend", str(model_path), "123456", "-k", "2"]) == 0
    assert "was not seen in training" in capsys.readouterr().out


@pytest.mark.parametrize("argv,message", [
    (["mf", "train", "missing.data"], "No such file"),
    (["mf", "train", "{train}", "-o", "/no/such/folder/model"], "no such directory"),
    (["mf", "recommend", "{train}", "1"], "not a readable hogwild model file"),
    (["mf", "recommend", "{model}", "someone"], "user ids are integers"),
])
def test_errors_are_one_line(ratings_files, tmp_path, capsys, argv, message):
    train, _ = ratings_files
    users, items, ratings = make_ratings(20, 20, 100, random_state=0)
    hogwild.MatrixFactorization(max_iter=1).fit((users, items), ratings).save(tmp_path / "model.hwm")
    argv = [a.format(train=train, model=tmp_path / "model.hwm") for a in argv]
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1


@pytest.mark.parametrize("option, value, message", [
    ("--factors", "0", "--factors must be a positive integer, got 0"),
    ("--eta0", "0", "--eta0 must be a finite number > 0.0, got 0.0"),
    ("--tol", "-1", "--tol must be a finite number >= 0.0, got -1.0"),
    ("--threads", "0", "--threads must be a positive integer, got 0"),
    ("--alpha-bias", "nan", "--alpha-bias must be a finite number >= 0.0, got nan"),
    ("--seed", "-1", "--seed must be in [0, 2**32 - 1], got -1"),
])
def test_a_bad_option_is_a_usage_error_before_the_data_is_read(capsys, option, value, message):
    """Exit status 2 and the option's name, before the ratings file is read
    (here it does not exist); these exited 1 after reading it and printing
    the table's header, naming the Python parameter (a new user's trial)."""
    with pytest.raises(SystemExit) as exit_:
        main(["mf", "train", "no/such/ratings.data", option, value])
    assert exit_.value.code == 2
    err = capsys.readouterr().err.strip()
    assert err == f"hogwild mf train: error: {message} (see 'hogwild mf train --help')"


def test_mistakes_found_by_a_new_user_are_named_as_typed(tmp_path, capsys):
    """-o naming the ratings file replaced them by the model; --threads
    beyond the CPUs was found after reading, naming n_threads, exit 1;
    -k 0 exited 1; a duplicated pair named 0-based "rows" and errors said
    'hogwild mf:'."""
    ratings = tmp_path / "r.csv"
    ratings.write_text("user,item,rating\n1,10,4\n\n1,11,3\n1,10,5\n")
    assert main(["mf", "train", str(ratings), "-o", str(ratings)]) == 1
    assert capsys.readouterr().err.startswith(f"hogwild mf train: error: -o '{ratings}' is the ratings file")
    assert ratings.read_text().startswith("user,item")
    folder = tmp_path / "folder"
    folder.mkdir()
    (folder / "ratings.csv").write_text(ratings.read_text())
    assert main(["mf", "train", str(folder), "-o", str(folder / "ratings.csv")]) == 1  # (a folder's ratings file)
    assert "is the ratings file; name another file" in capsys.readouterr().err
    assert (folder / "ratings.csv").read_text().startswith("user,item")
    with pytest.raises(SystemExit) as exit_:
        main(["mf", "train", "no/such/ratings.data", "--threads", "100000"])
    assert exit_.value.code == 2
    assert "hogwild mf train: error: --threads 100000 is more than" in capsys.readouterr().err
    assert main(["mf", "train", str(ratings), "--epochs", "1"]) == 1
    assert (f"hogwild mf train: error: {ratings}: 1 duplicated (user, item) pair(s): lines 2 and 5 rate the same "
            "item") in capsys.readouterr().err
    users, items, values = make_ratings(20, 20, 100, random_state=0)
    hogwild.MatrixFactorization(max_iter=1).fit((users, items), values).save(tmp_path / "model.hwm")
    with pytest.raises(SystemExit) as exit_:
        main(["mf", "recommend", str(tmp_path / "model.hwm"), "1", "-k", "0"])
    assert exit_.value.code == 2
    assert "hogwild mf recommend: error: -k must be >= 1, got 0" in capsys.readouterr().err


def test_recommend_refuses_a_linear_model(tmp_path, capsys):
    from hogwild import SGDRegressor

    SGDRegressor(max_iter=1, tol=None).fit(np.eye(3), [1.0, 2.0, 3.0]).save(tmp_path / "linear.hwm")
    assert main(["mf", "recommend", str(tmp_path / "linear.hwm"), "1"]) == 1
    assert "holds a SGDRegressor, not a matrix factorization model" in capsys.readouterr().err
