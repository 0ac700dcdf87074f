"""Every failure message blames the right function and the right mistake (issue 26).

For each exercise, a table of mistakes a student makes, each run through the real self-check
path (`pytest exercises`' checking process: the notebook's cells in the student's process,
the test cells in a process of their own): the checks that fail are exactly the ones listed,
each of their messages names the student's function at fault (and what it says, where
listed), and none is a raw error with the generic hint. Mistakes in different answer cells
whose failing checks do not overlap share one checking run of one modified notebook; a
correct answer written differently is a mistake that fails nothing and names, in
``passes``, the checks that run to prove it passes them.
"""

from dataclasses import dataclass, field

import nbformat
import pytest
from helpers import solution_notebook

from mnist_course import notebook, selfcheck
from mnist_course.selfcheck.checker import HINT


@dataclass(frozen=True)
class Mistake:
    """``source`` in answer cell ``answer``: the checks ``fails`` fail, naming ``blames``."""

    name: str
    answer: str
    source: str
    fails: frozenset = frozenset()
    blames: str = ""
    says: tuple = ()
    alone: bool = False  # its effects reach checks of other answers: run it by itself
    passes: frozenset = frozenset()  # a correct answer's checks, run to see them pass


def mistake(name, answer, source, fails=(), blames=None, says=(), alone=False, passes=()):
    return Mistake(
        name,
        answer,
        source,
        frozenset(fails),
        blames or answer,
        (says,) if isinstance(says, str) else tuple(says),
        alone,
        frozenset(passes),
    )


EX01 = [
    mistake(
        "normalize by the largest grey level of x",
        "normalize",
        "def normalize(x):\n    return x / x.max() - 0.5\n",
        {"test_normalize"},
        says="not by 255",
    ),
    mistake(
        "one_hot sized by the largest label",
        "one_hot",
        "def one_hot(y, num_classes=10):\n    return np.eye(y.max() + 1)[y]\n",
        {"test_one_hot"},
        says="the largest label + 1",
    ),
    mistake(
        "split_labels swapped",
        "split_labels",
        "def split_labels(rows):\n    return rows[:, 0], rows[:, 1:]\n",
        {"test_split_labels"},
        says="the pixels first",
    ),
    mistake(
        "split_labels takes the last column",
        "split_labels",
        "def split_labels(rows):\n    return rows[:, :-1], rows[:, -1]\n",
        {"test_split_labels"},
        says="first column",
    ),
    mistake(
        "split_labels returns the pixels only",
        "split_labels",
        "def split_labels(rows):\n    return rows[:, 1:]\n",
        {"test_split_labels"},
    ),
    mistake(
        "normalize to [0, 1]",
        "normalize",
        "def normalize(x):\n    return x / 255\n",
        {"test_normalize"},
        says="subtract 0.5",
    ),
    mistake(
        "normalize with integer division",
        "normalize",
        "def normalize(x):\n    return x // 255 - 0.5\n",
        {"test_normalize"},
        says="(not //)",
    ),
    mistake(
        "normalize without return",
        "normalize",
        "def normalize(x):\n    x = x / 255 - 0.5\n",
        {"test_normalize"},
        says="the function returned nothing",
    ),
    mistake(
        "normalize written in place on a copy (correct)",
        "normalize",
        "def normalize(x):\n    x = x.astype('float64')\n    x /= 255\n    x -= 0.5\n"
        "    return x\n",
        passes={"test_normalize"},
    ),
    mistake(
        "one_hot ignores num_classes",
        "one_hot",
        "def one_hot(y, num_classes=10):\n    return np.eye(10)[y]\n",
        {"test_one_hot"},
    ),
    mistake(
        "one_hot transposed",
        "one_hot",
        "def one_hot(y, num_classes=10):\n    return np.eye(num_classes)[y].T\n",
        {"test_one_hot"},
    ),
    mistake(
        "one_hot off by one",
        "one_hot",
        "def one_hot(y, num_classes=10):\n    return np.eye(num_classes)[np.asarray(y) - 1]\n",
        {"test_one_hot"},
    ),
    mistake(
        "normalize divides by 256",
        "normalize",
        "def normalize(x):\n    return x / 256 - 0.5\n",
        {"test_normalize"},
        says="divided by 256",
    ),
    mistake(
        "one_hot fills whole columns",
        "one_hot",
        "def one_hot(y, num_classes=10):\n    out = np.zeros((len(y), num_classes))\n"
        "    out[:, y] = 1\n    return out\n",
        {"test_one_hot"},
        says="fills whole columns",
    ),
]

EX02 = [
    mistake(
        "no softmax on the output",
        "build_mlp",
        "def build_mlp(*, hidden_units=(64, 64), activation='relu'):\n"
        "    layers = [keras.Input(shape=(784,))]\n"
        "    layers += [keras.layers.Dense(u, activation=activation) for u in hidden_units]\n"
        "    return keras.Sequential(layers + [keras.layers.Dense(10)])\n",
        {"test_build_mlp"},
        says="softmax",
    ),
    mistake(
        "activation ignored",
        "build_mlp",
        "def build_mlp(*, hidden_units=(64, 64), activation='relu'):\n"
        "    layers = [keras.Input(shape=(784,))]\n"
        "    layers += [keras.layers.Dense(u, activation='relu') for u in hidden_units]\n"
        "    return keras.Sequential(layers + [keras.layers.Dense(10, activation='softmax')])\n",
        {"test_build_mlp"},
    ),
    mistake(
        "hidden_units ignored",
        "build_mlp",
        "def build_mlp(*, hidden_units=(64, 64), activation='relu'):\n"
        "    layers = [keras.Input(shape=(784,))]\n"
        "    layers += [keras.layers.Dense(64, activation=activation) for u in (64, 64)]\n"
        "    return keras.Sequential(layers + [keras.layers.Dense(10, activation='softmax')])\n",
        {"test_build_mlp"},
    ),
    mistake(
        "build_mlp without return",
        "build_mlp",
        "def build_mlp(*, hidden_units=(64, 64), activation='relu'):\n"
        "    model = keras.Sequential([keras.Input(shape=(784,)), "
        "keras.layers.Dense(10, activation='softmax')])\n",
        {"test_build_mlp"},
        says="return model",
    ),
    mistake(
        "the output layer takes the hidden activation",
        "build_mlp",
        "def build_mlp(*, hidden_units=(64, 64), activation='relu'):\n"
        "    layers = [keras.Input(shape=(784,))]\n"
        "    layers += [keras.layers.Dense(u, activation=activation) for u in hidden_units]\n"
        "    return keras.Sequential(layers + [keras.layers.Dense(10, activation=activation)])\n",
        {"test_build_mlp"},
    ),
    mistake(
        "count_parameters without biases",
        "count_parameters",
        "def count_parameters(hidden_units):\n    sizes = [784, *hidden_units, 10]\n"
        "    return sum(a * b for a, b in zip(sizes[:-1], sizes[1:]))\n",
        {"test_count_parameters"},
    ),
    mistake(
        "count_parameters forgets the output layer",
        "count_parameters",
        "def count_parameters(hidden_units):\n    sizes = [784, *hidden_units]\n"
        "    return sum((a + 1) * b for a, b in zip(sizes[:-1], sizes[1:]))\n",
        {"test_count_parameters"},
    ),
    mistake(
        "count_parameters counts a built model (correct)",
        "count_parameters",
        "def count_parameters(hidden_units):\n"
        "    return build_mlp(hidden_units=hidden_units).count_params()\n",
        alone=True,  # it calls build_mlp: a build_mlp mistake would reach it
        passes={"test_count_parameters"},
    ),
    mistake(
        "count_parameters returns a string",
        "count_parameters",
        "def count_parameters(hidden_units):\n    sizes = [784, *hidden_units, 10]\n"
        "    return str(sum((a + 1) * b for a, b in zip(sizes[:-1], sizes[1:])))\n",
        {"test_count_parameters"},
        says="not its text",
    ),
    mistake(
        "count_parameters joins a list and the tuple",
        "count_parameters",
        "def count_parameters(hidden_units):\n    sizes = [784] + hidden_units + [10]\n"
        "    return sum((a + 1) * b for a, b in zip(sizes[:-1], sizes[1:]))\n",
        {"test_count_parameters"},
        says="list(hidden_units)",
    ),
]

BACKWARD = "def backward(x, y, h, p, W2):\n    d = {d}\n    dz1 = {dz1}\n    return {returned}\n"
RIGHT_BACKWARD = {
    "d": "(p - y) / len(x)",
    "dz1": "(d @ W2.T) * (h > 0)",
    "returned": "x.T @ dz1, dz1.sum(axis=0), h.T @ d, d.sum(axis=0)",
}
FORWARD = (
    "def forward(W1, b1, W2, b2, x):\n    h = {h}\n    z = h @ W2 + b2\n"
    "    e = np.exp({z})\n    return h, e / e.sum(axis=1, keepdims=True)\n"
)
RIGHT_FORWARD = {"h": "np.maximum(x @ W1 + b1, 0)", "z": "z - z.max(axis=1, keepdims=True)"}
PREDICTIONS = (
    "def zero_start_predictions():\n"
    "    return {{'weights_changed': {0}, 'test_accuracy': {1}, 'distinct_units': {2}}}\n"
)


def from_zeros(answer):
    """The model answer of train_network with W1 and W2 started from zeros."""
    return answer.replace(
        "W1 = rng.normal(0, np.sqrt(2 / features), size=(features, hidden_units))",
        "W1 = np.zeros((features, hidden_units))",
    ).replace(
        "W2 = rng.normal(0, np.sqrt(2 / hidden_units), size=(hidden_units, classes))",
        "W2 = np.zeros((hidden_units, classes))",
    )


EX04 = [
    mistake(
        "forward without the ReLU",
        "forward",
        FORWARD.format(**{**RIGHT_FORWARD, "h": "x @ W1 + b1"}),
        {"test_forward", "test_loss", "test_finite_difference", "test_accuracy"},
        says=("apply the ReLU", "fails because of your forward()"),
        alone=True,
    ),
    mistake(
        "forward that overflows",
        "forward",
        FORWARD.format(**{**RIGHT_FORWARD, "z": "z"}),
        {"test_forward"},
        says="subtract each row's max",
    ),
    mistake(
        "loss without the minus",
        "loss",
        "def loss(W1, b1, W2, b2, x, y):\n    _, p = forward(W1, b1, W2, b2, x)\n"
        "    return float(np.mean(np.log(np.sum(p * y, axis=1))))\n",
        {"test_loss", "test_finite_difference"},
        says=("put a minus in front", "fix loss (Part A) first"),
    ),
    mistake(
        "backward without the ReLU mask",
        "backward",
        BACKWARD.format(**{**RIGHT_BACKWARD, "dz1": "d @ W2.T"}),
        {"test_backward", "test_accuracy"},
        says="the ReLU mask forgotten",
    ),
    mistake(
        "backward with the sign flipped",
        "backward",
        BACKWARD.format(**{**RIGHT_BACKWARD, "d": "(y - p) / len(x)"}),
        {"test_backward", "test_training_loop", "test_accuracy"},
        says=("the sign flipped", "fails because of your backward()"),
        alone=True,
    ),
    mistake(
        "backward with np.where for the mask (correct)",
        "backward",
        BACKWARD.format(**{**RIGHT_BACKWARD, "dz1": "np.where(h > 0, d @ W2.T, 0.0)"}),
        passes={"test_backward"},
    ),
    mistake(
        "a one-sided finite difference",
        "finite_difference",
        "def finite_difference(W1, b1, W2, b2, x, y, eps=1e-5):\n"
        "    arrays = [np.array(a, dtype=float) for a in (W1, b1, W2, b2)]\n"
        "    base = loss(*arrays, x, y)\n    slopes = []\n    for a in arrays:\n"
        "        s = np.zeros_like(a)\n        for i in np.ndindex(a.shape):\n"
        "            a[i] += eps\n            s[i] = (loss(*arrays, x, y) - base) / eps\n"
        "            a[i] -= eps\n        slopes.append(s)\n    return tuple(slopes)\n",
        {"test_finite_difference"},
        says="a one-sided difference",
    ),
    mistake(
        "train_network started from zeros",
        "train_network",
        from_zeros,
        {"test_training_loop", "test_accuracy"},
        says="started from zeros, no weight of W1 or W2 ever gets a gradient",
        alone=True,
    ),
    mistake(
        "the zero start predicted to train",
        "zero_start_predictions",
        PREDICTIONS.format(50816, 0.93, 64),
        {
            "test_prediction_weights_changed",
            "test_prediction_test_accuracy",
            "test_prediction_distinct_units",
        },
        blames="zero_start_predictions",
        says="which digit does it answer",
    ),
    mistake(
        "forward returns (p, h)",
        "forward",
        FORWARD.format(**RIGHT_FORWARD).replace(
            "return h, e / e.sum(axis=1, keepdims=True)",
            "return e / e.sum(axis=1, keepdims=True), h",
        ),
        {"test_forward", "test_loss"},
        says=("the probabilities first", "Fix forward first"),
        alone=True,  # loss, the finite difference and the loop call it
    ),
    mistake(
        "backward returns the output layer first",
        "backward",
        BACKWARD.format(
            **{**RIGHT_BACKWARD, "returned": "h.T @ d, d.sum(axis=0), x.T @ dz1, dz1.sum(axis=0)"}
        ),
        {"test_backward"},
        says="the output layer's gradients first",
    ),
    mistake(
        "finite_difference nudges copies it never passes to loss",
        "finite_difference",
        "def finite_difference(W1, b1, W2, b2, x, y, eps=1e-5):\n    slopes = []\n"
        "    for a in (W1, b1, W2, b2):\n        s = np.zeros(np.shape(a))\n"
        "        for i in np.ndindex(s.shape):\n            up = np.array(a, dtype=float)\n"
        "            up[i] += eps\n"
        "            s[i] = (loss(W1, b1, W2, b2, x, y) - loss(W1, b1, W2, b2, x, y)) / eps\n"
        "        slopes.append(s)\n    return tuple(slopes)\n",
        {"test_finite_difference"},
        says="the loss never saw a nudged entry",
    ),
]

COMPILE = "def compile_model(model):\n    model.compile({})\n    return model\n"
TRAIN = (
    "def train(model, x_train, y_train, *, epochs=5, seed=0):\n"
    "    keras.utils.set_random_seed(seed)\n"
    "    {}\n"
)

EX05 = [
    mistake(
        "compile_model with from_logits=True",
        "compile_model",
        COMPILE.format(
            "optimizer='adam', "
            "loss=keras.losses.CategoricalCrossentropy(from_logits=True), metrics=['accuracy']"
        ),
        {"test_compile_model"},
        says="apply softmax a second time",
    ),
    mistake(
        "weight_updates rounds the batches down",
        "weight_updates",
        "def weight_updates(n, batch_size=32, epochs=1, validation_split=0.0):\n"
        "    return epochs * (int(n * (1 - validation_split)) // batch_size)\n",
        {"test_weight_updates"},
        says="round up",
    ),
    mistake(
        "compile_model returns None",
        "compile_model",
        "def compile_model(model):\n    model.compile(optimizer='adam', "
        "loss='categorical_crossentropy', metrics=['accuracy'])\n",
        {"test_compile_model", "test_train"},
        says="returned None",
    ),
    mistake(
        "metrics as a string",
        "compile_model",
        COMPILE.format("optimizer='adam', loss='categorical_crossentropy', metrics='accuracy'"),
        {"test_compile_model", "test_train"},
        says="metrics=['accuracy']",
        alone=True,
    ),
    mistake(
        "the optimizer's class",
        "compile_model",
        COMPILE.format(
            "optimizer=keras.optimizers.Adam, loss='categorical_crossentropy', metrics=['accuracy']"
        ),
        {"test_compile_model", "test_train"},
        says="parentheses",
        alone=True,
    ),
    mistake(
        "a misspelt metric",
        "compile_model",
        COMPILE.format("optimizer='adam', loss='categorical_crossentropy', metrics=['acuracy']"),
        {"test_compile_model", "test_train"},
        says="'acuracy'",
        alone=True,
    ),
    mistake(
        "metric and loss objects (correct)",
        "compile_model",
        COMPILE.format(
            "optimizer=keras.optimizers.Adam(), loss=keras.losses.CategoricalCrossentropy(), "
            "metrics=[keras.metrics.CategoricalAccuracy()]"
        ),
        passes={"test_compile_model"},
    ),
    mistake(
        "train returns the model",
        "train",
        TRAIN.format(
            "model.fit(x_train, y_train, epochs=epochs, batch_size=32, verbose=0)\n    return model"
        ),
        {"test_train"},
        says="History",
    ),
    mistake(
        "train returns history.history",
        "train",
        TRAIN.format(
            "return model.fit(x_train, y_train, epochs=epochs, batch_size=32, verbose=0).history"
        ),
        {"test_train"},
        says="History itself",
    ),
    mistake(
        "train ignores epochs",
        "train",
        TRAIN.format("return model.fit(x_train, y_train, epochs=1, batch_size=32, verbose=0)"),
        {"test_train"},
        says="epochs=epochs",
    ),
    mistake(
        "train does not seed",
        "train",
        "def train(model, x_train, y_train, *, epochs=5, seed=0):\n"
        "    return model.fit(x_train, y_train, epochs=epochs, batch_size=32, verbose=0)\n",
        {"test_train"},
        says="set_random_seed",
    ),
    mistake(
        "compile_model compiles a model of its own",
        "compile_model",
        "def compile_model(model):\n    own = mnist_course.build_mlp(seed=0)\n"
        "    own.compile(optimizer='adam', loss='categorical_crossentropy', "
        "metrics=['accuracy'])\n    return own\n",
        {"test_compile_model"},
        says=(
            "returned another model than the one it was given",
            "compile the model you are given",
        ),
    ),
]

EX06 = [
    mistake(
        "evaluate returns the list",
        "evaluate",
        "def evaluate(model, x_test, y_test):\n    return model.evaluate(x_test, y_test, "
        "verbose=0)\n",
        {"test_evaluate"},
    ),
    mistake(
        "evaluate in percent",
        "evaluate",
        "def evaluate(model, x_test, y_test):\n"
        "    loss, accuracy = model.evaluate(x_test, y_test, verbose=0)\n"
        "    return {'loss': loss, 'accuracy': 100 * accuracy}\n",
        {"test_evaluate"},
    ),
    mistake(
        "evaluate swaps loss and accuracy",
        "evaluate",
        "def evaluate(model, x_test, y_test):\n"
        "    loss, accuracy = model.evaluate(x_test, y_test, verbose=0)\n"
        "    return {'loss': accuracy, 'accuracy': loss}\n",
        {"test_evaluate"},
    ),
    mistake(
        "predict_labels returns probabilities",
        "predict_labels",
        "def predict_labels(model, x):\n    return model.predict(x, verbose=0)\n",
        {"test_predict_labels"},
    ),
    mistake(
        "predict_labels over the wrong axis",
        "predict_labels",
        "def predict_labels(model, x):\n    return np.argmax(model.predict(x, verbose=0), "
        "axis=0)\n",
        {"test_predict_labels"},
    ),
    mistake(
        "predict_labels counts from 1",
        "predict_labels",
        "def predict_labels(model, x):\n    return np.argmax(model.predict(x, verbose=0), "
        "axis=1) + 1\n",
        {"test_predict_labels"},
    ),
    mistake(
        "misclassified returns a mask",
        "misclassified",
        "def misclassified(y_true, y_pred):\n    return np.asarray(y_true) != np.asarray(y_pred)\n",
        {"test_misclassified"},
    ),
    mistake(
        "misclassified returns the right ones",
        "misclassified",
        "def misclassified(y_true, y_pred):\n    return np.flatnonzero(np.asarray(y_true) == "
        "np.asarray(y_pred))\n",
        {"test_misclassified"},
    ),
    mistake(
        "misclassified as a list (correct)",
        "misclassified",
        "def misclassified(y_true, y_pred):\n"
        "    return [i for i, (a, b) in enumerate(zip(y_true, y_pred)) if a != b]\n",
        passes={"test_misclassified"},
    ),
    mistake(
        "misclassified returns np.where's tuple",
        "misclassified",
        "def misclassified(y_true, y_pred):\n    return np.where(y_true != y_pred)\n",
        {"test_misclassified"},
        says="np.where",
    ),
    mistake(
        "predict_labels takes the argmax without an axis",
        "predict_labels",
        "def predict_labels(model, x):\n    return model.predict(x, verbose=0).argmax()\n",
        {"test_predict_labels"},
        says="argmax without an axis",
    ),
    mistake(
        "evaluate zips Keras 3's metrics_names",
        "evaluate",
        "def evaluate(model, x_test, y_test):\n"
        "    return dict(zip(model.metrics_names, model.evaluate(x_test, y_test, verbose=0)))\n",
        {"test_evaluate"},
        says="compile_metrics",
    ),
    mistake(
        "report ends with Part A's evaluate (correct)",
        "report",
        "def report(model, train_images, train_labels, test_images, test_labels):\n"
        "    x, y = mnist_course.preprocess(test_images, test_labels)\n"
        "    return evaluate(model, x, y)\n",
        alone=True,  # it calls evaluate: an evaluate mistake would reach it
        passes={"test_report_1"},
    ),
    mistake(
        "report shuffles images and labels with two permutations",
        "report",
        "def report(model, train_images, train_labels, test_images, test_labels):\n"
        "    x, y = mnist_course.preprocess(test_images, test_labels)\n"
        "    rng = np.random.default_rng(0)\n"
        "    x, y = x[rng.permutation(len(x))], y[rng.permutation(len(y))]\n"
        "    p = model.predict(x, verbose=0)\n"
        "    loss = keras.losses.categorical_crossentropy(y, p)\n"
        "    accuracy = np.mean(p.argmax(axis=1) == y.argmax(axis=1))\n"
        "    return {'loss': float(np.mean(loss)), 'accuracy': float(accuracy)}\n",
        {"test_report_1", "test_report_3"},  # said by the shuffle's check; the others point there
        says=(
            "no longer belong to their images",
            "shuffle both with the same",
            "test_report_3, says how",
        ),
    ),
    mistake(
        "report normalises without flattening",
        "report",
        "def report(model, train_images, train_labels, test_images, test_labels):\n"
        "    p = model.predict(mnist_course.normalize(test_images), verbose=0)\n"
        "    loss = -np.log(p[np.arange(len(p)), test_labels])\n"
        "    return {'loss': float(loss.mean()), 'accuracy': float(np.mean(p.argmax(axis=1) == "
        "test_labels))}\n",
        {"test_report_2"},
        says="flatten each image to 784 values",
    ),
]

COMPARE = (
    "def compare_activations(activations, x_train, y_train, x_val, y_val, *, epochs=1, "
    "seed=0):\n"
    "    results = {{}}\n"
    "    for activation in activations:\n"
    "        model = mnist_course.build_mlp(activation=activation, seed={build_seed})\n"
    "        mnist_course.compile_model(model)\n"
    "        mnist_course.train(model, x_train, y_train, epochs=epochs, seed={train_seed}, "
    "verbose=0)\n"
    "        results[activation] = mnist_course.evaluate(model, {data})['accuracy']\n"
    "    return {returned}\n"
)
VERDICT = (
    "def verdict(baseline, changed):\n"
    "    d = np.asarray(changed) - np.asarray(baseline)\n"
    "    mean, error = {mean}, np.std(d, ddof={ddof}) / np.sqrt(len(d))\n"
    "    t = {t}\n"
    "    if mean - t * error > 0:\n        return mean, error, {better}\n"
    "    if mean + t * error < 0:\n        return mean, error, 'worse'\n"
    "    return mean, error, 'no detectable difference'\n"
)
RIGHT_COMPARE = {
    "build_seed": "seed",
    "train_seed": "seed",
    "data": "x_val, y_val",
    "returned": "results",
}
RIGHT_VERDICT = {"mean": "d.mean()", "ddof": 1, "t": "T_CRITICAL[len(d) - 1]", "better": "'better'"}

EX08 = [
    mistake(
        "compare_activations ignores the seed",
        "compare_activations",
        COMPARE.format(**{**RIGHT_COMPARE, "build_seed": 0, "train_seed": 0}),
        {"test_compare_activations"},
    ),
    mistake(
        "compare_activations scores the training data",
        "compare_activations",
        COMPARE.format(**{**RIGHT_COMPARE, "data": "x_train, y_train"}),
        {"test_compare_activations"},
    ),
    mistake(
        "compare_activations returns a list",
        "compare_activations",
        COMPARE.format(**{**RIGHT_COMPARE, "returned": "list(results.values())"}),
        {"test_compare_activations"},
    ),
    mistake(
        "compare_activations seeds only the model",
        "compare_activations",
        COMPARE.format(**{**RIGHT_COMPARE, "train_seed": 0}),
        {"test_compare_activations"},
    ),
    mistake(
        "verdict's difference the other way",
        "verdict",
        VERDICT.format(**{**RIGHT_VERDICT, "mean": "-d.mean()"}),
        {"test_verdict"},
    ),
    mistake(
        "verdict with ddof=0",
        "verdict",
        VERDICT.format(**{**RIGHT_VERDICT, "ddof": 0}),
        {"test_verdict"},
    ),
    mistake(
        "verdict with 1.96",
        "verdict",
        VERDICT.format(**{**RIGHT_VERDICT, "t": 1.96}),
        {"test_verdict"},
    ),
    mistake(
        "verdict capitalised",
        "verdict",
        VERDICT.format(**{**RIGHT_VERDICT, "better": "'Better'"}),
        {"test_verdict"},
    ),
    mistake(
        "verdict without a threshold",
        "verdict",
        VERDICT.format(**{**RIGHT_VERDICT, "t": 0}),
        {"test_verdict"},
    ),
    mistake(
        "compare_activations keeps evaluate's whole dict",
        "compare_activations",
        COMPARE.format(**RIGHT_COMPARE).replace("['accuracy']", ""),
        {"test_compare_activations"},
        says="keep its 'accuracy'",
    ),
    mistake(
        "verdict subtracts the lists",
        "verdict",
        VERDICT.format(**RIGHT_VERDICT).replace(
            "np.asarray(changed) - np.asarray(baseline)", "changed - baseline"
        ),
        {"test_verdict"},
        says="does not subtract two lists",
    ),
    mistake(
        "verdict divides by sqrt(n - 1)",
        "verdict",
        VERDICT.format(**RIGHT_VERDICT).replace("np.sqrt(len(d))", "np.sqrt(len(d) - 1)"),
        {"test_verdict"},
        says="divides by sqrt(n - 1)",
    ),
    mistake(
        "verdict never says worse",
        "verdict",
        VERDICT.format(**RIGHT_VERDICT).replace("'worse'", "'no detectable difference'"),
        {"test_verdict"},
        says="gave the wrong verdict",
    ),
]

SOFTMAX = "def softmax(logits):\n    z = {z}\n    e = np.exp(z)\n    return e / {total}\n"
LOOP = (
    "def train_softmax_regression(x, y, *, epochs=3, batch_size=100, learning_rate=0.1, "
    "seed=0):\n"
    "    rng = np.random.default_rng({seed})\n"
    "    W, b = np.zeros((x.shape[1], y.shape[1])), np.zeros(y.shape[1])\n"
    "    losses = []\n"
    "    for _ in range(epochs):\n"
    "        order = {order}\n"
    "        for start in range(0, len(x), batch_size):\n"
    "            batch = order[start : start + batch_size]\n"
    "            {record}losses.append(cross_entropy(softmax(x[batch] @ W + b), y[batch]))\n"
    "            dW, db = gradients(W, b, x[batch], y[batch])\n"
    "            W -= learning_rate * dW\n"
    "            b -= learning_rate * db\n"
    "    return W, b, losses\n"
)
RIGHT_LOOP = {"seed": "seed", "order": "rng.permutation(len(x))", "record": ""}
ROW_MAX = "logits - logits.max(axis=1, keepdims=True)"
ROW_SUM = "e.sum(axis=1, keepdims=True)"
GRADIENTS = "def gradients(W, b, x, y):\n    d = {d}\n    return {returned}\n"
RIGHT_GRADIENTS = {"d": "(softmax(x @ W + b) - y) / len(x)", "returned": "x.T @ d, d.sum(axis=0)"}
LOOP_CHECKS = {"test_training_loop", "test_accuracy"}

EX03 = [
    mistake(
        "softmax without keepdims",
        "softmax",
        SOFTMAX.format(z="logits - logits.max(axis=1, keepdims=True)", total="e.sum(axis=1)"),
        {"test_softmax", "test_gradients", *LOOP_CHECKS},
        says="keepdims",
    ),
    mistake(
        "softmax with one max for the whole array",
        "softmax",
        SOFTMAX.format(z="logits - logits.max()", total=ROW_SUM),
        {"test_softmax"},
        says="each row's own max",
    ),
    mistake(
        "softmax without the max",
        "softmax",
        SOFTMAX.format(z="logits", total=ROW_SUM),
        {"test_softmax"},
        says="overflow",
    ),
    mistake(
        "cross_entropy per example",
        "cross_entropy",
        "def cross_entropy(probabilities, y):\n"
        "    return -np.log(np.sum(probabilities * y, axis=1))\n",
        {"test_cross_entropy", *LOOP_CHECKS},
        blames="cross_entropy",
        says="one number",
    ),
    mistake(
        "cross_entropy summed",
        "cross_entropy",
        "def cross_entropy(probabilities, y):\n"
        "    return float(-np.sum(np.log(np.sum(probabilities * y, axis=1))))\n",
        {"test_cross_entropy"},
        says="mean",
    ),
    mistake(
        "gradients with W @ x",
        "gradients",
        GRADIENTS.format(**{**RIGHT_GRADIENTS, "d": "(softmax(W @ x + b) - y) / len(x)"}),
        {"test_gradients", *LOOP_CHECKS},
        says="x @ W",
    ),
    mistake(
        "gradients without the bias",
        "gradients",
        GRADIENTS.format(**{**RIGHT_GRADIENTS, "returned": "x.T @ d, np.zeros_like(b)"}),
        {"test_gradients"},
        says="bias",
    ),
    mistake(
        "gradients with the sign flipped",
        "gradients",
        GRADIENTS.format(**{**RIGHT_GRADIENTS, "d": "(y - softmax(x @ W + b)) / len(x)"}),
        {"test_gradients", *LOOP_CHECKS},
        says="the sign is flipped",  # the loop's checks: "fails because of your gradients()"
        alone=True,
    ),
    mistake(
        "one loss per epoch",
        "train_softmax_regression",
        LOOP.format(**{**RIGHT_LOOP, "record": "if start == 0: "}),
        {"test_training_loop"},
        says="one loss per epoch",
    ),
    mistake(
        "the loop does not shuffle",
        "train_softmax_regression",
        LOOP.format(**{**RIGHT_LOOP, "order": "np.arange(len(x))"}),
        {"test_training_loop"},
        says="shuffle",
    ),
    mistake(
        "each loss recorded after its step",
        "train_softmax_regression",
        LOOP.format(**RIGHT_LOOP)
        .replace(
            "            losses.append(cross_entropy(softmax(x[batch] @ W + b), y[batch]))\n", ""
        )
        .replace(
            "            b -= learning_rate * db\n",
            "            b -= learning_rate * db\n"
            "            losses.append(cross_entropy(softmax(x[batch] @ W + b), y[batch]))\n",
        ),
        {"test_training_loop"},
        says=("first at loss 1 (epoch 1, batch 1)", "recorded after its step"),
    ),
    mistake(
        "the same order in every epoch",
        "train_softmax_regression",
        LOOP.format(**RIGHT_LOOP).replace(
            "    for _ in range(epochs):\n",
            "    for _ in range(epochs):\n        rng = np.random.default_rng(seed)\n",
        ),
        {"test_training_loop"},
        says=("first at loss 11 (epoch 2, batch 1)", "the same order of the examples"),
    ),
    mistake(
        "softmax shifts the numerator only",
        "softmax",
        SOFTMAX.format(z=ROW_MAX, total="np.exp(logits).sum(axis=1, keepdims=True)"),
        {"test_softmax", "test_gradients"},
        blames="softmax",
        says=("the numerator only", "Fix softmax first"),
        alone=True,  # gradients and the loop call it
    ),
    mistake(
        "cross_entropy of the highest probability",
        "cross_entropy",
        "def cross_entropy(probabilities, y):\n"
        "    return -np.mean(np.log(probabilities.max(axis=1)))\n",
        {"test_cross_entropy"},
        says="highest probability",
    ),
    mistake(
        "softmax without the exp (its rows still sum to 1)",
        "softmax",
        "def softmax(logits):\n"
        "    z = logits - logits.max(axis=1, keepdims=True)\n"
        "    return z / z.sum(axis=1, keepdims=True)\n",
        {"test_softmax", "test_gradients", "test_training_loop"},
        says=("exp(logits)", "fails because of your softmax()"),
        alone=True,  # gradients and the loop call it
    ),
    mistake(
        "the loop adds the gradient",
        "train_softmax_regression",
        LOOP.format(**RIGHT_LOOP).replace("-= learning_rate", "+= learning_rate"),
        {"test_training_loop"},
        says="steps up the gradient",
    ),
    mistake(
        "the loop permutes the rows of x",
        "train_softmax_regression",
        LOOP.format(**{**RIGHT_LOOP, "order": "rng.permutation(x)"}),
        {"test_training_loop"},
        says="rng.permutation(len(x))",
    ),
]

EX07 = [
    mistake(
        "split_validation pairs x with x",
        "split_validation",
        "def split_validation(x, y, *, validation_size=10000, seed=0):\n"
        "    order = np.random.default_rng(seed).permutation(len(x))\n"
        "    val, train = order[:validation_size], order[validation_size:]\n"
        "    return (x[train], x[val]), (y[train], y[val])\n",
        {"test_split_validation"},
        says="(x_train, y_train), (x_val, y_val)",
    ),
    mistake(
        "split_validation swapped",
        "split_validation",
        "def split_validation(x, y, *, validation_size=10000, seed=0):\n"
        "    order = np.random.default_rng(seed).permutation(len(x))\n"
        "    val, train = order[:validation_size], order[validation_size:]\n"
        "    return (x[val], y[val]), (x[train], y[train])\n",
        {"test_split_validation"},
        says="swapped",
    ),
    mistake(
        "split_validation does not shuffle",
        "split_validation",
        "def split_validation(x, y, *, validation_size=10000, seed=0):\n"
        "    return (x[validation_size:], y[validation_size:]), "
        "(x[:validation_size], y[:validation_size])\n",
        {"test_split_validation"},
        says="shuffle",
    ),
    mistake(
        "best_epoch returns (value, epoch)",
        "best_epoch",
        "def best_epoch(history, monitor='val_loss'):\n    values = list(history[monitor])\n"
        "    value = min(values) if monitor.endswith('loss') else max(values)\n"
        "    return value, values.index(value) + 1\n",
        {"test_best_epoch", "test_choose_epochs"},
        says="(0.51, 3)",
        alone=True,
    ),
    mistake(
        "best_epoch counts from 0",
        "best_epoch",
        "def best_epoch(history, monitor='val_loss'):\n    values = list(history[monitor])\n"
        "    value = min(values) if monitor.endswith('loss') else max(values)\n"
        "    return values.index(value), value\n",
        {"test_best_epoch", "test_choose_epochs"},
        says="add 1",
        alone=True,
    ),
    mistake(
        "best_epoch always takes the lowest",
        "best_epoch",
        "def best_epoch(history, monitor='val_loss'):\n    values = list(history[monitor])\n"
        "    return values.index(min(values)) + 1, min(values)\n",
        {"test_best_epoch", "test_choose_epochs"},
        alone=True,
    ),
    mistake(
        "choose_epochs passes the History",
        "choose_epochs",
        "def choose_epochs(x_train, y_train, x_val, y_val, *, max_epochs=20, seed=0):\n"
        "    model = mnist_course.compile_model(mnist_course.build_mlp(hidden_units=(128, 128), "
        "seed=seed))\n"
        "    history = mnist_course.train(model, x_train, y_train, epochs=max_epochs, seed=seed, "
        "validation_data=(x_val, y_val), verbose=0)\n"
        "    return best_epoch(history, monitor='val_accuracy')\n",
        {"test_choose_epochs"},
        says="history.history",
    ),
    mistake(
        "choose_epochs on validation_split",
        "choose_epochs",
        "def choose_epochs(x_train, y_train, x_val, y_val, *, max_epochs=20, seed=0):\n"
        "    model = mnist_course.compile_model(mnist_course.build_mlp(hidden_units=(128, 128), "
        "seed=seed))\n"
        "    history = mnist_course.train(model, x_train, y_train, epochs=max_epochs, seed=seed, "
        "validation_split=0.2, verbose=0)\n"
        "    return best_epoch(history.history, monitor='val_accuracy')\n",
        {"test_choose_epochs"},
        says="validation_split",
    ),
    mistake(
        "choose_epochs on the training accuracy",
        "choose_epochs",
        "def choose_epochs(x_train, y_train, x_val, y_val, *, max_epochs=20, seed=0):\n"
        "    model = mnist_course.compile_model(mnist_course.build_mlp(hidden_units=(128, 128), "
        "seed=seed))\n"
        "    history = mnist_course.train(model, x_train, y_train, epochs=max_epochs, seed=seed, "
        "validation_data=(x_val, y_val), verbose=0)\n"
        "    return best_epoch(history.history, monitor='accuracy')\n",
        {"test_choose_epochs"},
        says="training accuracy",
    ),
    mistake(
        "choose_epochs keeps best_epoch's default monitor",
        "choose_epochs",
        "def choose_epochs(x_train, y_train, x_val, y_val, *, max_epochs=20, seed=0):\n"
        "    model = mnist_course.compile_model(mnist_course.build_mlp(hidden_units=(128, 128), "
        "seed=seed))\n"
        "    history = mnist_course.train(model, x_train, y_train, epochs=max_epochs, seed=seed, "
        "validation_data=(x_val, y_val), verbose=0)\n"
        "    return best_epoch(history.history)\n",
        {"test_choose_epochs"},
        says="is the validation loss of epoch",
    ),
    mistake(
        "split_validation draws with replacement",
        "split_validation",
        "def split_validation(x, y, *, validation_size=10000, seed=0):\n"
        "    held = np.random.default_rng(seed).choice(len(x), validation_size)\n"
        "    kept = np.setdiff1d(np.arange(len(x)), held)\n"
        "    return (x[kept], y[kept]), (x[held], y[held])\n",
        {"test_split_validation"},
        says="rows twice in the validation set",
    ),
]

TABLES = {
    "ex01_data": EX01,
    "ex02_model": EX02,
    "ex03_gradient_descent": EX03,
    "ex04_backpropagation": EX04,
    "ex05_training": EX05,
    "ex06_testing": EX06,
    "ex07_overfitting": EX07,
    "ex08_experiments": EX08,
}


@dataclass
class Round:
    """Mistakes checked in one run of one notebook: one per answer cell, failing checks apart."""

    mistakes: list = field(default_factory=list)

    def takes(self, new):
        if new.alone or any(m.alone for m in self.mistakes):
            return not self.mistakes
        return all(
            m.answer != new.answer
            and not m.fails & (new.fails | new.passes)
            and not m.passes & new.fails
            for m in self.mistakes
        )


def rounds(table):
    """The table's mistakes grouped into as few runs as they can share."""
    grouped = []
    for new in table:
        target = next((r for r in grouped if r.takes(new)), None)
        if target is None:
            target = Round()
            grouped.append(target)
        target.mistakes.append(new)
    return grouped


def test_every_exercise_has_a_table_of_at_least_eight_mistakes():
    from helpers import ASSIGNMENTS

    # exercise 9's mistakes, sixteen of them, run through the same path in its own tests
    # (tests/checks/test_ex09_convolution.py)
    assert sorted(TABLES) == [name for name in ASSIGNMENTS if name != "ex09_convolution"]
    for table in TABLES.values():
        assert len(table) >= 8
        assert sum(1 for m in table if m.fails) >= 8


RUNS = [
    pytest.param(exercise, index, id=f"{exercise}-{index}")
    for exercise, table in TABLES.items()
    for index in range(len(rounds(table)))
]


@pytest.mark.notebooks
@pytest.mark.parametrize(("exercise", "index"), RUNS)
def test_each_mistake_fails_where_it_is_made_with_a_message_that_names_it(
    tmp_path, exercise, index
):
    batch = rounds(TABLES[exercise])[index]
    path = solution_notebook(exercise)
    nb = nbformat.read(str(path), as_version=4)
    for m in batch.mistakes:
        cell = notebook.find_cell(nb, m.answer)
        cell.source = m.source(cell.source) if callable(m.source) else m.source
    copy = tmp_path / path.name
    nbformat.write(nb, str(copy))
    # only the checks the mistakes must fail run (the others, training included, are the
    # exercise's own tests' business): the table stays a few minutes of CI. The time limit of
    # each call is for a student's loop that never ends; here, a machine busy with other work
    # must not turn a slow check into a timeout
    expected = set().union(*(m.fails for m in batch.mistakes))
    passing = set().union(*(m.passes for m in batch.mistakes))
    results = selfcheck.check_notebook(copy, timeout=600, grade_ids=expected | passing)
    assert passing <= set(results), (passing, set(results))
    failed = {grade_id for grade_id, result in results.items() if not result.passed}
    shown = {g: results[g].message for g in failed}
    assert failed == expected, ([m.name for m in batch.mistakes], shown)
    for m in batch.mistakes:
        for grade_id in m.fails:
            message = results[grade_id].message
            assert results[grade_id].outcome == "failed", (m.name, grade_id, message)
            assert m.blames in message, (m.name, grade_id, message)
            assert HINT.strip() not in message, (m.name, grade_id, message)
            assert "Traceback" not in message
        for text in m.says:
            assert any(text in results[g].message for g in m.fails), (m.name, text, shown)
