"""Compiling, training, evaluating and predicting the way the course does."""

import keras
import numpy as np
import pytest

from mnist_course.models import build_mlp
from mnist_course.training import (
    compile_model,
    confusion_matrix,
    evaluate,
    predict_labels,
    run_course,
    train,
)


@pytest.fixture
def toy_data():
    """Two separable blobs in 784 dimensions, labelled 0 and 1, one-hot over 10 classes."""
    rng = np.random.default_rng(0)
    labels = np.arange(200) % 2
    x = rng.normal(0, 0.05, size=(200, 784)).astype("float32") + (labels[:, None] - 0.5) * 0.2
    return x, np.eye(10, dtype="float32")[labels], labels


def test_compile_uses_adam_categorical_cross_entropy_and_accuracy():
    model = compile_model(build_mlp())
    assert isinstance(model.optimizer, keras.optimizers.Adam)
    assert model.loss == "categorical_crossentropy"
    assert float(model.optimizer.learning_rate.numpy()) == pytest.approx(0.001)
    assert "accuracy" in [m for m in model._compile_config.config["metrics"]]


def test_compile_rejects_something_that_is_not_a_model():
    with pytest.raises(TypeError, match="expected a keras.Model"):
        compile_model("adam")


def test_train_refuses_an_uncompiled_model(toy_data):
    x, y, _ = toy_data
    with pytest.raises(ValueError, match="call compile_model"):
        train(build_mlp(), x, y)


def test_training_lowers_the_loss_and_learns_the_toy_task(toy_data):
    x, y, labels = toy_data
    model = compile_model(build_mlp(seed=0))
    history = train(model, x, y, epochs=5, batch_size=20, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert (predict_labels(model, x) == labels).mean() > 0.95
    assert evaluate(model, x, y)["accuracy"] > 0.95


def test_the_same_seed_gives_the_same_weights_after_training(toy_data):
    x, y, _ = toy_data
    results = []
    for _ in range(2):
        model = compile_model(build_mlp(seed=7))
        train(model, x, y, epochs=2, seed=7, verbose=0)
        results.append(model.get_weights())
    assert all(np.array_equal(a, b) for a, b in zip(*results, strict=True))


def test_train_with_validation_split_records_validation_curves(toy_data):
    x, y, _ = toy_data
    history = train(
        compile_model(build_mlp(seed=0)), x, y, epochs=2, validation_split=0.2, verbose=0
    )
    assert set(history.history) >= {"loss", "accuracy", "val_loss", "val_accuracy"}


def test_train_rejects_mismatched_data(toy_data):
    x, y, _ = toy_data
    with pytest.raises(ValueError, match="200 rows but y_train 199"):
        train(compile_model(build_mlp()), x, y[:-1])


def test_confusion_matrix_counts_true_rows_and_predicted_columns():
    matrix = confusion_matrix([0, 0, 1, 2, 2, 2], [0, 1, 1, 2, 2, 0], num_classes=3)
    assert matrix.tolist() == [[1, 1, 0], [0, 1, 0], [1, 0, 2]]
    assert matrix.sum() == 6


def test_confusion_matrix_accepts_one_hot_labels():
    one_hot = np.eye(3)[[0, 2]]
    assert confusion_matrix(one_hot, [0, 1], num_classes=3).tolist() == [
        [1, 0, 0],
        [0, 0, 0],
        [0, 1, 0],
    ]


@pytest.mark.training
@pytest.mark.full_data
def test_course_pipeline_on_full_mnist_reaches_95_percent_and_is_reproducible():
    _, _, first = run_course(epochs=5, seed=0, verbose=0)
    assert first["test_accuracy"] >= 0.95
    _, _, second = run_course(epochs=1, seed=0, verbose=0)
    _, _, again = run_course(epochs=1, seed=0, verbose=0)
    assert second["test_accuracy"] == again["test_accuracy"]
    assert second["test_loss"] == again["test_loss"]
