"""Upload checks: size caps, type by content and by name, cleaned names, no markup ever."""

import hashlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from calendarEditor.services import uploads
from calendarEditor.services.uploads import UploadError, check_file, check_files, clean_name

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 40
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 40
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n"
HDF5 = b"\x89HDF\r\n\x1a\n" + b"\x00" * 100
ZIP = b"PK\x03\x04" + b"\x14\x00" + b"\x00" * 40
NPY = b"\x93NUMPY\x01\x00v\x00{'descr': '<f8', 'fortran_order': False, 'shape': (3,), }"
CSV = "t_K,R_ohm\n0.3,12.5\n1.0,12.7\nµ-sample,ok\n".encode()


def upload(name: str, content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/octet-stream")


@pytest.mark.parametrize(
    ("name", "content", "content_type"),
    [
        ("sweep.pdf", PDF, "application/pdf"),
        ("sample.png", PNG, "image/png"),
        ("sample.JPG", JPEG, "image/jpeg"),
        ("sample.jpeg", JPEG, "image/jpeg"),
        ("r_vs_t.csv", CSV, "text/csv"),
        ("log.txt", b"plain notes\n", "text/plain"),
        ("run.dat", b"1 2 3\n4 5 6\n", "text/plain"),
        ("data.h5", HDF5, "application/x-hdf5"),
        ("data.hdf5", b"\x00" * 512 + HDF5, "application/x-hdf5"),  # after a user block
        ("bundle.zip", ZIP, "application/zip"),
        ("arrays.npz", ZIP, "application/zip"),
        ("trace.npy", NPY, "application/octet-stream"),
    ],
)
def test_each_allowed_type_is_accepted_when_name_and_content_agree(name, content, content_type):
    checked = check_file(upload(name, content))
    assert checked.file_type.content_type == content_type
    assert checked.size == len(content)
    assert checked.sha256 == hashlib.sha256(content).hexdigest()


@pytest.mark.parametrize(
    ("name", "content", "looks_like"),
    [
        ("report.pdf", PNG, "PNG image"),
        ("photo.png", PDF, "PDF"),
        ("photo.jpg", PNG, "PNG image"),
        ("data.h5", ZIP, "ZIP"),
        ("trace.npy", HDF5, "HDF5"),
    ],
)
def test_wrong_content_behind_a_right_extension_is_refused(name, content, looks_like):
    with pytest.raises(UploadError) as caught:
        check_file(upload(name, content))
    assert looks_like in caught.value.message
    assert name in caught.value.message


@pytest.mark.parametrize(
    "content",
    [
        PNG,  # binary named as text
        b"col\x00umn\n",  # a NUL byte
        b"caf\xe9\n",  # Latin-1, not UTF-8
        b"<html><script>alert(1)</script></html>",
        b"  \n<!DOCTYPE html><p>hi</p>",
        b"\xef\xbb\xbf<svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'/>",
        b'<?xml version="1.0"?><svg/>',
    ],
)
def test_text_files_must_be_clean_utf8_and_never_markup(content):
    with pytest.raises(UploadError) as caught:
        check_file(upload("notes.txt", content))
    assert "notes.txt" in caught.value.message


def test_a_nul_far_past_the_first_bytes_is_still_found():
    content = b"a,b\n" * 20000 + b"\x00"
    with pytest.raises(UploadError):
        check_file(upload("big.csv", content))


@pytest.mark.parametrize(
    "name", ["page.html", "page.htm", "logo.svg", "doc.xhtml", "run.exe", "script.js", "noext"]
)
def test_html_svg_and_unknown_extensions_are_refused_whatever_the_content(name):
    with pytest.raises(UploadError) as caught:
        check_file(upload(name, b"just text\n"))
    assert "not accepted" in caught.value.message


def test_an_image_upload_accepts_only_png_and_jpeg():
    assert check_file(upload("p.png", PNG), uploads.IMAGE_TYPES).file_type is uploads.PNG
    with pytest.raises(UploadError):
        check_file(upload("p.pdf", PDF), uploads.IMAGE_TYPES)


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("../../etc/passwd.txt", "passwd.txt"),
        ("..\\..\\windows\\system32\\evil.csv", "evil.csv"),
        ("/abs/path/data.csv", "data.csv"),
        (".hidden.csv", "hidden.csv"),
        ("...", ""),
        ("..", ""),
        ("sweep\x00.csv", "sweep.csv"),
        ("line\nbreak.csv", "linebreak.csv"),
        ("evil\u202egpj.csv", "evilgpj.csv"),  # right-to-left override
        ('a<b>:"c"|d?*.csv', "a_b___c__d__.csv"),
        ("  spaced name.csv  ", "spaced name.csv"),
    ],
)
def test_path_tricks_in_names_are_stripped_to_a_display_name(raw, clean):
    assert clean_name(raw) == clean


def test_a_long_name_keeps_its_extension():
    name = clean_name("x" * 400 + ".csv")
    assert len(name) == uploads.MAX_NAME_LENGTH
    assert name.endswith(".csv")


def test_a_name_that_cleans_to_nothing_is_refused():
    with pytest.raises(UploadError, match="no usable name"):
        check_file(upload("...", b"1,2\n"))


def test_the_cleaned_name_is_what_is_kept():
    assert check_file(upload("../../secret/run.csv", CSV)).name == "run.csv"


def test_an_empty_file_is_refused():
    with pytest.raises(UploadError, match="empty"):
        check_file(upload("empty.csv", b""))


def test_a_file_over_the_per_file_cap_is_refused(settings):
    settings.ARCHIVE_MAX_FILE_BYTES = 1000
    check_file(upload("ok.csv", b"1,2\n" * 250))  # exactly 1000 bytes
    with pytest.raises(UploadError) as caught:
        check_file(upload("big.csv", b"1,2\n" * 251))
    assert "big.csv" in caught.value.message
    assert "per file" in caught.value.message


def test_a_file_whose_real_size_passes_the_cap_is_refused_whatever_size_it_claims(settings):
    settings.ARCHIVE_MAX_FILE_BYTES = 100
    lying = upload("big.csv", b"1,2\n" * 100)
    lying.size = 10
    with pytest.raises(UploadError, match="over the limit"):
        check_file(lying)


def test_files_over_the_per_archive_cap_are_refused_together(settings):
    settings.ARCHIVE_MAX_FILE_BYTES = 1000
    settings.ARCHIVE_MAX_TOTAL_BYTES = 1500
    files = [upload("a.csv", b"1,2\n" * 200), upload("b.csv", b"3,4\n" * 200)]
    with pytest.raises(UploadError, match="per archive"):
        check_files(files)
    assert len(check_files(files[:1], already_stored=700)) == 1
    with pytest.raises(UploadError, match="already stored"):
        check_files(files[:1], already_stored=701)


def test_defaults_are_50_and_500_mib(settings):
    del settings.ARCHIVE_MAX_FILE_BYTES
    del settings.ARCHIVE_MAX_TOTAL_BYTES
    assert uploads.max_file_bytes() == 50 * 1024 * 1024
    assert uploads.max_total_bytes() == 500 * 1024 * 1024


def test_the_file_is_rewound_after_checking():
    item = upload("r.csv", CSV)
    check_file(item)
    assert item.read() == CSV
