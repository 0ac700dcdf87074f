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


SMALL_PAGES = {"NUMPY_MADVISE_HUGEPAGE": "0"}
"""numpy without huge pages, in the processes that grading and the self-check start. numpy
asks Linux for transparent huge pages for every large array (``madvise``), and where the
kernel then compacts memory to find them (its ``defrag`` setting ``madvise``, Debian's and
Ubuntu's default), each new array of the training set can wait seconds in the kernel: on the
course's machine, ``nbgrader autograde`` of exercise 3 took 20.2 and 15.3 s with them (6.5
and 3.9 s of it in the kernel), 8.5 and 8.0 s without (1.0 s). Only memory's layout changes,
never a number. A process that imported numpy already is switched by
:func:`use_small_pages`."""


def use_small_pages():
    """Stop numpy asking for huge pages in this process, as :data:`SMALL_PAGES` does in a
    process that has not imported numpy yet (numpy reads the variable as it is imported).

    Examples
    --------
    >>> use_small_pages()
    >>> from numpy._core.multiarray import _set_madvise_hugepage
    >>> _set_madvise_hugepage(False)  # returns the setting it replaces
    False
    """
    from numpy._core.multiarray import _set_madvise_hugepage

    _set_madvise_hugepage(False)


def silence_tensorflow():
    """Keep TensorFlow quiet: its C++ lines (unless a variable is already set) and its
    Python warnings such as "retracing", which students cannot act on."""
    for name, value in QUIET_ENVIRONMENT.items():
        os.environ.setdefault(name, value)
    logging.getLogger("tensorflow").setLevel(logging.ERROR)
