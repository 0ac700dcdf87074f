"""TensorFlow stays silent on stderr once mnist_course is imported (nbgrader scores stderr as 0)."""

import os
import subprocess
import sys

TRAIN_A_LITTLE = """
import mnist_course
import numpy as np
model = mnist_course.compile_model(mnist_course.build_mlp(seed=0))
x, y = np.zeros((64, 784), "float32"), np.eye(10, dtype="float32")[np.arange(64) % 10]
mnist_course.train(model, x, y, epochs=1, verbose=0)
print("trained")
"""


def _clean_environment():
    env = dict(os.environ)
    for name in ("TF_CPP_MIN_LOG_LEVEL", "TF_ENABLE_ONEDNN_OPTS", "GRPC_VERBOSITY"):
        env.pop(name, None)
    return env


def test_importing_the_package_first_keeps_tensorflow_off_stderr():
    result = subprocess.run(
        [sys.executable, "-c", TRAIN_A_LITTLE],
        capture_output=True,
        text=True,
        env=_clean_environment(),
    )
    assert result.stdout.strip() == "trained", result.stderr
    assert result.stderr == ""


def test_without_the_package_tensorflow_does_write_to_stderr():
    """The counterpart: shows that the test above would notice the noise."""
    result = subprocess.run(
        [sys.executable, "-c", "import keras; keras.ops.ones(1)"],
        capture_output=True,
        text=True,
        env=_clean_environment(),
    )
    assert result.returncode == 0
    assert result.stderr != ""


def test_a_value_the_user_set_is_kept():
    code = "import os, mnist_course; print(os.environ['TF_CPP_MIN_LOG_LEVEL'])"
    env = {**_clean_environment(), "TF_CPP_MIN_LOG_LEVEL": "1"}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert result.stdout.strip() == "1"
