"""``python -m mnist_course``: the same as the ``mnist-course`` command."""

import sys

from .cli import main

sys.exit(main())
