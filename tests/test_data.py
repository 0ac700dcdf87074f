"""Loading MNIST: the bundled copy, CSV, IDX and npz files, and every bad input."""

import gzip
import hashlib
import socket

import numpy as np
import pytest

from mnist_course import data
from mnist_course.data import MnistDataError, export_csv, load_mnist, read_csv, read_idx


@pytest.fixture(scope="module")
def bundled():
    return load_mnist()


@pytest.mark.full_data
def test_bundled_mnist_has_keras_shapes_and_dtypes(bundled):
    (x_train, y_train), (x_test, y_test) = bundled
    assert [a.shape for a in (x_train, y_train, x_test, y_test)] == [
        (60000, 28, 28),
        (60000,),
        (10000, 28, 28),
        (10000,),
    ]
    assert all(a.dtype == np.uint8 for a in (x_train, y_train, x_test, y_test))
    assert x_train.max() == 255 and x_train.min() == 0


@pytest.mark.full_data
def test_bundled_label_counts_match_the_published_counts(bundled):
    (_, y_train), (_, y_test) = bundled
    train = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
    test = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
    assert np.bincount(y_train).tolist() == train
    assert np.bincount(y_test).tolist() == test


@pytest.mark.full_data
def test_bundled_files_match_the_declared_checksums():
    for spec in data.IDX_FILES.values():
        raw = gzip.decompress((data.bundled_dir() / f"{spec.name}.gz").read_bytes())
        assert hashlib.sha256(raw).hexdigest() == spec.sha256
        assert len(raw) == spec.size


def read_sums(name):
    lines = (data.bundled_dir() / name).read_text().splitlines()
    return {file: digest for digest, file in (line.split() for line in lines if line.strip())}


def test_sha256sums_raw_lists_the_checksums_that_the_loader_verifies():
    """The human-readable SHA256SUMS.raw and the loader's IDX_FILES cannot drift apart."""
    declared = {spec.name: spec.sha256 for spec in data.IDX_FILES.values()}
    assert read_sums("SHA256SUMS.raw") == declared


def test_sha256sums_lists_the_bundled_gzip_files_as_they_are():
    sums = read_sums("SHA256SUMS")
    assert sorted(sums) == sorted(f"{spec.name}.gz" for spec in data.IDX_FILES.values())
    for name, digest in sums.items():
        assert hashlib.sha256((data.bundled_dir() / name).read_bytes()).hexdigest() == digest


@pytest.mark.full_data
def test_loading_never_touches_the_network(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("load_mnist tried to open a network connection")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.delenv(data.DATA_ENV, raising=False)
    (x_train, _), _ = load_mnist()
    assert len(x_train) == 60000


def test_idx_folder_loads_raw_or_gzipped(idx_folder, small_mnist, write_idx):
    (x_train, y_train), (x_test, y_test) = load_mnist(idx_folder)
    np.testing.assert_array_equal(x_train, small_mnist[0][0])
    np.testing.assert_array_equal(y_test, small_mnist[1][1])
    raw = write_idx(idx_folder / "raw-labels", small_mnist[0][1])
    np.testing.assert_array_equal(read_idx(raw), small_mnist[0][1])


def test_environment_variable_overrides_the_bundled_copy(idx_folder, monkeypatch):
    monkeypatch.setenv(data.DATA_ENV, str(idx_folder))
    (x_train, _), _ = load_mnist()
    assert x_train.shape == (12, 28, 28)


def test_csv_folder_round_trips_through_export(tmp_path, small_mnist):
    (x_train, y_train), (x_test, y_test) = small_mnist
    export_csv(tmp_path, x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test)
    first_line = (tmp_path / "mnist_train.csv").read_text().splitlines()[0].split(",")
    assert len(first_line) == 785 and first_line[0] == "0"
    (xa, ya), (xb, yb) = load_mnist(tmp_path)
    np.testing.assert_array_equal(xa, x_train)
    np.testing.assert_array_equal(yb, y_test)


def test_export_never_overwrites_existing_csv(tmp_path, small_mnist):
    (tmp_path / "mnist_test.csv").write_text("my own work\n")
    (x_train, y_train), (x_test, y_test) = small_mnist
    with pytest.raises(FileExistsError, match="mnist_test.csv"):
        export_csv(tmp_path, x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test)
    assert (tmp_path / "mnist_test.csv").read_text() == "my own work\n"


def test_npz_file_loads_like_keras(tmp_path, small_mnist):
    (x_train, y_train), (x_test, y_test) = small_mnist
    path = tmp_path / "mnist.npz"
    np.savez(path, x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test)
    for source in (path, tmp_path):
        (xa, _), (_, yb) = load_mnist(source)
        np.testing.assert_array_equal(xa, x_train)
        np.testing.assert_array_equal(yb, y_test)


def test_npz_missing_an_array_names_it(tmp_path, small_mnist):
    path = tmp_path / "mnist.npz"
    np.savez(path, x_train=small_mnist[0][0])
    with pytest.raises(MnistDataError, match=r"y_train.*missing"):
        load_mnist(path)


def _csv(tmp_path, lines):
    path = tmp_path / "mnist_train.csv"
    path.write_text("\n".join(lines) + "\n")
    return path


def _line(label=3, pixel=0, columns=784):
    return ",".join([str(label)] + [str(pixel)] * columns)


def test_csv_reads_labels_and_pixels(tmp_path):
    x, y = read_csv(_csv(tmp_path, [_line(3, 7), _line(9, 255)]))
    assert x.shape == (2, 28, 28) and x.dtype == np.uint8
    assert y.tolist() == [3, 9] and x[1].max() == 255


def test_csv_with_windows_line_ends_reads_the_same(tmp_path):
    path = tmp_path / "mnist_train.csv"
    path.write_bytes(f"{_line(1)}\r\n{_line(2)}\r\n".encode())
    _, y = read_csv(path)
    assert y.tolist() == [1, 2]


def test_csv_wrong_column_count_names_the_line(tmp_path):
    path = _csv(tmp_path, [_line(), _line(), _line(columns=700)])
    with pytest.raises(MnistDataError, match=r"mnist_train.csv, line 3: 701 columns; expected 785"):
        read_csv(path)


def test_csv_non_number_names_line_and_column(tmp_path):
    bad = _line().split(",")
    bad[5] = "x"
    path = _csv(tmp_path, [_line(), ",".join(bad)])
    with pytest.raises(MnistDataError, match=r"line 2, column 6: b'x' is not a whole number"):
        read_csv(path)


@pytest.mark.parametrize(
    ("line", "message"),
    [(_line(label=12), "label 12 is out of range"), (_line(pixel=300), "pixel value 300")],
)
def test_csv_values_out_of_range_name_the_line(tmp_path, line, message):
    with pytest.raises(MnistDataError, match=f"line 2: {message}"):
        read_csv(_csv(tmp_path, [_line(), line]))


def test_empty_csv_is_reported(tmp_path):
    with pytest.raises(MnistDataError, match="empty"):
        read_csv(_csv(tmp_path, []))


@pytest.mark.full_data
def test_missing_bundled_file_names_it_and_the_fix(bundled_copy):
    (bundled_copy / "t10k-labels-idx1-ubyte.gz").unlink()
    with pytest.raises(MnistDataError, match=r"t10k-labels-idx1-ubyte: file missing.*[Rr]einstall"):
        load_mnist()


@pytest.mark.full_data
def test_corrupt_bundled_file_fails_the_checksum(bundled_copy):
    path = bundled_copy / "t10k-images-idx3-ubyte.gz"
    raw = bytearray(gzip.decompress(path.read_bytes()))
    raw[5000] ^= 0xFF
    path.write_bytes(gzip.compress(bytes(raw)))
    with pytest.raises(MnistDataError, match=r"SHA256 checksum .* differs from expected"):
        load_mnist()


@pytest.mark.full_data
def test_truncated_gzip_is_reported_not_a_zlib_traceback(bundled_copy):
    path = bundled_copy / "t10k-labels-idx1-ubyte.gz"
    path.write_bytes(path.read_bytes()[:1000])
    with pytest.raises(MnistDataError, match=r"t10k-labels-idx1-ubyte.gz: not a valid gzip file"):
        load_mnist()


def test_truncated_idx_reports_expected_size(tmp_path, write_idx):
    path = write_idx(tmp_path / "labels", np.arange(10))
    path.write_bytes(path.read_bytes()[:-3])
    with pytest.raises(
        MnistDataError, match=r"15 bytes; the header declares shape \(10,\), which needs 18"
    ):
        read_idx(path)


def test_wrong_idx_magic_is_reported(tmp_path):
    path = tmp_path / "not-idx"
    path.write_bytes(b"PK\x03\x04" + bytes(20))
    with pytest.raises(MnistDataError, match="IDX magic number"):
        read_idx(path)


def test_folder_without_mnist_files_lists_what_it_expected(tmp_path):
    with pytest.raises(MnistDataError, match=r"found no MNIST files.*mnist_train.csv"):
        load_mnist(tmp_path)


def test_path_that_does_not_exist_is_reported(tmp_path):
    with pytest.raises(MnistDataError, match="no such folder"):
        load_mnist(tmp_path / "nowhere")


def test_mismatched_images_and_labels_are_reported(idx_folder, write_idx):
    write_idx(idx_folder / "t10k-labels-idx1-ubyte", np.arange(5), compress=True)
    with pytest.raises(MnistDataError, match=r"x_test has shape \(6, 28, 28\) and y_test \(5,\)"):
        load_mnist(idx_folder)
