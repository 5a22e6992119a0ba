#!/usr/bin/env python3
"""Verify an agentgov audit export bundle offline.

Needs only Python 3.9+ (standard library) and the AUDIT_SIGNING_KEY of the agentgov that
made the bundle. agentgov serves this file as `verify_bundle.py` on every export page; see
`docs/auditor-guide.md`.

    python3 verify_bundle.py BUNDLE.zip --key-file signing.key
    AUDIT_SIGNING_KEY=... python3 verify_bundle.py BUNDLE.zip

Checks, in order: the zip holds exactly manifest.json, manifest.sig and the data file the
manifest names; manifest.sig is the HMAC-SHA256 of manifest.json's bytes under the key; the
data file's SHA-256 and size are the manifest's; every row is well-formed and their number
is the manifest's row_count.

Exit status: 0 the bundle is authentic and agentgov's chain verification passed when it was
made; 1 the bundle is altered, damaged or signed with another key; 2 the bundle is authentic
but its manifest records that the hash chain verification FAILED when it was made (the
evidence of that is genuine: read "problem"); 3 usage error (no key, no such file).
"""

import argparse
import csv
import hashlib
import hmac
import io
import json
import os
import sys
import zipfile
from dataclasses import dataclass, field

MANIFEST = "manifest.json"
SIGNATURE = "manifest.sig"
FINGERPRINT_MESSAGE = b"agentgov audit signing key fingerprint"
READ_CHUNK = 1 << 20


def key_fingerprint(key: bytes) -> str:
    """Names a key without revealing it, so a person can tell which key signed a bundle."""
    return hmac.new(key, FINGERPRINT_MESSAGE, hashlib.sha256).hexdigest()[:16]


def sign_manifest(manifest_bytes: bytes, key: bytes) -> str:
    return hmac.new(key, manifest_bytes, hashlib.sha256).hexdigest()


@dataclass
class BundleReport:
    problems: list = field(default_factory=list)
    manifest: dict = field(default_factory=dict)
    rows: int = 0

    @property
    def authentic(self) -> bool:
        return not self.problems

    @property
    def chain_ok(self):
        return self.manifest.get("chain_verification", {}).get("ok")

    @property
    def exit_status(self) -> int:
        if not self.authentic:
            return 1
        return 0 if self.chain_ok is True else 2


class _HashingReader(io.RawIOBase):
    """Hashes every byte read through it, so the data file is parsed and hashed in one pass."""

    def __init__(self, raw):
        self.raw = raw
        self.sha256 = hashlib.sha256()
        self.size = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        data = self.raw.read(len(buffer))
        buffer[: len(data)] = data
        self.sha256.update(data)
        self.size += len(data)
        return len(data)


def _count_rows(text, data_format: str, columns: list, report: BundleReport) -> int:
    if data_format == "csv":
        records = csv.reader(text)
        if next(records, None) != columns:
            report.problems.append("the data file's CSV header is not the manifest's column list")
        rows = 0
        for rows, record in enumerate(records, start=1):
            if len(record) != len(columns):
                report.problems.append(f"CSV row {rows} has {len(record)} fields, not {len(columns)}")
                break
        return rows
    rows = 0
    for rows, line in enumerate(text, start=1):
        try:
            keys = list(json.loads(line))
        except (ValueError, TypeError):
            report.problems.append(f"JSON Lines row {rows} is not a JSON object")
            break
        if keys != columns:
            report.problems.append(f"JSON Lines row {rows} does not have the manifest's columns")
            break
    return rows


def _check_data(bundle: zipfile.ZipFile, report: BundleReport) -> None:
    manifest = report.manifest
    hashing = _HashingReader(bundle.open(manifest["data_file"]))
    text = io.TextIOWrapper(io.BufferedReader(hashing, READ_CHUNK), encoding="utf-8", newline="")
    report.rows = _count_rows(text, manifest.get("format"), list(manifest.get("columns", [])), report)
    while hashing.read(READ_CHUNK):  # hash whatever a broken row left unread
        pass
    if not hmac.compare_digest(hashing.sha256.hexdigest(), str(manifest.get("data_sha256"))):
        report.problems.append(
            f"{manifest['data_file']}: its SHA-256 is {hashing.sha256.hexdigest()}, not the manifest's "
            f"{manifest.get('data_sha256')}: the data was altered"
        )
    if hashing.size != manifest.get("data_bytes"):
        report.problems.append(
            f"{manifest['data_file']}: {hashing.size} bytes, the manifest says {manifest.get('data_bytes')}"
        )
    if report.rows != manifest.get("row_count"):
        report.problems.append(
            f"{report.rows} rows in the data file, the manifest says {manifest.get('row_count')}"
        )


def verify_bundle(path, key) -> BundleReport:
    """Check one bundle with the signing key (str or bytes); never raises for a bad bundle."""
    key = key.encode() if isinstance(key, str) else key
    report = BundleReport()
    try:
        with zipfile.ZipFile(path) as bundle:
            names = bundle.namelist()
            if len(names) != len(set(names)):
                report.problems.append("the zip holds two files under one name")
                return report
            if MANIFEST not in names or SIGNATURE not in names:
                report.problems.append(
                    f"the zip lacks {MANIFEST} or {SIGNATURE}: it is not an agentgov bundle"
                )
                return report
            manifest_bytes = bundle.read(MANIFEST)
            signature = bundle.read(SIGNATURE).decode("ascii", "replace").strip()
            if not hmac.compare_digest(sign_manifest(manifest_bytes, key), signature):
                report.problems.append(
                    "manifest.sig does not match manifest.json: the manifest was altered or signed with another key"
                )
            try:
                report.manifest = json.loads(manifest_bytes)
            except ValueError:
                report.problems.append("manifest.json is not valid JSON")
                return report
            signed_with = report.manifest.get("signature", {}).get("key_fingerprint")
            if report.problems and signed_with and signed_with != key_fingerprint(key):
                report.problems.append(
                    f"the bundle names signing key {signed_with}; the key you gave is {key_fingerprint(key)}"
                )
            extra = set(names) - {MANIFEST, SIGNATURE, report.manifest.get("data_file")}
            if extra:
                report.problems.append(
                    f"the zip holds files the manifest does not list: {', '.join(sorted(extra))}"
                )
            if report.manifest.get("data_file") not in names:
                report.problems.append(f"the data file {report.manifest.get('data_file')!r} is missing")
                return report
            _check_data(bundle, report)
    except (zipfile.BadZipFile, OSError, EOFError, zipfile.LargeZipFile) as exc:
        report.problems.append(f"the bundle cannot be read as a zip: {exc}")
    except (UnicodeDecodeError, csv.Error) as exc:
        report.problems.append(f"the data file is damaged: {exc}")
    return report


def _describe(report: BundleReport, out) -> None:
    manifest = report.manifest
    if manifest:
        chain = manifest.get("chain_verification", {})
        span = manifest.get("time_range", {})
        print(f"export        {manifest.get('export_id')} ({manifest.get('format')})", file=out)
        print(f"generated     {manifest.get('generated_at')} by {manifest.get('generated_by')}", file=out)
        print(f"time range    {span.get('since') or 'the beginning'} to {span.get('until')}", file=out)
        print(f"filters       {json.dumps(manifest.get('filters', {}), sort_keys=True)}", file=out)
        print(f"rows          {report.rows} (manifest: {manifest.get('row_count')})", file=out)
        print(f"data sha256   {manifest.get('data_sha256')}", file=out)
        verdict = "ok" if chain.get("ok") else "FAILED: " + str(chain.get("problem"))
        print(
            f"chains        {verdict} ({chain.get('scope')}, {chain.get('events_checked')} events checked)",
            file=out,
        )
    for problem in report.problems:
        print(f"PROBLEM       {problem}", file=out)
    if report.exit_status == 0:
        print(
            "VERIFIED      the bundle is authentic and complete; the chains verified when it was made",
            file=out,
        )
    elif report.exit_status == 2:
        print(
            "AUTHENTIC     but agentgov's hash chain verification failed when the bundle was made", file=out
        )
    else:
        print("NOT VERIFIED  do not rely on this bundle", file=out)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Verify an agentgov audit export bundle offline.")
    parser.add_argument("bundle", help="the .zip bundle")
    parser.add_argument(
        "--key-file", help="a file holding AUDIT_SIGNING_KEY (else the AUDIT_SIGNING_KEY variable)"
    )
    args = parser.parse_args(argv)
    if args.key_file:
        try:
            with open(args.key_file, "rb") as handle:
                key = handle.read().strip()
        except OSError as exc:
            print(f"cannot read the key file: {exc}", file=sys.stderr)
            return 3
    else:
        key = os.environ.get("AUDIT_SIGNING_KEY", "").strip().encode()
    if not key:
        print("no key: pass --key-file FILE or set AUDIT_SIGNING_KEY", file=sys.stderr)
        return 3
    if not os.path.isfile(args.bundle):
        print(f"no such file: {args.bundle}", file=sys.stderr)
        return 3
    report = verify_bundle(args.bundle, key)
    _describe(report, sys.stdout)
    return report.exit_status


if __name__ == "__main__":
    sys.exit(main())
