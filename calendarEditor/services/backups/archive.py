"""The backup file: a gzip'd tar holding manifest.json, data.jsonl and media/.

- ``manifest.json`` (first, so ``tar -xOzf backup.tar.gz manifest.json`` reads
  it at once): format and version, when it was made, the applied migrations
  per app, the row count per model, and every other member's size and SHA-256;
- ``data.jsonl``: the rows, one JSON object per line (Django's jsonl
  serializer), so a restore streams it instead of holding it in memory;
- ``media/<path>``: uploaded files, when asked for, byte for byte.

Nothing else goes in: no settings, no environment, no keys beyond the hashes
the database itself holds. Reading checks every member against the manifest
before anything is loaded, and accepts only plain files with safe names.
"""

import hashlib
import io
import json
import tarfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path, PurePosixPath
from typing import IO, Any

from calendarEditor.services.backups.errors import BackupError

FORMAT_NAME = "labqueue-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
DATA = "data.jsonl"
MEDIA_PREFIX = "media/"
MANIFEST_MAX_BYTES = 16 * 1024 * 1024
CHUNK = 1024 * 1024


@dataclass(frozen=True)
class FileEntry:
    name: str
    size: int
    sha256: str


@dataclass(frozen=True)
class Manifest:
    created_at: str
    database_vendor: str
    django_version: str
    migrations: dict[str, list[str]]
    models: dict[str, int]
    excluded_models: list[str]
    includes_media: bool
    files: list[FileEntry] = field(default_factory=list)
    format: str = FORMAT_NAME
    format_version: int = FORMAT_VERSION

    @property
    def total_rows(self) -> int:
        return sum(self.models.values())

    @property
    def media_files(self) -> list[FileEntry]:
        return [entry for entry in self.files if entry.name.startswith(MEDIA_PREFIX)]

    def as_bytes(self) -> bytes:
        return json.dumps(asdict(self), indent=2, sort_keys=True).encode()

    @classmethod
    def from_bytes(cls, raw: bytes) -> "Manifest":
        try:
            data = json.loads(raw)
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise BackupError("The backup's manifest.json is not valid JSON.") from None
        _check_format(data)
        try:
            files = [FileEntry(**_file_fields(entry)) for entry in data.pop("files")]
            return cls(files=files, **data)
        except (KeyError, TypeError, ValueError) as error:
            raise BackupError(f"The backup's manifest.json is damaged ({error}).") from None


def _check_format(data: Any) -> None:
    if not isinstance(data, dict) or data.get("format") != FORMAT_NAME:
        raise BackupError(
            "This file is not a lab queue backup (its manifest names no such format)."
        )
    version = data.get("format_version")
    if not isinstance(version, int) or version < 1:
        raise BackupError(f"The backup's format version {version!r} is not valid.")
    if version > FORMAT_VERSION:
        raise BackupError(
            f"The backup uses format version {version}; this code reads up to "
            f"{FORMAT_VERSION}. Restore it with the newer version of the site that made it."
        )


def _file_fields(entry: Any) -> dict[str, Any]:
    if not isinstance(entry, dict):
        raise ValueError("a file entry is not an object")
    name, size, digest = entry["name"], entry["size"], entry["sha256"]
    if not isinstance(size, int) or size < 0 or not isinstance(digest, str) or len(digest) != 64:
        raise ValueError(f"bad size or checksum for {name!r}")
    return {"name": safe_member_name(name), "size": size, "sha256": digest}


def safe_member_name(name: Any) -> str:
    """``data.jsonl`` or ``media/<relative path>``; anything else is refused."""
    if not isinstance(name, str) or "\\" in name or "\x00" in name:
        raise BackupError(f"The backup holds a file with an unsafe name: {name!r}.")
    path = PurePosixPath(name)
    parts = path.parts
    relative_media = name.startswith(MEDIA_PREFIX) and len(parts) > 1
    if (name != DATA and not relative_media) or path.is_absolute() or {"..", "."} & set(parts):
        raise BackupError(f"The backup holds a file with an unsafe name: {name!r}.")
    return name


def sha256_of(stream: IO[bytes]) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    while chunk := stream.read(CHUNK):
        digest.update(chunk)
        size += len(chunk)
    return digest.hexdigest(), size


class _HashingReader:
    """Hashes what tarfile copies, so a file changed mid-backup is caught, not archived."""

    def __init__(self, raw: IO[bytes]) -> None:
        self.raw = raw
        self.digest = hashlib.sha256()

    def read(self, size: int = -1) -> bytes:
        chunk = self.raw.read(size)
        self.digest.update(chunk)
        return chunk


def write_tar(out: IO[bytes], manifest: Manifest, data: IO[bytes], media_root: Path) -> None:
    """Write the archive: manifest, rows, then each media file the manifest lists."""
    with tarfile.open(fileobj=out, mode="w:gz", format=tarfile.PAX_FORMAT) as tar:
        raw_manifest = manifest.as_bytes()
        tar.addfile(_info(MANIFEST, len(raw_manifest)), io.BytesIO(raw_manifest))
        for entry in manifest.files:
            if entry.name == DATA:
                data.seek(0)
                _add_checked(tar, entry, data)
                continue
            path = media_root / entry.name.removeprefix(MEDIA_PREFIX)
            try:
                with path.open("rb") as source:
                    _add_checked(tar, entry, source)
            except OSError as error:
                raise BackupError(f"Could not read {path}: {error.strerror}.") from None


def _add_checked(tar: tarfile.TarFile, entry: FileEntry, source: IO[bytes]) -> None:
    reader = _HashingReader(source)
    try:
        tar.addfile(_info(entry.name, entry.size), reader)  # type: ignore[arg-type]
    except OSError:
        raise BackupError(f"{entry.name} shrank while it was being backed up; run again.") from None
    if reader.digest.hexdigest() != entry.sha256 or source.read(1):
        raise BackupError(f"{entry.name} changed while it was being backed up; run again.")


def _info(name: str, size: int) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.size, info.mode, info.mtime = size, 0o600, int(time.time())
    return info


@contextmanager
def open_archive(path: Path) -> Iterator[tuple[tarfile.TarFile, Manifest]]:
    """The open archive and its manifest, every member already checked against it."""
    try:
        tar = tarfile.open(path, mode="r:gz")  # noqa: SIM115  (closed by the with below)
    except FileNotFoundError:
        raise BackupError(f"{path} does not exist.") from None
    except (tarfile.TarError, OSError, EOFError):
        raise BackupError(f"{path} is not a backup archive (not a readable .tar.gz).") from None
    with tar:
        manifest = _read_manifest(tar)
        _verify_members(tar, manifest)
        yield tar, manifest


def _read_manifest(tar: tarfile.TarFile) -> Manifest:
    try:
        member = tar.next()
    except (tarfile.TarError, OSError, EOFError):
        raise BackupError("The backup archive is damaged (it cannot be read).") from None
    if member is None or member.name != MANIFEST or not member.isfile():
        raise BackupError("This file is not a lab queue backup (manifest.json does not open it).")
    if member.size > MANIFEST_MAX_BYTES:
        raise BackupError("The backup's manifest.json is implausibly large.")
    return Manifest.from_bytes(_extract(tar, member).read())


def _verify_members(tar: tarfile.TarFile, manifest: Manifest) -> None:
    expected = {entry.name: entry for entry in manifest.files}
    if DATA not in expected:
        raise BackupError("The backup's manifest lists no data.jsonl.")
    seen: set[str] = set()
    try:
        for index, member in enumerate(tar):
            if index == 0:
                continue  # manifest.json, read and checked above
            name = safe_member_name(member.name)
            entry = expected.get(name)
            if entry is None or name in seen or not member.isfile():
                raise BackupError(f"The backup holds {name!r}, which its manifest does not list.")
            if member.size != entry.size or sha256_of(_extract(tar, member))[0] != entry.sha256:
                raise BackupError(f"{name} in the backup does not match its checksum: damaged.")
            seen.add(name)
    except (tarfile.TarError, OSError, EOFError):
        raise BackupError("The backup archive is damaged or cut short.") from None
    missing = sorted(set(expected) - seen)
    if missing:
        raise BackupError(f"The backup is missing files its manifest lists: {', '.join(missing)}.")


def _extract(tar: tarfile.TarFile, member: tarfile.TarInfo) -> IO[bytes]:
    stream = tar.extractfile(member)
    if stream is None:  # links and devices; _verify_members refuses them before this
        raise BackupError(f"{member.name} in the backup is not a regular file.")
    return stream


def member_stream(tar: tarfile.TarFile, name: str) -> IO[bytes]:
    """A checked member's bytes (call after open_archive verified them)."""
    return _extract(tar, tar.getmember(name))
