"""The evidence bundle: one zip holding the data file, manifest.json and manifest.sig.

manifest.sig is the HMAC-SHA256 (hex) of manifest.json's exact bytes under
AUDIT_SIGNING_KEY; the manifest holds the data file's SHA-256. Checking both needs only the
key and the standard library (`offline.py`, served as verify_bundle.py).
"""

import hashlib
import json
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from django.conf import settings

from apps.audit.exports.offline import (
    MANIFEST,
    SIGNATURE,
    BundleReport,
    key_fingerprint,
    sign_manifest,
    verify_bundle,
)

COMPRESS_LEVEL = 1  # deflate's fastest: exports stay fast, and text still shrinks several times


def _key() -> bytes:
    return settings.AUDIT_SIGNING_KEY.encode()


def manifest_bytes(manifest: dict) -> bytes:
    return (json.dumps(manifest, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode()


def signature_block() -> dict:
    return {"algorithm": "HMAC-SHA256", "file": SIGNATURE, "key_fingerprint": key_fingerprint(_key())}


class BundleWriter:
    """Write the data file first (streamed), then the signed manifest that describes it."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._zip = zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=COMPRESS_LEVEL)

    @contextmanager
    def data_file(self, name: str) -> Iterator[BinaryIO]:
        with self._zip.open(name, "w", force_zip64=True) as member:
            yield member

    def sign(self, manifest: dict) -> None:
        signed = manifest_bytes(manifest)
        self._zip.writestr(MANIFEST, signed)
        self._zip.writestr(SIGNATURE, sign_manifest(signed, _key()) + "\n")

    def close(self) -> None:
        self._zip.close()


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def bundle_verify(path: Path, *, key: str | None = None) -> BundleReport:
    """Verify a bundle as an auditor would offline; with this agentgov's key by default."""
    return verify_bundle(path, key if key is not None else settings.AUDIT_SIGNING_KEY)


__all__ = [
    "BundleReport",
    "BundleWriter",
    "bundle_verify",
    "file_sha256",
    "manifest_bytes",
    "signature_block",
]
