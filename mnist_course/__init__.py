"""The MNIST with Keras course: data, preprocessing, models, training, plots and checks.

Keras and TensorFlow are imported only when a model-related name is first used, so that
``import mnist_course`` and the data commands stay fast.
"""

from ._quiet import silence_tensorflow

silence_tensorflow()

from ._errors import CourseError  # noqa: E402
from .data import MnistDataError, export_csv, load_mnist, read_csv, read_idx, read_npz  # noqa: E402
from .own_digits import load_own_digits, to_mnist_format  # noqa: E402
from .preprocessing import (  # noqa: E402
    flatten,
    normalize,
    one_hot,
    preprocess,
    split_labels,
    wrong_labels,
)

__version__ = "0.1.0"

_LAZY = {
    "build_mlp": "models",
    "build_cnn": "models",
    "compile_model": "training",
    "train": "training",
    "evaluate": "training",
    "predict_labels": "training",
    "confusion_matrix": "training",
    "run_course": "training",
    "fit_and_evaluate": "training",
    "load_course_data": "training",
    "checks": None,
    "plot_digits": "plots",
    "plot_history": "plots",
    "plot_confusion_matrix": "plots",
    "plot_misclassified": "plots",
    "plot_descent": "plots",
    "plot_weight_images": "plots",
    "plot_network": "plots",
}

__all__ = [
    "CourseError",
    "MnistDataError",
    "export_csv",
    "flatten",
    "load_mnist",
    "load_own_digits",
    "normalize",
    "one_hot",
    "preprocess",
    "read_csv",
    "read_idx",
    "read_npz",
    "split_labels",
    "to_mnist_format",
    "wrong_labels",
    *_LAZY,
]


def __getattr__(name):
    if name in _LAZY:
        import importlib

        if _LAZY[name] is None:  # a subpackage: mnist_course.checks
            return importlib.import_module(f".{name}", __name__)
        module = importlib.import_module(f".{_LAZY[name]}", __name__)
        return getattr(module, name)
    raise AttributeError(f"module 'mnist_course' has no attribute {name!r}")
