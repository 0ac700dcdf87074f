"""The original material's pipeline, rebuilt step by step as the baseline for the benchmarks.

It reads ``mnist_train.csv`` and ``mnist_test.csv`` line by line in Python, turns each line
into a float64 array, normalises with ``x / 255 - 0.5``, one-hots the labels with
``keras.utils.to_categorical``, and trains the same dense network with Keras's default
compile settings (Adam, 5 epochs, batch 32). Nothing here is tuned: it is the yardstick.

Run it on a folder holding the two CSV files::

    mnist-course data export-csv /tmp/mnist_csv
    python benchmarks/original_pipeline.py /tmp/mnist_csv
"""

import sys
from pathlib import Path

import numpy as np


def read_csv_lines(path):
    """Read one MNIST CSV as the original does: readlines, split, ``np.asarray`` per line."""
    data_file = open(path)
    data_list = data_file.readlines()
    data_file.close()
    labels = []
    images = []
    for record in data_list:
        all_values = record.split(",")
        labels.append(int(all_values[0]))
        images.append(np.asarray(all_values[1:], dtype=float))
    x = np.asarray(images).reshape(len(images), 784)
    y = np.asarray(labels)
    return x, y


def load_data(folder):
    """Read both CSV files; return ``(x_train, y_train), (x_test, y_test)``, pixels float64."""
    folder = Path(folder)
    x_train, y_train = read_csv_lines(folder / "mnist_train.csv")
    x_test, y_test = read_csv_lines(folder / "mnist_test.csv")
    return (x_train, y_train), (x_test, y_test)


def prepare(x, y):
    """Normalise to ``x / 255 - 0.5`` (float64, as the original) and one-hot the labels."""
    import keras

    return x / 255 - 0.5, keras.utils.to_categorical(y, 10)


def build_model():
    """The original's dense network: 784 -> 64 relu -> 64 relu -> 10 softmax."""
    import keras

    return keras.Sequential(
        [
            keras.Input(shape=(784,)),
            keras.layers.Dense(64, activation="relu"),
            keras.layers.Dense(64, activation="relu"),
            keras.layers.Dense(10, activation="softmax"),
        ]
    )


def compile_default(model):
    """Compile with Keras's defaults, as the original does."""
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    return model


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1:
        print(
            "usage: python original_pipeline.py DIR  (DIR holds mnist_train.csv and "
            "mnist_test.csv; write them with: mnist-course data export-csv DIR)",
            file=sys.stderr,
        )
        return 2
    (x_train, y_train), (x_test, y_test) = load_data(argv[0])
    x_train, y_train = prepare(x_train, y_train)
    x_test, y_test = prepare(x_test, y_test)
    model = compile_default(build_model())
    model.fit(x_train, y_train, epochs=5, batch_size=32)
    loss, accuracy = model.evaluate(x_test, y_test)
    print(f"test accuracy: {accuracy:.4f}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
