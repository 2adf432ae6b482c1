"""Secrets scan for Gatehouse test runs (issue 11): finds plaintext credentials where only
hashes or nothing should be: server logs, the SQLite database files, pg_dumps, the outbox.

Deterministic, no heuristics about "random-looking" strings: every credential Gatehouse mints
is stored as the SHA-256 (hex) of its plain value, so a candidate string whose SHA-256 is one of
the hashes found in the database *is* a leaked live or past credential (session ids, codes,
refresh tokens, reset / verification / magic-link tokens, client secrets, integration keys,
end-user API keys, recovery codes). Passwords cannot be recognised that way (argon2), so the
passwords the suites use are listed (and GH_SCAN_SECRETS adds more, one per line). Signed
access and ID tokens (JWTs) are never stored or logged, so any JWT found is reported.

Usage: secrets_scan.py --hashes-from FILE... --scan FILE...   (exit 1 on findings)
Findings are printed redacted: the file, the line, the kind and a fingerprint, never the secret.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import re
import sqlite3
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path

HEX64 = re.compile(rb"(?<![0-9a-f])[0-9a-f]{64}(?![0-9a-f])")
# What Gatehouse mints: 256-bit base64url (43 chars), `gh_` + 64 hex, 64 hex, recovery codes.
CANDIDATES = [
    ("token", re.compile(rb"(?<![A-Za-z0-9_-])[A-Za-z0-9_-]{43}(?![A-Za-z0-9_-])")),
    ("integration key", re.compile(rb"gh_[0-9a-f]{64}(?![0-9a-f])")),
    ("hex key", re.compile(rb"(?<![0-9a-f])[0-9a-f]{64}(?![0-9a-f])")),
    ("recovery code", re.compile(rb"(?<![a-z2-7])[a-z2-7]{5}-[a-z2-7]{5}(?![a-z2-7])")),
]
JWT = re.compile(rb"eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{16,}")
SUITE_PASSWORDS = [b"correct horse battery", b"hunter22hunter"]
# By design, not a leak: the one-time first-run set-up link `serve` prints for the operator
# (README, "The two commands"). Reported as a note, never a failure.
BY_DESIGN = [re.compile(rb"/setup\?token=")]
SUITE_PASSWORD_PATTERNS = [re.compile(rb"browser test [0-9a-f]{16}")]


def sha256_hex(value: bytes) -> bytes:
    return hashlib.sha256(value).hexdigest().encode()


def fingerprint(secret: bytes) -> str:
    return f"sha256:{hashlib.sha256(secret).hexdigest()[:12]}, {len(secret)} bytes"


def read_texts(path: Path) -> Iterator[tuple[str, bytes]]:
    """The raw bytes of a file, and for a SQLite database also its logical dump (WAL included)."""
    yield str(path), path.read_bytes()
    if path.suffix == ".db":
        try:
            conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
            dump = "\n".join(conn.iterdump()).encode()
            conn.close()
            yield f"{path} (dump)", dump
        except sqlite3.Error as e:
            print(f"secrets scan: cannot dump {path}: {e}", file=sys.stderr)


def collect_hashes(texts: Iterable[bytes]) -> set[bytes]:
    hashes: set[bytes] = set()
    for text in texts:
        hashes.update(HEX64.findall(text))
    return hashes


def scan(
    name: str, text: bytes, hashes: set[bytes], literals: list[bytes]
) -> list[str]:
    found: list[str] = []
    lines = text.split(b"\n")
    for lineno, line in enumerate(lines, 1):
        if any(p.search(line) for p in BY_DESIGN):
            print(
                f"secrets scan: note: {name}:{lineno}: the first-run set-up link (by design)"
            )
            continue
        for kind, pattern in CANDIDATES:
            for m in pattern.finditer(line):
                value = m.group(0)
                plain = value.replace(b"-", b"") if kind == "recovery code" else value
                if sha256_hex(plain) in hashes:
                    found.append(
                        f"{name}:{lineno}: plaintext {kind} ({fingerprint(value)}) whose hash is stored"
                    )
        for m in JWT.finditer(line):
            found.append(
                f"{name}:{lineno}: a signed token (JWT) ({fingerprint(m.group(0))})"
            )
        for secret in literals:
            if secret in line:
                found.append(
                    f"{name}:{lineno}: a password the suites used ({fingerprint(secret)})"
                )
        for pattern in SUITE_PASSWORD_PATTERNS:
            for m in pattern.finditer(line):
                found.append(
                    f"{name}:{lineno}: a password the suites used ({fingerprint(m.group(0))})"
                )
    return found


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--hashes-from",
        nargs="*",
        default=[],
        help="database files or dumps holding the stored hashes",
    )
    parser.add_argument(
        "--scan",
        nargs="*",
        default=[],
        help="files to scan (logs, database files, dumps)",
    )
    args = parser.parse_args(argv)
    hash_texts = [
        t for p in args.hashes_from if Path(p).is_file() for _, t in read_texts(Path(p))
    ]
    hashes = collect_hashes(hash_texts)
    literals = SUITE_PASSWORDS + [
        s.encode()
        for s in os.environ.get("GH_SCAN_SECRETS", "").splitlines()
        if len(s) >= 6
    ]
    findings: list[str] = []
    scanned = 0
    for p in args.scan:
        path = Path(p)
        if not path.is_file():
            continue
        for name, text in read_texts(path):
            scanned += 1
            findings.extend(scan(name, text, hashes, literals))
    for f in findings:
        print(f"secrets scan: {f}")
    print(
        f"secrets scan: {scanned} source(s), {len(hashes)} stored hash(es) checked, {len(findings)} finding(s)"
    )
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
