"""bench/python_overhead: the same training and prediction from Python and from C++.

The peer LSTM workload (fit_predict.cpp says which) trained with model.fit from Python and from
the C++ program, one step timed by a callback on each side; and predict on one 1 x 50 sequence.
Targets (issue 13): Python's share of the step time under 2%; predict within 20 us of C++.

    PYTHONPATH=build/release/python /usr/bin/python3 bench/python_overhead/run.py [EPOCHS]
"""
import json
import os
import pathlib
import subprocess
import sys
import time

import numpy as np

import lamina
from lamina import layers

ROOT = pathlib.Path(__file__).resolve().parents[2]
CPP = os.environ.get("LAMINA_OVERHEAD_CPP", str(ROOT / "build/release/python/bench_python_overhead_cpp"))


def peer_lengths():
    text = (ROOT / "bench/peer_workload.hpp").read_text()
    body = text[text.index("kPeerLengths = {") + len("kPeerLengths = {"):]
    return [int(v) for v in body[:body.index("}")].replace("\n", " ").split(",") if v.strip()]


def data():
    # The C++ side draws from lm::Generator(1234); the values do not matter for timing, only
    # the shapes and the padding, which are the same.
    lengths = peer_lengths()
    rng = np.random.default_rng(1234)
    x = np.zeros((len(lengths), max(lengths)), np.int32)
    for i, n in enumerate(lengths):
        x[i, :n] = rng.integers(1, 20000, size=n)
    return x, rng.integers(0, 2, size=len(lengths)).astype(np.int32)


class StepTimer(lamina.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.steps = []

    def on_train_batch_begin(self, batch, logs=None):
        self.t0 = time.perf_counter()

    def on_train_batch_end(self, batch, logs=None):
        self.steps.append(time.perf_counter() - self.t0)


def main():
    epochs = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    x, y = data()
    lamina.utils.set_random_seed(1)
    tokens = lamina.Input(shape=(None,), dtype="int32")
    h = layers.LSTM(256)(layers.Embedding(20000, 128, mask_zero=True)(tokens))
    model = lamina.Model(tokens, layers.Dense(2)(h))
    model.compile(optimizer="adam", loss=lamina.losses.SparseCategoricalCrossentropy(from_logits=True))
    timer = StepTimer()
    t0 = time.perf_counter()
    model.fit(x, y, batch_size=64, epochs=epochs, verbose=0, callbacks=[timer], shuffle=False)
    fit_wall = time.perf_counter() - t0
    one = x[:1, :50]
    calls = []
    for _ in range(300):
        t = time.perf_counter()
        model.predict(one)
        calls.append((time.perf_counter() - t) * 1e6)
    py = {"fit_step_s": float(np.median(timer.steps)), "predict_us": float(np.median(calls)),
          "fit_wall_s": fit_wall}
    cpp = json.loads(subprocess.run([CPP, str(epochs)], check=True, capture_output=True, text=True).stdout)
    share = (py["fit_step_s"] - cpp["fit_step_s"]) / py["fit_step_s"]
    print(json.dumps({"python": py, "cpp": cpp, "python_share_of_step": share,
                      "predict_delta_us": py["predict_us"] - cpp["predict_us"]}, indent=1))
    print(f"Python's share of the step: {100 * share:.2f}% (target < 2%); "
          f"predict 1x50: {py['predict_us'] - cpp['predict_us']:+.1f} us vs C++ (target within 20 us)")


if __name__ == "__main__":
    main()
