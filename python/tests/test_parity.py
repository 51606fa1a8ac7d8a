"""The same model from Python and from C++ (issue 13, acceptances 2 and 3).

tests/twin/parity_twin.cpp builds, in the same order and with the same seed, the masked
Embedding -> Bidirectional(LSTM) -> GlobalAveragePooling1D -> Dense model below, trains it on
the arrays this test writes, and saves it. Run with one thread (CTest sets OMP_NUM_THREADS=1),
the weights and losses must be bitwise equal; the saved models must load on the other side and
predict identically."""
import os
import subprocess

import numpy as np
import pytest

import lamina
from lamina import layers


def data():
    rng = np.random.default_rng(13)
    lengths = rng.integers(2, 9, size=24)
    x = np.zeros((24, 8), np.int32)
    for i, n in enumerate(lengths):
        x[i, :n] = rng.integers(1, 50, size=n)
    y = (x.sum(axis=1) % 3).astype(np.int32)
    return x, y


def python_model():
    lamina.utils.set_random_seed(13)
    tokens = lamina.Input(shape=(None,), dtype="int32", name="tokens")
    h = layers.Embedding(50, 8, mask_zero=True)(tokens)
    h = layers.Bidirectional(layers.LSTM(6, return_sequences=True))(h)
    h = layers.GlobalAveragePooling1D()(h)
    out = layers.Dense(3, activation="softmax")(h)
    model = lamina.Model(tokens, out, name="parity")
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


@pytest.fixture(scope="module")
def trained(tmp_path_factory, twin):
    d = tmp_path_factory.mktemp("parity")
    x, y = data()
    np.save(d / "x.npy", x)
    np.save(d / "y.npy", y)
    env = dict(os.environ, OMP_NUM_THREADS="1", LAMINA_NUM_THREADS="1")
    subprocess.run([twin, str(d)], check=True, env=env)
    lamina.layers  # noqa: B018
    model = python_model()
    history = model.fit(x, y, batch_size=8, epochs=3, verbose=0, validation_split=0.25)
    return d, model, history, x, y


def test_weights_and_losses_are_bitwise_those_of_cpp(trained):
    d, model, history, x, y = trained
    cpp_losses = [float(v) for v in (d / "cpp_losses.txt").read_text().split()]
    assert history.history["loss"] + history.history["val_loss"] == cpp_losses
    weights = model.get_weights()
    assert len(weights) == 9  # embeddings, 2 x (kernel, recurrent kernel, bias), dense kernel and bias
    for i, w in enumerate(weights):
        cpp = np.load(d / f"cpp_weight_{i}.npy")
        assert cpp.dtype == w.dtype and cpp.shape == w.shape
        assert cpp.tobytes() == w.tobytes(), f"weight {i} differs"
    loss, acc = [float(v) for v in (d / "cpp_eval.txt").read_text().split()]
    logs = model.evaluate(x, y, verbose=0, return_dict=True)
    assert logs["loss"] == loss and logs["accuracy"] == acc


def test_model_saved_in_cpp_loads_in_python(trained):
    d, _, _, x, _ = trained
    cpp_model = lamina.models.load_model(str(d / "cpp_model.lamina"))
    assert cpp_model.predict(x).tobytes() == np.load(d / "cpp_pred.npy").tobytes()


def test_model_saved_in_python_loads_in_cpp(trained, twin, cli):
    d, model, _, x, _ = trained
    path = d / "py_model.lamina"
    model.save(str(path))
    env = dict(os.environ, OMP_NUM_THREADS="1", LAMINA_NUM_THREADS="1")
    subprocess.run([twin, "predict", str(path), str(d / "x.npy"), str(d / "py_pred_cpp.npy")], check=True, env=env)
    assert np.load(d / "py_pred_cpp.npy").tobytes() == model.predict(x).tobytes()
    summary = subprocess.run([cli, "summary", str(path)], check=True, capture_output=True, text=True).stdout
    assert "bidirectional" in summary and "Total params" in summary
