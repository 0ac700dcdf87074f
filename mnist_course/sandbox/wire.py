"""What crosses between the grading process and the student's process: data, never code.

A message is a JSON header followed by binary blobs, each sent as a frame: 8 bytes of length
(big-endian), then that many bytes. Values in the header are trees of plain JSON values and
one-key objects that say what they stand for:

===================== ============================================================
``{"l": [...]}``      a list             ``{"t": [...]}``   a tuple
``{"d": [[k, v]]}``   a dict             ``{"a": i}``       a numpy array, blob ``i``
``{"s": i}``          a numpy scalar     ``{"m": i}``       a Keras model, blob ``i``
``{"h": {...}}``      a Keras ``History``: its ``history`` and ``params`` dicts
===================== ============================================================

Arrays are written with ``np.save`` and read with ``np.load(allow_pickle=False)``; a model
is its ``.keras`` file, read after checking its layers come from Keras, with
``keras.saving.load_model(path, safe_mode=True)``. Nothing is ever unpickled: reading a
message cannot run code that the sender chose. The reader refuses a message larger than
its limit before allocating it.
"""

from __future__ import annotations

import io
import json
import os
import sys
import tempfile
import zipfile
from pathlib import Path

import numpy as np

MAX_MESSAGE_BYTES = 512 * 2**20
"""Default limit on one message (header and blobs): a result larger than this is refused."""

MAX_BLOBS = 10_000
"""Limit on the arrays and models in one message."""

MAX_MODEL_FILES = 64
"""Limit on the files inside a model's ``.keras`` archive."""

ACCEPTED = (
    "the checks accept numpy arrays, numbers, strings, lists, dicts, Keras models and "
    "History objects"
)


class UnsupportedValue(ValueError):
    """A value that cannot cross: of a type the protocol refuses, or too large."""


class ProtocolError(ValueError):
    """A message that does not follow the protocol (malformed, too large, unsafe)."""


def _keras_types():
    """Keras's Model and History, if Keras is already imported (encoding never imports it)."""
    model, history = keras_classes()
    if model is None:
        return (), ()
    return (model,), (history,)


def keras_classes():
    """``(keras.Model, keras.callbacks.History)`` if Keras is imported, else ``(None, None)``.

    Never imports Keras, and a Keras still being imported (in another thread) counts as not
    imported: its classes are not there yet.
    """
    keras = sys.modules.get("keras")
    model = getattr(keras, "Model", None)
    history = getattr(getattr(keras, "callbacks", None), "History", None)
    if not (isinstance(model, type) and isinstance(history, type)):
        return None, None
    return model, history


class Encoder:
    """Turn a value into a header tree and blobs, counting bytes against ``limit``."""

    def __init__(self, *, limit=MAX_MESSAGE_BYTES, scratch=None, what="returned"):
        self.blobs = []
        self.size = 0
        self.limit = limit
        self.scratch = scratch
        self.what = what

    def _blob(self, data):
        self.size += len(data)
        if self.size > self.limit:
            raise UnsupportedValue(
                f"{self.what} more than {self.limit / 2**20:g} MB of data: the limit for one "
                "result; return a smaller array"
            )
        if len(self.blobs) >= MAX_BLOBS:
            raise UnsupportedValue(f"{self.what} more than {MAX_BLOBS} arrays and models")
        self.blobs.append(data)
        return len(self.blobs) - 1

    def _array(self, array):
        if array.dtype.hasobject:
            raise UnsupportedValue(
                f"{self.what} an array of Python objects (dtype {array.dtype}): "
                "the checks accept arrays of numbers"
            )
        buffer = io.BytesIO()
        np.save(buffer, array, allow_pickle=False)
        return self._blob(buffer.getvalue())

    def encode(self, value):
        """The header tree of ``value``; its arrays and models are appended to ``blobs``."""
        models, histories = _keras_types()
        if isinstance(value, np.ndarray):
            return {"a": self._array(np.asarray(value))}
        if isinstance(value, np.generic):  # before float: np.float64 is a float
            return {"s": self._array(np.asarray(value))}
        if value is None or isinstance(value, bool | int | float | str):
            return value
        if isinstance(value, list | tuple):
            tag = "t" if isinstance(value, tuple) else "l"
            return {tag: [self.encode(item) for item in value]}
        if isinstance(value, dict):
            return {"d": [[self.encode(k), self.encode(v)] for k, v in value.items()]}
        if models and isinstance(value, models):
            return {"m": self._blob(save_model(value, self.scratch))}
        if histories and isinstance(value, histories):
            params = getattr(value, "params", None) or {}
            return {"h": {"history": self.encode(value.history), "params": self.encode(params)}}
        if type(value).__module__.startswith("tensorflow") and hasattr(value, "numpy"):
            return {"a": self._array(np.asarray(value.numpy()))}  # an eager tf.Tensor
        kind = type(value)
        raise UnsupportedValue(f"{self.what} a {kind.__module__}.{kind.__qualname__}: {ACCEPTED}")


def encode(value, **options):
    """Return ``(tree, blobs)`` for ``value``.

    Examples
    --------
    >>> tree, blobs = encode({"shape": (28, 28), "x": np.zeros(3)})
    >>> tree, len(blobs)
    ({'d': [['shape', {'t': [28, 28]}], ['x', {'a': 0}]]}, 1)
    """
    encoder = Encoder(**options)
    return encoder.encode(value), encoder.blobs


def decode(tree, blobs, *, scratch=None):
    """The value that ``tree`` and ``blobs`` stand for; ProtocolError if they are not valid.

    Examples
    --------
    >>> decode(*encode([1, (2.5, "three"), None]))
    [1, (2.5, 'three'), None]
    """
    try:
        return _decode(tree, blobs, scratch)
    except ProtocolError:
        raise
    except (ValueError, TypeError, KeyError, IndexError, OSError, RecursionError) as error:
        raise ProtocolError(f"{type(error).__name__}: {error}") from None


def _decode(tree, blobs, scratch):
    if tree is None or isinstance(tree, bool | int | float | str):
        return tree
    if isinstance(tree, list) or not isinstance(tree, dict) or len(tree) != 1:
        raise ProtocolError(f"not a value: {str(tree)[:80]}")
    ((tag, body),) = tree.items()
    if tag in ("l", "t"):
        items = [_decode(item, blobs, scratch) for item in _as_list(body)]
        return tuple(items) if tag == "t" else items
    if tag == "d":
        return {_decode(k, blobs, scratch): _decode(v, blobs, scratch) for k, v in _as_list(body)}
    if tag in ("a", "s"):
        array = np.load(io.BytesIO(_blob(blobs, body)), allow_pickle=False)
        return array[()] if tag == "s" else array
    if tag == "m":
        return load_model(_blob(blobs, body), scratch)
    if tag == "h":
        import keras

        history = keras.callbacks.History()
        history.history = _decode(body["history"], blobs, scratch)
        history.params = _decode(body["params"], blobs, scratch)
        if not isinstance(history.history, dict):
            raise ProtocolError("a History whose history is not a dict")
        return history
    raise ProtocolError(f"unknown tag {tag!r}")


def _as_list(body):
    if not isinstance(body, list):
        raise ProtocolError("a list was expected")
    return body


def _blob(blobs, index):
    if not isinstance(index, int) or isinstance(index, bool) or not 0 <= index < len(blobs):
        raise ProtocolError(f"no blob {index!r}")
    return blobs[index]


def save_model(model, scratch=None):
    """The bytes of ``model`` saved as a ``.keras`` file (written in ``scratch``, then read)."""
    with tempfile.TemporaryDirectory(dir=scratch) as folder:
        path = Path(folder) / "model.keras"
        model.save(path)
        return path.read_bytes()


def _check_keras_archive(path, limit):
    """Refuse an archive that unpacks to more than ``limit`` or names code outside Keras."""
    with zipfile.ZipFile(path) as archive:
        members = archive.infolist()
        if len(members) > MAX_MODEL_FILES or sum(m.file_size for m in members) > limit:
            raise ProtocolError("a model file that unpacks to too many or too large files")
        config = json.loads(archive.read("config.json"))
    for module in _modules(config):
        if module != "keras" and not module.startswith("keras."):
            raise ProtocolError(
                f"a model that uses code from {module!r}: the checks load only Keras's own "
                "layers, losses and optimizers"
            )


def _modules(config):
    stack = [config]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            if "module" in item:
                yield str(item["module"])
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


def load_model(data, scratch=None, *, limit=MAX_MESSAGE_BYTES):
    """A Keras model from the bytes of its ``.keras`` file, loaded with ``safe_mode=True``."""
    import keras

    folder = tempfile.mkdtemp(dir=scratch)
    path = Path(folder) / "model.keras"
    try:
        path.write_bytes(data)
        try:
            _check_keras_archive(path, limit)
        except (zipfile.BadZipFile, KeyError, json.JSONDecodeError) as error:
            raise ProtocolError(f"not a Keras model file ({error})") from None
        return keras.saving.load_model(path, safe_mode=True)
    finally:
        path.unlink(missing_ok=True)
        os.rmdir(folder)


def frames(tree, blobs, **header):
    """The frames of one message, ready to write: the JSON header, then each blob."""
    head = json.dumps({**header, "value": tree, "blobs": len(blobs)}).encode()
    for payload in (head, *blobs):
        yield len(payload).to_bytes(8, "big")
        yield payload


def read_message(read_exact, *, limit=MAX_MESSAGE_BYTES):
    """Read one message with ``read_exact(n) -> bytes``; return ``(header, blobs)``.

    The header is a dict whose ``"value"`` is a tree for :func:`decode`.
    """
    budget = limit

    def frame():
        nonlocal budget
        size = int.from_bytes(read_exact(8), "big")
        if size > budget:
            raise ProtocolError(
                f"a message of more than {limit / 2**20:g} MB: the limit for one result"
            )
        budget -= size
        return read_exact(size)

    try:
        header = json.loads(frame())
    except (ValueError, RecursionError) as error:
        raise ProtocolError(f"a header that is not JSON ({error})") from None
    count = header.get("blobs") if isinstance(header, dict) else None
    if not isinstance(count, int) or not 0 <= count <= MAX_BLOBS:
        raise ProtocolError("a header without a valid blob count")
    return header, [frame() for _ in range(count)]
