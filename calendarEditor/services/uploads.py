"""Checks on uploaded files before anything is stored: size caps, and type by content and name.

A file is accepted only when its extension and its bytes name the same type
from a short allow-list. Markup (HTML, SVG, XML) is never accepted, not even
behind a .txt name, and what is stored is always sent back as an attachment.
The name the member gave is cleaned to a display name; the disk name is the
server's (see the upload_to functions in the models).
"""

import codecs
import hashlib
import os
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile

MIB = 1024 * 1024
DEFAULT_MAX_FILE_BYTES = 50 * MIB
DEFAULT_MAX_TOTAL_BYTES = 500 * MIB
MAX_NAME_LENGTH = 150
HEAD_BYTES = 4096
_CHUNK = 256 * 1024
_HDF5 = b"\x89HDF\r\n\x1a\n"
# An HDF5 file may start with a user block; its signature then sits at one of these offsets.
_HDF5_OFFSETS = (0, 512, 1024, 2048)
_UNSAFE_IN_NAMES = re.compile(r'[<>:"|?*]')


class UploadError(ValueError):
    """A file that cannot be accepted; the message names it and says why."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class FileType:
    label: str
    content_type: str
    extensions: frozenset[str]
    signatures: tuple[bytes, ...] = ()
    text: bool = False  # UTF-8 without NULs, and not markup
    offsets: tuple[int, ...] = (0,)

    def matches(self, head: bytes) -> bool:
        if self.text:
            return is_plain_text_head(head)
        return any(
            head[offset : offset + len(signature)] == signature
            for signature in self.signatures
            for offset in self.offsets
        )


PDF = FileType("PDF", "application/pdf", frozenset({".pdf"}), (b"%PDF-",))
PNG = FileType("PNG image", "image/png", frozenset({".png"}), (b"\x89PNG\r\n\x1a\n",))
JPEG = FileType("JPEG image", "image/jpeg", frozenset({".jpg", ".jpeg"}), (b"\xff\xd8\xff",))
CSV = FileType("CSV", "text/csv", frozenset({".csv"}), text=True)
TEXT = FileType("plain text", "text/plain", frozenset({".txt", ".dat"}), text=True)
HDF5 = FileType(
    "HDF5", "application/x-hdf5", frozenset({".h5", ".hdf5"}), (_HDF5,), offsets=_HDF5_OFFSETS
)
ZIP = FileType(
    "ZIP", "application/zip", frozenset({".zip", ".npz"}), (b"PK\x03\x04", b"PK\x05\x06")
)
NPY = FileType("NumPy array", "application/octet-stream", frozenset({".npy"}), (b"\x93NUMPY",))

ARCHIVE_TYPES: tuple[FileType, ...] = (PDF, PNG, JPEG, CSV, TEXT, HDF5, ZIP, NPY)
IMAGE_TYPES: tuple[FileType, ...] = (PNG, JPEG)


@dataclass(frozen=True)
class CheckedUpload:
    upload: UploadedFile
    name: str  # the cleaned display name
    size: int
    file_type: FileType
    sha256: str


def max_file_bytes() -> int:
    return int(getattr(settings, "ARCHIVE_MAX_FILE_BYTES", DEFAULT_MAX_FILE_BYTES))


def max_total_bytes() -> int:
    return int(getattr(settings, "ARCHIVE_MAX_TOTAL_BYTES", DEFAULT_MAX_TOTAL_BYTES))


def max_request_bytes() -> int:
    """A request body larger than this cannot hold an acceptable upload (forms add a little)."""
    return max_total_bytes() + MIB


def accepted_extensions(types: Iterable[FileType] = ARCHIVE_TYPES) -> list[str]:
    return sorted(ext for file_type in types for ext in file_type.extensions)


def human_size(size: int) -> str:
    if size < 1024:
        return f"{size} bytes"
    for unit, factor in (("GiB", MIB * 1024), ("MiB", MIB), ("KiB", 1024)):
        if size >= factor:
            return f"{size / factor:.1f} {unit}".replace(".0 ", " ")
    return f"{size} bytes"


def clean_name(raw: str) -> str:
    """A display name: the last path part, without control characters, leading dots or
    characters that mean something to a shell or a file system; may be empty."""
    name = unicodedata.normalize("NFC", raw or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")
    name = _UNSAFE_IN_NAMES.sub("_", name).strip().lstrip(".").strip()
    if len(name) > MAX_NAME_LENGTH:
        stem, ext = os.path.splitext(name)
        ext = ext if len(ext) <= 10 else ""
        name = stem[: MAX_NAME_LENGTH - len(ext)] + ext
    return name


def check_files(uploads: Sequence[UploadedFile], *, already_stored: int = 0) -> list[CheckedUpload]:
    """Check every file and the archive's total; all are accepted or none is."""
    checked = [check_file(upload) for upload in uploads]
    check_total(checked, already_stored=already_stored)
    return checked


def check_total(checked: Sequence[CheckedUpload], *, already_stored: int) -> None:
    """Raise when ``checked`` and what is already stored pass the cap per archive."""
    added = sum(item.size for item in checked)
    limit = max_total_bytes()
    if already_stored + added > limit:
        stored = f" with the {human_size(already_stored)} already stored" if already_stored else ""
        raise UploadError(
            f"These files add up to {human_size(added)}{stored}, over the limit of "
            f"{human_size(limit)} per archive."
        )


def check_file(
    upload: UploadedFile, types: Sequence[FileType] = ARCHIVE_TYPES, *, limit: int | None = None
) -> CheckedUpload:
    name = clean_name(upload.name or "")
    if not name:
        raise UploadError("A file has no usable name; rename it and upload it again.")
    file_type = _type_for_name(name, types)
    limit = max_file_bytes() if limit is None else limit
    if upload.size is not None and upload.size > limit:
        raise UploadError(
            f"{name} is {human_size(upload.size)}; the limit is {human_size(limit)} per file."
        )
    head, size, digest, text_ok = _scan(upload, limit)
    if size == 0:
        raise UploadError(f"{name} is empty.")
    if size > limit:
        raise UploadError(f"{name} is over the limit of {human_size(limit)} per file.")
    if not file_type.matches(head) or (file_type.text and not text_ok):
        raise UploadError(_mismatch(name, file_type, head))
    return CheckedUpload(upload=upload, name=name, size=size, file_type=file_type, sha256=digest)


def is_plain_text_head(head: bytes) -> bool:
    """The start of a UTF-8 data file that is not markup a browser could render."""
    text = head.decode("utf-8", errors="ignore").lstrip("\ufeff \t\r\n")
    return b"\x00" not in head and not text.startswith("<")


def _type_for_name(name: str, types: Sequence[FileType]) -> FileType:
    extension = os.path.splitext(name)[1].lower()
    for file_type in types:
        if extension in file_type.extensions:
            return file_type
    shown = extension or "files without an extension"
    allowed = ", ".join(accepted_extensions(types))
    raise UploadError(f"{name}: {shown} files are not accepted. Accepted: {allowed}.")


def _scan(upload: UploadedFile, limit: int) -> tuple[bytes, int, str, bool]:
    """The first bytes, the real size, the SHA-256, and whether it is clean UTF-8 without NULs.

    Reads the file once in chunks and stops past ``limit``.
    """
    digest, decoder = hashlib.sha256(), codecs.getincrementaldecoder("utf-8")()
    head, size, text_ok = b"", 0, True
    upload.seek(0)
    for chunk in upload.chunks(_CHUNK):
        size += len(chunk)
        if size > limit:
            break
        digest.update(chunk)
        if len(head) < HEAD_BYTES:
            head += chunk[: HEAD_BYTES - len(head)]
        if text_ok:
            text_ok = b"\x00" not in chunk and _decodes(decoder, chunk)
    if text_ok:
        text_ok = _decodes(decoder, b"", final=True)
    upload.seek(0)
    return head, size, digest.hexdigest(), text_ok


def _decodes(decoder: codecs.IncrementalDecoder, chunk: bytes, *, final: bool = False) -> bool:
    try:
        decoder.decode(chunk, final=final)
    except UnicodeDecodeError:
        return False
    return True


def _mismatch(name: str, expected: FileType, head: bytes) -> str:
    looks_like = next(
        (kind.label for kind in ARCHIVE_TYPES if not kind.text and kind.matches(head)), None
    )
    if looks_like:
        return f"{name} is named like a {expected.label} file but its content is a {looks_like}."
    if expected.text:
        return (
            f"{name} is not plain text: data files must be UTF-8 text without NUL bytes, "
            "and markup such as HTML or SVG is not accepted."
        )
    return f"{name} is named like a {expected.label} file but its content is not one."
