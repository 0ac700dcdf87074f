"""Silence TensorFlow's C++ and absl start-up lines before TensorFlow is imported.

nbgrader scores any test cell that writes to stderr as failed, so this noise would cost a
student points for a correct answer. Set a variable yourself to keep your own value.
"""

import logging
import os

QUIET_ENVIRONMENT = {
    "TF_CPP_MIN_LOG_LEVEL": "3",
    "TF_ENABLE_ONEDNN_OPTS": "0",
    "GRPC_VERBOSITY": "ERROR",
    "GLOG_minloglevel": "3",
    "ABSL_MIN_LOG_LEVEL": "3",
}


def silence_tensorflow():
    """Keep TensorFlow quiet: its C++ lines (unless a variable is already set) and its
    Python warnings such as "retracing", which students cannot act on."""
    for name, value in QUIET_ENVIRONMENT.items():
        os.environ.setdefault(name, value)
    logging.getLogger("tensorflow").setLevel(logging.ERROR)
