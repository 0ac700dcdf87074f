"""The environment TensorFlow starts in: silent on stderr, and one thread where asked.

nbgrader scores any test cell that writes to stderr as failed, so TensorFlow's C++ and absl
start-up lines would cost a student points for a correct answer: they are silenced before
TensorFlow is imported. Set a variable yourself to keep your own value.
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

ONE_THREAD = {
    "TF_NUM_INTRAOP_THREADS": "1",
    "TF_NUM_INTEROP_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "OMP_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
}
"""One thread per process, TensorFlow's and numpy's (OpenBLAS, or an OpenMP or MKL build), for
grading (nbgrader's process and the student's) and the self-check's processes: several of them
share the cores without crowding each other, and a result does not depend on how many cores
the machine has. OpenBLAS's threads wait for each other on every product: with another
process busy on the second of two cores, exercise 3's grading took 40.2 s with two of them
and 5.8 s with one (4.9 s alone)."""


def silence_tensorflow():
    """Keep TensorFlow quiet: its C++ lines (unless a variable is already set) and its
    Python warnings such as "retracing", which students cannot act on."""
    for name, value in QUIET_ENVIRONMENT.items():
        os.environ.setdefault(name, value)
    logging.getLogger("tensorflow").setLevel(logging.ERROR)
