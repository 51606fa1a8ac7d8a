"""bench/python_overhead: the same training and prediction from Python and from C++.

The peer LSTM workload (Embedding(20000, 128, mask_zero) -> LSTM(256) -> Dense(2), Adam, batch
64, the 256 peer lengths padded to the longest) trained with model.fit, and predict on one 1 x 50
sequence. The C++ side (lamina._core._bench) runs in this process on this model, so both sides
see the same heap, caches and weights; runs come in pairs, the side going first alternating,
and the figures are medians over the pairs. Each training step is timed by a callback: a Python one on the Python side, a C++
one on the C++ side (a Python callback's own cost is part of what a Python user pays).
Targets (issue 13): Python's share of the step time under 2%; predict within 20 us of C++.

    PYTHONPATH=build/release/python /usr/bin/python3 bench/python_overhead/run.py [ROUNDS]
"""
import json
import pathlib
import sys
import time

import numpy as np

import lamina
from lamina import layers

ROOT = pathlib.Path(__file__).resolve().parents[2]


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
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 10
    x, y = data()
    lamina.utils.set_random_seed(1)
    tokens = lamina.Input(shape=(None,), dtype="int32")
    h = layers.LSTM(256)(layers.Embedding(20000, 128, mask_zero=True)(tokens))
    model = lamina.Model(tokens, layers.Dense(2)(h))
    model.compile(optimizer="adam", loss=lamina.losses.SparseCategoricalCrossentropy(from_logits=True))
    one = x[:1, :50]
    bench = lamina._core._bench

    def python_epoch(m=model, xs=x, ys=y):
        timer = StepTimer()
        m.fit(xs, ys, batch_size=64, epochs=1, verbose=0, callbacks=[timer], shuffle=False)
        return float(np.median(timer.steps))

    def cpp_epoch(m=model, xs=x, ys=y):
        return float(np.median(bench.fit_step_s(m, xs, ys, 64, 1)))

    def python_predict(m=model, xs=one):
        t = time.perf_counter()
        m.predict(xs)
        return (time.perf_counter() - t) * 1e6

    def cpp_predict(m=model, xs=one):
        return bench.predict_us(m, xs, 1)[0]

    # Paired samples, the side going first alternating: this VM's speed drifts by more than
    # the differences looked for, and a pair sees the same drift on both sides.
    def paired(python_side, cpp_side, n):
        pairs = []
        for i in range(n):
            if i % 2 == 0:
                p, c = python_side(), cpp_side()
            else:
                c, p = cpp_side(), python_side()
            pairs.append((p, c))
        return pairs

    paired(python_epoch, cpp_epoch, 1)  # warm-up: first-touch allocations, caches
    paired(python_predict, cpp_predict, 50)
    epochs = paired(python_epoch, cpp_epoch, rounds)
    calls = paired(python_predict, cpp_predict, 100 * rounds)
    py = {"fit_step_s": float(np.median([p for p, _ in epochs])),
          "predict_us": float(np.median([p for p, _ in calls]))}
    cpp = {"fit_step_s": float(np.median([c for _, c in epochs])),
           "predict_us": float(np.median([c for _, c in calls]))}
    share = float(np.median([(p - c) / p for p, c in epochs]))
    delta = float(np.median([p - c for p, c in calls]))

    # The same per-step comparison on a model whose step costs almost nothing, so that what
    # Python adds per step (the callback hooks, the batch loop being the same C++) is seen in
    # absolute microseconds, free of the LSTM step's run-to-run spread.
    rng = np.random.default_rng(7)
    tx, ty = rng.normal(size=(6400, 4)).astype(np.float32), rng.normal(size=(6400, 1)).astype(np.float32)
    tin = lamina.Input(shape=(4,))
    tiny = lamina.Model(tin, layers.Dense(1)(tin))
    tiny.compile(optimizer="adam", loss="mse")
    tiny_pairs = paired(lambda: python_epoch(tiny, tx, ty), lambda: cpp_epoch(tiny, tx, ty), rounds)
    added_us = float(np.median([(p - c) * 1e6 for p, c in tiny_pairs]))
    bound = added_us * 1e-6 / cpp["fit_step_s"]
    tiny_calls = paired(lambda: python_predict(tiny, tx[:1]), lambda: cpp_predict(tiny, tx[:1]), 100 * rounds)
    predict_added_us = float(np.median([p - c for p, c in tiny_calls]))
    print(json.dumps({"rounds": rounds, "python": py, "cpp": cpp, "python_share_of_step": share,
                      "python_us_added_per_step": added_us, "python_share_bound": bound,
                      "predict_delta_us": delta, "python_us_added_per_predict": predict_added_us}, indent=1))
    print(f"Python's share of the step: {100 * share:.2f}% measured on the LSTM step, "
          f"{100 * bound:.3f}% from the {added_us:.1f} us Python adds per step (target < 2%); "
          f"predict 1x50: {delta:+.1f} us vs C++, Python adding {predict_added_us:.1f} us per call "
          f"(target within 20 us); medians of paired runs")


if __name__ == "__main__":
    main()
