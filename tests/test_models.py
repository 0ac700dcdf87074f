"""Model builders: the architecture contract that lessons and grading rely on."""

import keras
import numpy as np
import pytest

from mnist_course.models import build_cnn, build_mlp

BUILDERS = {"mlp": (build_mlp, (784,)), "cnn": (build_cnn, (28, 28, 1))}


@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_every_builder_returns_an_uncompiled_softmax_model_over_10_classes(name):
    builder, input_shape = BUILDERS[name]
    model = builder(seed=0)
    assert isinstance(model, keras.Model)
    assert model.output_shape == (None, 10)
    assert model.layers[-1].activation is keras.activations.softmax
    assert not model.compiled
    probabilities = model.predict(np.zeros((2, *input_shape)), verbose=0)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-5)


@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_every_builder_is_reproducible_with_a_seed(name):
    builder, _ = BUILDERS[name]
    first, second = builder(seed=3).get_weights(), builder(seed=3).get_weights()
    assert all(np.array_equal(a, b) for a, b in zip(first, second, strict=True))


def test_course_mlp_is_dense_64_relu_64_relu_10_softmax_with_55050_parameters():
    model = build_mlp()
    dense = [layer for layer in model.layers if isinstance(layer, keras.layers.Dense)]
    assert [layer.units for layer in dense] == [64, 64, 10]
    assert [layer.activation.__name__ for layer in dense] == ["relu", "relu", "softmax"]
    assert model.input_shape == (None, 784)
    assert model.count_params() == 55050


def test_mlp_depth_and_activation_are_parameters():
    model = build_mlp(hidden_units=(64, 64, 64, 64), activation="sigmoid")
    dense = [layer for layer in model.layers if isinstance(layer, keras.layers.Dense)]
    assert len(dense) == 5
    assert {layer.activation.__name__ for layer in dense[:-1]} == {"sigmoid"}


@pytest.mark.parametrize("units", [(), (64, 0), (64.5,)])
def test_mlp_rejects_bad_hidden_units(units):
    with pytest.raises(ValueError, match="hidden_units"):
        build_mlp(hidden_units=units)


def test_mlp_rejects_unknown_activation():
    with pytest.raises(ValueError, match="reluu"):
        build_mlp(activation="reluu")


def test_cnn_has_the_documented_parameter_count():
    assert build_cnn().count_params() == 225034


def test_mlp_dropout_adds_a_dropout_layer_after_each_hidden_layer_and_no_parameters():
    model = build_mlp(hidden_units=(32, 16), dropout=0.5)
    kinds = [type(layer).__name__ for layer in model.layers]
    assert kinds == ["Dense", "Dropout", "Dense", "Dropout", "Dense"]
    assert model.count_params() == build_mlp(hidden_units=(32, 16)).count_params()


def test_mlp_l2_puts_a_penalty_on_every_dense_kernel():
    model = build_mlp(hidden_units=(32,), l2=1e-3, seed=0)
    assert all(layer.kernel_regularizer is not None for layer in model.layers)
    model(np.ones((1, 784)))
    kernels = [layer.kernel.numpy() for layer in model.layers]
    expected = 1e-3 * sum((k**2).sum() for k in kernels)
    np.testing.assert_allclose(sum(float(loss) for loss in model.losses), expected, rtol=1e-5)


@pytest.mark.parametrize("value", [-0.1, 1.0, 1.5])
@pytest.mark.parametrize("option", ["dropout", "l2"])
def test_mlp_rejects_a_dropout_rate_or_penalty_outside_0_to_1(option, value):
    with pytest.raises(ValueError, match=f"{option} is"):
        build_mlp(**{option: value})
