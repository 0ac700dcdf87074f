"""The course's models: the dense network (MLP) and a small convolutional network (CNN)."""

from __future__ import annotations

import keras

from .data import NUM_CLASSES, NUM_PIXELS


def build_mlp(
    *,
    hidden_units=(64, 64),
    activation="relu",
    input_shape=(NUM_PIXELS,),
    num_classes=NUM_CLASSES,
    dropout=0.0,
    l2=0.0,
    seed=None,
):
    """Build the course's dense network: Dense layers, then a softmax over the classes.

    Parameters
    ----------
    hidden_units : sequence of int, default (64, 64)
        Units of each hidden Dense layer; its length is the depth.
    activation : str, default "relu"
        Activation of the hidden layers, for example "relu" or "sigmoid".
    input_shape : tuple, default (784,)
    num_classes : int, default 10
    dropout : float, default 0.0
        If above 0, a ``Dropout`` layer with this rate follows each hidden layer: while
        training, it sets that fraction of the layer's outputs to zero, a new random choice
        for every batch (lesson 7).
    l2 : float, default 0.0
        If above 0, each Dense layer's kernel (not its bias) gets an L2 penalty:
        ``l2 * sum(w ** 2)`` is added to the loss, which pulls those weights towards zero.
        Under plain gradient descent that is weight decay; under Adam it is not, since Adam
        rescales the penalty's gradient per weight (``keras.optimizers.AdamW`` decays the
        weights directly; lesson 7).
    seed : int, optional
        Seeds Keras (``keras.utils.set_random_seed``) before the weights are drawn.

    Returns
    -------
    keras.Sequential
        An uncompiled model; with the defaults it has 55,050 parameters (dropout adds none).

    Examples
    --------
    >>> model = build_mlp()
    >>> model.output_shape, model.count_params()
    ((None, 10), 55050)
    >>> [type(layer).__name__ for layer in build_mlp(hidden_units=(32,), dropout=0.5).layers]
    ['Dense', 'Dropout', 'Dense']
    """
    hidden_units = tuple(hidden_units)
    if not hidden_units or any(int(u) != u or u < 1 for u in hidden_units):
        raise ValueError(
            f"hidden_units is {hidden_units!r}; expected one positive whole number per hidden "
            "layer, for example (64, 64)."
        )
    keras.activations.get(activation)  # raises a clear ValueError for an unknown name
    for name, value in (("dropout", dropout), ("l2", l2)):
        if not 0 <= value < 1:
            raise ValueError(f"{name} is {value!r}; expected a number from 0 up to (not 1).")
    if seed is not None:
        keras.utils.set_random_seed(seed)
    penalty = keras.regularizers.L2(l2) if l2 else None
    layers = [keras.Input(shape=input_shape)]
    for units in hidden_units:
        layers.append(keras.layers.Dense(units, activation=activation, kernel_regularizer=penalty))
        if dropout:
            layers.append(keras.layers.Dropout(dropout))
    layers.append(keras.layers.Dense(num_classes, activation="softmax", kernel_regularizer=penalty))
    return keras.Sequential(layers, name="mlp")


def build_cnn(*, input_shape=(28, 28, 1), num_classes=NUM_CLASSES, seed=None):
    """Build a small convolutional network (after keras-io's ``mnist_convnet``).

    Two Conv2D + MaxPooling blocks, a Dense layer of 128 relu units, dropout, then a softmax.
    The Dense layer, which Keras's example does not have, lets it pass 99% test accuracy in
    3 epochs with a decaying learning rate. It takes images of shape
    (28, 28, 1), so reshape the normalised (N, 784) vectors with ``x.reshape(-1, 28, 28, 1)``.

    Parameters
    ----------
    input_shape : tuple, default (28, 28, 1)
    num_classes : int, default 10
    seed : int, optional
        Seeds Keras before the weights are drawn.

    Returns
    -------
    keras.Sequential
        An uncompiled model with 225,034 parameters.

    Examples
    --------
    >>> model = build_cnn()
    >>> model.output_shape, model.count_params()
    ((None, 10), 225034)
    """
    if seed is not None:
        keras.utils.set_random_seed(seed)
    return keras.Sequential(
        [
            keras.Input(shape=input_shape),
            keras.layers.Conv2D(32, kernel_size=(3, 3), activation="relu"),
            keras.layers.MaxPooling2D(pool_size=(2, 2)),
            keras.layers.Conv2D(64, kernel_size=(3, 3), activation="relu"),
            keras.layers.MaxPooling2D(pool_size=(2, 2)),
            keras.layers.Flatten(),
            keras.layers.Dense(128, activation="relu"),
            keras.layers.Dropout(0.5),
            keras.layers.Dense(num_classes, activation="softmax"),
        ],
        name="cnn",
    )
