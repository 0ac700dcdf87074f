"""Load MNIST from the copy bundled with the course, or from CSV, IDX or ``.npz`` files.

Every load checks what it read and raises :class:`MnistDataError` with the file,
what was expected, what was found and the fix.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import zlib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np

from ._errors import CourseError, OutputExists

try:  # ISA-L inflates MNIST about twice as fast as zlib (benchmarks/); same bytes out
    from isal import isal_zlib as _inflate
except ImportError:  # pragma: no cover - isal is a dependency; zlib is the fallback
    _inflate = zlib

DATA_ENV = "MNIST_COURSE_DATA"
"""Environment variable: a folder to load MNIST from instead of the bundled copy."""

NUM_PIXELS = 784
NUM_CLASSES = 10
CSV_FILES = {"train": "mnist_train.csv", "test": "mnist_test.csv"}
NPZ_FILE = "mnist.npz"


class MnistDataError(CourseError, ValueError):
    """A data file is missing, truncated, corrupt or not in the expected format."""


@dataclass(frozen=True)
class IdxFile:
    """One bundled IDX file: its name, decompressed size, SHA-256 and array shape."""

    name: str
    size: int
    sha256: str
    shape: tuple[int, ...]

    @property
    def magic(self) -> int:
        return 0x0800 + len(self.shape)


IDX_FILES = {
    "x_train": IdxFile(
        "train-images-idx3-ubyte",
        47040016,
        "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
        (60000, 28, 28),
    ),
    "y_train": IdxFile(
        "train-labels-idx1-ubyte",
        60008,
        "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
        (60000,),
    ),
    "x_test": IdxFile(
        "t10k-images-idx3-ubyte",
        7840016,
        "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
        (10000, 28, 28),
    ),
    "y_test": IdxFile(
        "t10k-labels-idx1-ubyte",
        10008,
        "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
        (10000,),
    ),
}
"""The bundled files, declared once: ``key -> IdxFile``."""


def bundled_dir() -> Path:
    """Return the folder of the MNIST copy that ships inside the package."""
    return Path(str(resources.files("mnist_course") / "mnist_data"))


def load_mnist(path=None):
    """Load MNIST as ``(x_train, y_train), (x_test, y_test)``, like ``keras.datasets.mnist``.

    Parameters
    ----------
    path : str or Path, optional
        Where to read from: a folder with the four IDX files (raw or ``.gz``), with
        ``mnist_train.csv`` and ``mnist_test.csv`` (raw or ``.gz``), or with ``mnist.npz``;
        or the path of an ``.npz`` file. By default the ``MNIST_COURSE_DATA`` folder if that
        variable is set, else the copy bundled with the package (checked by SHA-256).

    Returns
    -------
    (x_train, y_train), (x_test, y_test) : tuple of uint8 arrays
        Images of shape (N, 28, 28) with grey levels 0..255 and labels of shape (N,).

    Examples
    --------
    >>> (x_train, y_train), (x_test, y_test) = load_mnist()
    >>> x_train.shape, y_train.shape, x_test.shape, y_test.shape
    ((60000, 28, 28), (60000,), (10000, 28, 28), (10000,))
    """
    if path is None and os.environ.get(DATA_ENV):
        path = os.environ[DATA_ENV]
    if path is None:
        arrays = _load_idx_folder(bundled_dir(), verify=True)
    else:
        arrays = _load_path(Path(path))
    return (arrays["x_train"], arrays["y_train"]), (arrays["x_test"], arrays["y_test"])


def _load_path(path: Path) -> dict:
    if path.is_file() and path.suffix == ".npz":
        return read_npz(path)
    if not path.is_dir():
        raise MnistDataError(
            f"{path}: no such folder or .npz file. Pass a folder holding the MNIST files "
            f"(IDX, CSV or {NPZ_FILE}), or unset {DATA_ENV} to use the bundled copy."
        )
    if _find(path, IDX_FILES["x_train"].name):
        return _load_idx_folder(path, verify=False)
    if _find(path, CSV_FILES["train"]):
        return _load_csv_folder(path)
    if (path / NPZ_FILE).is_file():
        return read_npz(path / NPZ_FILE)
    raise MnistDataError(
        f"{path}: found no MNIST files. Expected the four IDX files "
        f"({', '.join(f.name for f in IDX_FILES.values())}, optionally .gz), "
        f"or {CSV_FILES['train']} and {CSV_FILES['test']}, or {NPZ_FILE}."
    )


def _find(folder: Path, name: str) -> Path | None:
    """Return ``folder/name`` or ``folder/name.gz``, whichever exists."""
    for candidate in (folder / name, folder / f"{name}.gz"):
        if candidate.is_file():
            return candidate
    return None


def _require(folder: Path, name: str) -> Path:
    found = _find(folder, name)
    if found is None:
        raise MnistDataError(
            f"{folder / name}: file missing (looked for {name} and {name}.gz). "
            "Put it back, or reinstall the course package to restore the bundled copy."
        )
    return found


def _read_bytes(path: Path) -> bytes:
    """Read a file, decompressing it when its name ends in ``.gz``."""
    try:
        data = path.read_bytes()
        return _inflate.decompress(data, wbits=31) if path.suffix == ".gz" else data
    except FileNotFoundError:
        raise MnistDataError(f"{path}: file missing.") from None
    except (zlib.error, _inflate.error, gzip.BadGzipFile, EOFError) as error:
        raise MnistDataError(
            f"{path}: not a valid gzip file ({error}); the file is truncated or corrupt. "
            "Replace it with a good copy (reinstall the course package for the bundled one)."
        ) from None


def _load_idx_folder(folder: Path, *, verify: bool) -> dict:
    arrays = {}
    for key, spec in IDX_FILES.items():
        path = _require(folder, spec.name)
        arrays[key] = read_idx(path, expected=spec if verify else None)
    _check_pairs(arrays, folder)
    return arrays


def read_idx(path, *, expected: IdxFile | None = None) -> np.ndarray:
    """Read one IDX file (raw or ``.gz``) into a uint8 array, checking its header.

    Parameters
    ----------
    path : str or Path
        The IDX file.
    expected : IdxFile, optional
        When given, the decompressed size and SHA-256 must match it too.

    Returns
    -------
    numpy.ndarray
        A uint8 array with the shape that the header declares.

    Examples
    --------
    >>> read_idx(bundled_dir() / "t10k-labels-idx1-ubyte.gz").shape
    (10000,)
    """
    path = Path(path)
    data = _read_bytes(path)
    if expected is not None:
        _verify_checksum(path, data, expected)
    if len(data) < 4:
        raise MnistDataError(f"{path}: {len(data)} bytes, too short for an IDX header.")
    magic = int.from_bytes(data[:4], "big")
    ndim = magic - 0x0800
    if magic >> 8 != 0x08 or not 1 <= ndim <= 3:
        raise MnistDataError(
            f"{path}: IDX magic number is {magic}; expected 2049 (labels) or 2051 (images). "
            "This is not an unsigned-byte IDX file."
        )
    header = 4 + 4 * ndim
    shape = tuple(int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    expected_size = header + int(np.prod(shape))
    if len(data) != expected_size:
        raise MnistDataError(
            f"{path}: {len(data)} bytes; the header declares shape {shape}, "
            f"which needs {expected_size}. The file is truncated or corrupt: replace it."
        )
    return np.frombuffer(data, dtype=np.uint8, offset=header).reshape(shape)


def _verify_checksum(path: Path, data: bytes, expected: IdxFile) -> None:
    fix = "Reinstall the course package (pip install --force-reinstall .) to restore it."
    if len(data) != expected.size:
        raise MnistDataError(
            f"{path}: {len(data)} bytes after decompression; expected {expected.size}. "
            f"The file is truncated or corrupt. {fix}"
        )
    digest = hashlib.sha256(data).hexdigest()
    if digest != expected.sha256:
        raise MnistDataError(
            f"{path}: the SHA256 checksum of the decompressed data ({digest}) differs from "
            f"expected ({expected.sha256}). The file is corrupt. {fix}"
        )


def _check_pairs(arrays: dict, source) -> None:
    for split in ("train", "test"):
        x, y = arrays[f"x_{split}"], arrays[f"y_{split}"]
        if x.ndim != 3 or x.shape[1:] != (28, 28) or len(x) != len(y) or y.ndim != 1:
            raise MnistDataError(
                f"{source}: x_{split} has shape {x.shape} and y_{split} {y.shape}; expected "
                "(N, 28, 28) images and (N,) labels of the same N. Check the files belong together."
            )
        if y.size and y.max() >= NUM_CLASSES:
            raise MnistDataError(
                f"{source}: y_{split} holds label {int(y.max())}; MNIST labels are 0..9."
            )


def read_npz(path) -> dict:
    """Read a Keras ``mnist.npz`` into a dict of the four arrays.

    Parameters
    ----------
    path : str or Path
        The ``.npz`` file, with arrays ``x_train``, ``y_train``, ``x_test``, ``y_test``.

    Returns
    -------
    dict
        ``{"x_train": ..., "y_train": ..., "x_test": ..., "y_test": ...}`` as uint8.

    Examples
    --------
    >>> import tempfile
    >>> (x_train, y_train), (x_test, y_test) = load_mnist()
    >>> path = Path(tempfile.mkdtemp()) / "mnist.npz"
    >>> np.savez(path, x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test)
    >>> read_npz(path)["x_test"].shape
    (10000, 28, 28)
    """
    path = Path(path)
    try:
        with np.load(path, allow_pickle=False) as npz:
            missing = [key for key in IDX_FILES if key not in npz.files]
            if missing:
                raise MnistDataError(
                    f"{path}: arrays {missing} missing; found {npz.files}. A Keras mnist.npz "
                    "holds x_train, y_train, x_test and y_test."
                )
            arrays = {key: npz[key] for key in IDX_FILES}
    except FileNotFoundError:
        raise MnistDataError(f"{path}: file missing.") from None
    except (OSError, ValueError, zlib.error) as error:
        if isinstance(error, MnistDataError):
            raise
        raise MnistDataError(
            f"{path}: not a readable .npz file ({error}). Replace it with a good copy."
        ) from None
    for key, array in arrays.items():
        arrays[key] = _as_uint8(array, f"{path}: {key}", maximum=255)
    _check_pairs(arrays, path)
    return arrays


def _as_uint8(array: np.ndarray, what: str, *, maximum: int) -> np.ndarray:
    if array.size and (array.min() < 0 or array.max() > maximum):
        raise MnistDataError(
            f"{what} has values from {array.min()} to {array.max()}; expected 0..{maximum}."
        )
    return array.astype(np.uint8, copy=False)


def _load_csv_folder(folder: Path) -> dict:
    arrays = {}
    for split, name in CSV_FILES.items():
        x, y = read_csv(_require(folder, name))
        arrays[f"x_{split}"], arrays[f"y_{split}"] = x, y
    return arrays


def read_csv(path):
    """Read an MNIST CSV file (label, then 784 pixels a line, no header) in one pass.

    Parameters
    ----------
    path : str or Path
        The CSV file, raw or ``.gz``.

    Returns
    -------
    x : numpy.ndarray
        uint8 images of shape (N, 28, 28).
    y : numpy.ndarray
        uint8 labels of shape (N,).

    Examples
    --------
    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> paths = export_csv(folder)
    >>> x_test, y_test = read_csv(folder / "mnist_test.csv")
    >>> x_test.shape, y_test.shape
    ((10000, 28, 28), (10000,))
    """
    path = Path(path)
    text = _read_bytes(path)
    if b"\r" in text:
        text = text.replace(b"\r\n", b"\n")
    text = text.rstrip(b"\n")
    if not text:
        raise MnistDataError(f"{path}: the file is empty; expected one image a line.")
    _check_csv_columns(path, text)
    values = _parse_csv_values(path, text)
    rows = values.reshape(-1, NUM_PIXELS + 1)
    _check_csv_range(path, rows[:, 0], NUM_CLASSES - 1, "label")
    _check_csv_range(path, rows[:, 1:], 255, "pixel value")
    y = rows[:, 0].astype(np.uint8)
    x = rows[:, 1:].astype(np.uint8).reshape(-1, 28, 28)
    return x, y


def _check_csv_columns(path: Path, text: bytes) -> None:
    """Raise for the first line whose number of columns is not 785."""
    buffer = np.frombuffer(text, dtype=np.uint8)
    line_starts = np.concatenate(([0], np.flatnonzero(buffer == ord("\n")) + 1))
    # summed line by line straight from one byte per character (no per-character counters)
    per_line = np.add.reduceat((buffer == ord(",")).view(np.uint8), line_starts)
    bad = np.flatnonzero(per_line != NUM_PIXELS)
    if bad.size:
        line = int(bad[0])
        raise MnistDataError(
            f"{path}, line {line + 1}: {per_line[line] + 1} columns; expected "
            f"{NUM_PIXELS + 1} (the label, then {NUM_PIXELS} pixel values). Fix or remove "
            "that line; the file may be truncated."
        )


def _parse_csv_values(path: Path, text: bytes) -> np.ndarray:
    flat = text.replace(b"\n", b",")
    try:
        return np.fromstring(flat, dtype=np.int32, sep=",")
    except ValueError:
        pass
    for number, line in enumerate(text.split(b"\n"), start=1):
        for column, token in enumerate(line.split(b","), start=1):
            if not token.strip().isdigit():
                raise MnistDataError(
                    f"{path}, line {number}, column {column}: {token[:20]!r} is not a whole "
                    "number; expected integers 0..255 (label 0..9 first). Fix that line."
                )
    raise MnistDataError(f"{path}: could not be parsed as whole numbers separated by commas.")


def _check_csv_range(path: Path, values: np.ndarray, maximum: int, what: str) -> None:
    bad = (values < 0) | (values > maximum)
    if bad.any():
        row = int(np.flatnonzero(bad.reshape(len(values), -1).any(axis=1))[0])
        found = values[row] if values.ndim == 1 else values[row][bad[row]][0]
        raise MnistDataError(
            f"{path}, line {row + 1}: {what} {int(found)} is out of range; expected "
            f"0..{maximum}. Fix that line."
        )


def export_csv(folder, *, x_train=None, y_train=None, x_test=None, y_test=None):
    """Write ``mnist_train.csv`` and ``mnist_test.csv`` (label, then 784 pixels a line).

    Parameters
    ----------
    folder : str or Path
        Where to write; created if missing. Existing CSV files there are not overwritten.
    x_train, y_train, x_test, y_test : numpy.ndarray, optional
        The data to write; by default the bundled MNIST.

    Returns
    -------
    list of Path
        The two files written.

    Examples
    --------
    >>> import tempfile
    >>> [p.name for p in export_csv(tempfile.mkdtemp())]
    ['mnist_train.csv', 'mnist_test.csv']
    """
    folder = Path(folder)
    if x_train is None:
        (x_train, y_train), (x_test, y_test) = load_mnist()
    targets = [folder / CSV_FILES["train"], folder / CSV_FILES["test"]]
    existing = [str(p) for p in targets if p.exists()]
    if existing:
        raise OutputExists(
            f"{', '.join(existing)} already exist; choose an empty folder or delete them first."
        )
    folder.mkdir(parents=True, exist_ok=True)
    for target, x, y in zip(targets, (x_train, x_test), (y_train, y_test), strict=True):
        rows = np.column_stack([np.asarray(y).reshape(-1), np.asarray(x).reshape(len(x), -1)])
        np.savetxt(target, rows, fmt="%d", delimiter=",")
    return targets


def verify_bundled() -> list[str]:
    """Check the bundled copy and return one line per file describing what was found.

    Returns
    -------
    list of str
        One line per file: name, shape, SHA-256 status.

    Examples
    --------
    >>> len(verify_bundled())
    4
    """
    folder = bundled_dir()
    lines = []
    for spec in IDX_FILES.values():
        array = read_idx(_require(folder, spec.name), expected=spec)
        lines.append(f"{spec.name}: shape {array.shape}, SHA-256 of decompressed data OK")
    return lines
