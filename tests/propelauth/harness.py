"""Runs a throw-away Gatehouse over HTTPS for the PropelAuth SDK suites.

Contract §9, set-up 2, inside the test process and without touching system files:
- a test CA and a server certificate for `propelauth-api.com`, `localhost`, 127.0.0.1 and the
  loopback address the server listens on, generated here with `cryptography`;
- Gatehouse serves HTTPS on <loopback>:443 (the SDK always uses port 443; tests run as root, which
  may bind it). Each run picks its own 127.x.y.z, so parallel runs never collide on the port;
- `socket.getaddrinfo` is patched so `propelauth-api.com` resolves to that address (this covers
  requests/urllib3 and httpx/anyio, which both resolve through it);
- `REQUESTS_CA_BUNDLE` and `SSL_CERT_FILE` point at the test CA.

Environment: GATEHOUSE_BIN (default target/debug/gatehouse), GH_SDK_BACKEND (sqlite | postgres),
GH_PG_URL_BASE (default postgres://postgres@127.0.0.1:5432).
"""

from __future__ import annotations

import datetime
import ipaddress
import json
import os
import random
import secrets
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

REPO = Path(__file__).resolve().parents[2]
SDK_API_HOST = "propelauth-api.com"


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def make_pki(directory: Path, ip: str) -> tuple[Path, Path, Path]:
    """A CA and a server certificate it signed; returns (ca.pem, cert.pem, key.pem)."""
    now = datetime.datetime.now(datetime.timezone.utc)
    ca_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ca = (
        x509.CertificateBuilder()
        .subject_name(_name("Gatehouse test CA"))
        .issuer_name(_name("Gatehouse test CA"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                key_cert_sign=True,
                crl_sign=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    sans = [
        x509.DNSName(SDK_API_HOST),
        x509.DNSName("localhost"),
        x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
        x509.IPAddress(ipaddress.ip_address(ip)),
    ]
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(SDK_API_HOST))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName(sans), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]),
            critical=False,
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    ca_path, cert_path, key_path = (
        directory / "ca.pem",
        directory / "server.pem",
        directory / "server.key",
    )
    ca_path.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return ca_path, cert_path, key_path


_real_getaddrinfo = socket.getaddrinfo


def resolve_sdk_host_to(ip: str) -> None:
    """The in-process resolver override: propelauth-api.com -> ip (port unchanged)."""

    def getaddrinfo(host, port, *args, **kwargs):
        if isinstance(host, (bytes, bytearray)):
            host = host.decode()
        if host == SDK_API_HOST:
            host = ip
        return _real_getaddrinfo(host, port, *args, **kwargs)

    socket.getaddrinfo = getaddrinfo


def random_loopback() -> str:
    return f"127.{random.randint(1, 254)}.{random.randint(1, 254)}.{random.randint(2, 254)}"


@dataclass
class Server:
    ip: str
    port: int
    ca: Path
    env: dict
    tmp: Path
    proc: subprocess.Popen
    pg_db: str | None = None
    log: Path = field(default=Path("/dev/null"))

    @property
    def url(self) -> str:
        return (
            f"https://{self.ip}"
            if self.port == 443
            else f"https://{self.ip}:{self.port}"
        )

    def cli(self, *args: str) -> dict:
        proc = subprocess.run(
            [self.env["GATEHOUSE_BIN_PATH"], *args],
            capture_output=True,
            text=True,
            timeout=60,
            env=self.env,
            cwd=self.tmp,
            stdin=subprocess.DEVNULL,
        )
        assert proc.returncode == 0, f"gatehouse {' '.join(args)}: {proc.stderr}"
        return json.loads(proc.stdout)

    def integration_key(self, name: str = "sdk-tests") -> str:
        return self.cli("api-key", "create", "--name", name)["api_key"]


def _psql(sql: str) -> None:
    base = os.environ.get("GH_PG_URL_BASE", "postgres://postgres@127.0.0.1:5432")
    subprocess.run(
        ["psql", f"{base}/postgres", "-v", "ON_ERROR_STOP=1", "-qAtc", sql],
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    )


def start(port: int = 443, backend: str | None = None) -> Server:
    """Starts `gatehouse serve` over HTTPS on a fresh database; returns when it is healthy."""
    backend = backend or os.environ.get("GH_SDK_BACKEND", "sqlite")
    binary = os.environ.get(
        "GATEHOUSE_BIN", str(REPO / "target" / "debug" / "gatehouse")
    )
    tmp = Path(tempfile.mkdtemp(prefix=f"gh-sdk-{backend}-"))
    ip = random_loopback()
    ca, cert, key = make_pki(tmp, ip)
    pg_db = None
    if backend == "postgres":
        pg_db = f"gh_sdk_{secrets.token_hex(6)}"
        _psql(f"CREATE DATABASE {pg_db}")
        base = os.environ.get("GH_PG_URL_BASE", "postgres://postgres@127.0.0.1:5432")
        db_url = f"{base}/{pg_db}"
    else:
        db_url = f"sqlite://{tmp}/gatehouse.db"
    host = ip if port == 443 else f"{ip}:{port}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("GATEHOUSE_")}
    env.update(
        {
            "GATEHOUSE_ISSUER": f"https://{host}",
            "GATEHOUSE_LISTEN": f"{ip}:{port}",
            "GATEHOUSE_DATABASE_URL": db_url,
            "GATEHOUSE_DATA_DIR": str(tmp),
            "GATEHOUSE_TLS_CERT": str(cert),
            "GATEHOUSE_TLS_KEY": str(key),
            "GATEHOUSE_LOG": "warn",
        }
    )
    log = tmp / "server.log"
    proc = subprocess.Popen(
        [binary, "serve"],
        env=env,
        cwd=tmp,
        stdout=open(log, "w"),
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
    )
    env["GATEHOUSE_BIN_PATH"] = binary
    server = Server(
        ip=ip, port=port, ca=ca, env=env, tmp=tmp, proc=proc, pg_db=pg_db, log=log
    )
    deadline = time.time() + 60
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"gatehouse exited early:\n{log.read_text()}")
        try:
            if (
                requests.get(
                    f"{server.url}/healthz", verify=str(ca), timeout=2
                ).status_code
                == 200
            ):
                break
        except requests.RequestException:
            pass
        if time.time() > deadline:
            stop(server)
            raise RuntimeError(f"gatehouse did not become healthy:\n{log.read_text()}")
        time.sleep(0.1)
    return server


def trust(server: Server) -> None:
    """The client side of set-up 2: trust the test CA (requests and httpx read these)."""
    os.environ["REQUESTS_CA_BUNDLE"] = str(server.ca)
    os.environ["SSL_CERT_FILE"] = str(server.ca)


def stop(server: Server) -> None:
    if server.proc.poll() is None:
        server.proc.terminate()
        try:
            server.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.proc.kill()
    out = REPO / "tests" / "output"
    out.mkdir(parents=True, exist_ok=True)
    try:
        (
            out / f"server-sdk-{os.environ.get('GH_SDK_BACKEND', 'sqlite')}.log"
        ).write_text(server.log.read_text())
    except OSError:
        pass
    if server.pg_db:
        _psql(f"DROP DATABASE IF EXISTS {server.pg_db} WITH (FORCE)")
    subprocess.run(["rm", "-rf", str(server.tmp)], check=False)
