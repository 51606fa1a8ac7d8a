"""lamina.Input, layers, Model/Sequential, compile/fit/evaluate/predict, save/load, callbacks."""
import numpy as np
import pytest

import lamina
from lamina import layers


def masked_mean_model():
    x = lamina.Input(shape=(None,), dtype="int32", name="tokens")
    h = layers.Embedding(5, 2, mask_zero=True, name="emb")(x)
    h = layers.GlobalAveragePooling1D(name="pool")(h)
    y = layers.Dense(1, name="out")(h)
    return lamina.Model(x, y, name="mm")


def test_symbolic_specs_and_masks():
    x = lamina.Input(shape=(None,), dtype="int32")
    assert x.is_symbolic and x.shape == (None, None) and x.dtype == "int32"
    h = layers.Embedding(20000, 128, mask_zero=True)(x)
    assert h.shape == (None, None, 128) and h.has_mask
    h = layers.Bidirectional(layers.LSTM(64, return_sequences=True))(h)
    assert h.shape == (None, None, 128) and h.has_mask
    assert layers.GlobalMaxPooling1D()(h).shape == (None, 128)


def test_predict_equals_the_masked_mean_computed_with_numpy():
    model = masked_mean_model()
    emb = np.array([[9.0, 9.0], [1.0, 2.0], [3.0, -1.0], [0.5, 0.5], [-2.0, 4.0]], np.float32)
    kernel = np.array([[2.0], [-1.0]], np.float32)
    model.get_layer("emb").set_weights([emb])
    model.get_layer("out").set_weights([kernel, np.array([0.25], np.float32)])
    ids = np.array([[1, 2, 0, 0], [3, 4, 1, 0], [0, 0, 0, 0]])
    got = model.predict(ids)
    expected = []
    for row in ids:  # mean over the non-padding embeddings (all-padding gives 0), then Dense
        valid = [emb[i] for i in row if i != 0]
        pooled = np.mean(valid, axis=0) if valid else np.zeros(2, np.float32)
        expected.append(pooled @ kernel + 0.25)
    np.testing.assert_allclose(got, np.array(expected), rtol=1e-6)
    assert got.shape == (3, 1) and got.dtype == np.float32


def test_unknown_keras_argument_names_the_field():
    with pytest.raises(lamina.ValueError) as e:
        layers.Dense(4, activaton="relu")
    assert "activaton" in str(e.value)
    with pytest.raises(lamina.ValueError) as e:  # mask_zero belongs to Embedding (seed 004)
        layers.LSTM(8, mask_zero=True)
    assert "field 'mask_zero' of the LSTM config is not a LSTM option" in str(e.value)


def test_sequential_input_shape_summary_and_fit_history(capsys):
    lamina.utils.set_random_seed(3)
    model = lamina.Sequential([layers.Dense(8, activation="relu", input_shape=(4,)), layers.Dense(3, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.summary()
    out = capsys.readouterr().out
    assert "dense" in out and "Total params: 67" in out  # 4*8+8 + 8*3+3
    rng = np.random.default_rng(0)
    x = rng.normal(size=(40, 4)).astype(np.float32)
    y = (x[:, 0] > 0).astype(np.int64) + (x[:, 1] > 0)
    history = model.fit(x, y, batch_size=8, epochs=4, validation_split=0.25, verbose=0)
    assert set(history.history) >= {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert history.epoch == [0, 1, 2, 3] and len(history.history["loss"]) == 4
    logs = model.evaluate(x, y, verbose=0, return_dict=True)
    assert set(logs) == {"loss", "accuracy"}
    loss, acc = model.evaluate(x, y, verbose=0)
    assert loss == logs["loss"] and acc == logs["accuracy"]
    # The loss by hand: mean of -log p[y] over the samples.
    p = model.predict(x)
    assert abs(float(np.mean(-np.log(p[np.arange(40), y]))) - loss) < 1e-5


def test_sample_weight_zero_ignores_samples():
    lamina.utils.set_random_seed(1)
    model = lamina.Sequential([lamina.Input(shape=(2,)), layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    x = np.array([[1, 2], [3, 4], [5, 6]], np.float32)
    y = np.array([[1], [2], [300]], np.float32)
    p = model.predict(x)
    w = np.array([1, 1, 0], np.float32)
    loss = model.evaluate(x, y, sample_weight=w, verbose=0)
    # Keras: sum(w * se) / number of samples in the batch
    assert abs(loss - float(np.sum(w * (p[:, 0] - y[:, 0]) ** 2) / 3)) < 1e-4


def test_save_and_load_model_predict_identically(tmp_path):
    model = masked_mean_model()
    model.compile(optimizer="adam", loss="mse")
    ids = np.array([[1, 2, 0], [3, 4, 4]])
    model.fit(ids, np.array([[1.0], [0.0]], np.float32), epochs=2, verbose=0)
    path = str(tmp_path / "m.lamina")
    model.save(path)
    again = lamina.models.load_model(path)
    np.testing.assert_array_equal(again.predict(ids), model.predict(ids))
    assert [l.name for l in again.layers] == [l.name for l in model.layers]
    with pytest.raises(lamina.IOError):
        lamina.models.load_model(str(tmp_path / "missing.lamina"))


def test_python_callbacks_receive_the_hooks():
    class Recorder(lamina.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.events = []

        def on_train_begin(self, logs=None):
            self.events.append("train_begin")

        def on_epoch_end(self, epoch, logs=None):
            self.events.append(("epoch", epoch, sorted(logs)))
            if epoch == 1:
                self.model.stop_training = True

        def on_train_batch_end(self, batch, logs=None):
            self.events.append(("batch", batch))

    model = lamina.Sequential([lamina.Input(shape=(2,)), layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    rec = Recorder()
    history = model.fit(np.ones((10, 2), np.float32), np.ones((10, 1), np.float32), batch_size=4, epochs=5,
                        verbose=0, callbacks=[rec, lamina.callbacks.TerminateOnNaN()])
    assert rec.events[0] == "train_begin"
    assert [e for e in rec.events if e[0] == "batch"] == [("batch", 0), ("batch", 1), ("batch", 2)] * 2
    assert [e for e in rec.events if e[0] == "epoch"] == [("epoch", 0, ["loss"]), ("epoch", 1, ["loss"])]
    assert len(history.history["loss"]) == 2  # stopped by the callback


def test_callback_exception_reaches_python():
    class Boom(lamina.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            raise RuntimeError("boom from python")

    model = lamina.Sequential([lamina.Input(shape=(2,)), layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    with pytest.raises(RuntimeError, match="boom from python"):
        model.fit(np.ones((4, 2), np.float32), np.ones((4, 1), np.float32), verbose=0, callbacks=[Boom()])


def test_bad_training_input_is_typed():
    model = lamina.Sequential([lamina.Input(shape=(3,)), layers.Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    with pytest.raises(lamina.ShapeError):
        model.predict(np.ones((2, 4), np.float32))  # wrong feature size
    with pytest.raises(lamina.ShapeError):
        model.predict(np.ones((2, 3, 1), np.float32))  # wrong rank
    with pytest.raises(lamina.Error):
        model.fit(np.ones((4, 3), np.float32), np.ones((5, 1), np.float32), verbose=0)  # sizes differ
    with pytest.raises(lamina.DTypeError):
        model.predict(np.array([["a", "b", "c"]]))


def test_learning_rate_schedules_are_keras_s_and_drive_the_optimizer():
    schedules = lamina.optimizers.schedules
    decay = schedules.ExponentialDecay(0.1, decay_steps=2, decay_rate=0.5)
    assert decay(0) == pytest.approx(0.1)
    assert decay(3) == pytest.approx(0.1 * 0.5 ** 1.5)
    assert schedules.ExponentialDecay(0.1, 2, 0.5, staircase=True)(3) == pytest.approx(0.05)
    assert decay.get_config()["decay_steps"] == 2
    steps = schedules.PiecewiseConstantDecay(boundaries=[0], values=[1.0, 0.25])
    assert (steps(0), steps(1)) == (1.0, 0.25)
    with pytest.raises(lamina.ValueError):
        schedules.ExponentialDecay(0.1, decay_steps=0, decay_rate=0.5)
    with pytest.raises(lamina.ValueError) as e:
        schedules.ExponentialDecay(0.1, decay_steps=2, decay_rat=0.5)
    assert "decay_rat" in str(e.value)
    # SGD on loss = w^2 (gradient 2w) from w = 1: step 0 at rate 1 gives -1, step 1 at 0.25 gives -0.5.
    model = lamina.Sequential([layers.Dense(1, use_bias=False, kernel_initializer="ones", input_shape=(1,))])
    model.compile(optimizer=lamina.optimizers.SGD(steps), loss="mse")
    x, y = np.ones((1, 1), np.float32), np.zeros((1, 1), np.float32)
    model.train_on_batch(x, y)
    assert model.get_weights()[0][0, 0] == pytest.approx(-1.0)
    model.train_on_batch(x, y)
    assert model.get_weights()[0][0, 0] == pytest.approx(-0.5)
    with pytest.raises(lamina.ValueError):
        lamina.optimizers.Adam(1e-3, 0.9)  # only the learning rate by position
