"""Side-by-side benchmark: Gatehouse (release; SQLite and Postgres) and panva's oidc-provider.

Run through `scripts/bench` (which builds, installs wrk and the peer). Every server runs at
once on loopback; each phase is driven at every target in turn (interleaved), the whole
sequence repeated BENCH_ROUNDS times (the start target rotates); the table shows medians.
Every loop is bounded by a duration; nothing leaves 127.0.0.1.
"""

from __future__ import annotations

import json
import math
import os
import platform
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
HERE = ROOT / "scripts" / "bench.d"
REDIRECT = "http://127.0.0.1:9/cb"
PASSWORD = "bench password 1"
PG_BASE = os.environ.get("GH_PG_URL_BASE", "postgres://postgres@127.0.0.1:5432")


def log(msg: str) -> None:
    print(f"[bench] {msg}", file=sys.stderr, flush=True)


def free_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return int(port)


def http_status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=2) as r:
            return int(r.status)
    except Exception:  # noqa: BLE001 - any failure means "not up yet"
        return 0


def rss_mib(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


@dataclass
class Target:
    name: str  # "sqlite", "postgres" or "peer"
    port: int = 0
    proc: subprocess.Popen[bytes] | None = None
    tmp: Path | None = None
    pg_db: str | None = None
    client_id: str = ""
    client_secret: str = ""
    email: str = "bench@example.com"
    start_ms: float = 0.0
    restart_ms: float = 0.0
    cmd: list[str] = field(default_factory=list)
    rss: dict[str, float] = field(default_factory=dict)
    env: dict[str, str] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def is_peer(self) -> bool:
        return self.name == "peer"

    def cli(self, *args: str) -> str:
        out = subprocess.run(
            [os.environ["GATEHOUSE_BIN"], *args],
            cwd=self.tmp,
            env=self.env,
            check=True,
            capture_output=True,
            timeout=120,
        )
        return out.stdout.decode()

    def start(self) -> None:
        self.port = free_port()
        self.tmp = Path(tempfile.mkdtemp(prefix=f"gh-bench-{self.name}-"))
        if self.is_peer:
            self.client_id, self.client_secret = (
                "bench",
                "bench-secret-" + os.urandom(8).hex(),
            )
            env = dict(
                os.environ,
                PORT=str(self.port),
                BENCH_CLIENT_ID=self.client_id,
                BENCH_CLIENT_SECRET=self.client_secret,
            )
            env["BENCH_REDIRECT_URI"] = REDIRECT
            cmd = ["node", str(HERE / "peer" / "server.mjs")]
            self.email = "bench"
        else:
            env = {
                k: v for k, v in os.environ.items() if not k.startswith("GATEHOUSE_")
            }
            if self.name == "postgres":
                self.pg_db = "gh_bench_" + os.urandom(6).hex()
                subprocess.run(
                    [
                        "psql",
                        "-h",
                        "127.0.0.1",
                        "-U",
                        "postgres",
                        "-qAt",
                        "-c",
                        f"CREATE DATABASE {self.pg_db}",
                    ],
                    check=True,
                )
                db_url = f"{PG_BASE}/{self.pg_db}"
            else:
                db_url = f"sqlite://{self.tmp}/gatehouse.db"
            env.update(
                GATEHOUSE_ISSUER=self.url,
                GATEHOUSE_LISTEN=f"127.0.0.1:{self.port}",
                GATEHOUSE_DATABASE_URL=db_url,
                GATEHOUSE_DATA_DIR=str(self.tmp),
                GATEHOUSE_LOG="warn",
                NO_COLOR="1",
            )
            cmd = [os.environ["GATEHOUSE_BIN"], "serve"]
        self.env = env
        self.cmd = cmd
        self.start_ms = self.launch()
        if not self.is_peer:
            client = json.loads(
                self.cli(
                    "client", "create", "--name", "bench", "--redirect-uri", REDIRECT
                )
            )
            self.client_id, self.client_secret = (
                client["client_id"],
                client["client_secret"],
            )
            self.cli(
                "user",
                "create",
                "--email",
                self.email,
                "--password",
                PASSWORD,
                "--email-verified",
            )
            # The storm is a load test, not an attack: lift the per-address/account limits.
            self.cli("settings", "set", "rate_limit_ip_per_minute", "100000")
            self.cli("settings", "set", "rate_limit_account_per_minute", "100000")
        self.restart()
        assert self.proc is not None
        self.rss["idle"] = rss_mib(self.proc.pid)

    def launch(self) -> float:
        """Starts the server; milliseconds from exec to its first discovery 200."""
        assert self.tmp is not None
        log(f"starting {self.name} on {self.url}")
        logf = open(self.tmp / "server.log", "ab")  # noqa: SIM115 - lives as long as the server
        t0 = time.perf_counter()
        self.proc = subprocess.Popen(
            self.cmd, cwd=self.tmp, env=self.env, stdout=logf, stderr=subprocess.STDOUT
        )
        deadline = time.monotonic() + 60
        while http_status(f"{self.url}/.well-known/openid-configuration") != 200:
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(
                    f"{self.name} did not start: {(self.tmp / 'server.log').read_text()[-2000:]}"
                )
            time.sleep(0.002)
        return (time.perf_counter() - t0) * 1000

    def restart(self) -> None:
        """Stops and starts the server on the data it has (what an upgrade or a crash
        costs): a first start also creates the schema and Gatehouse's first RSA key."""
        assert self.proc is not None
        self.proc.terminate()
        self.proc.wait(timeout=15)
        self.restart_ms = self.launch()

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        if self.pg_db:
            subprocess.run(
                [
                    "psql",
                    "-h",
                    "127.0.0.1",
                    "-U",
                    "postgres",
                    "-qAt",
                    "-c",
                    f"DROP DATABASE IF EXISTS {self.pg_db} WITH (FORCE)",
                ],
                check=False,
            )
        if self.tmp:
            # The server's log outlives the run (tests/output/bench-<target>.log): a phase
            # with errors can be explained afterwards.
            log_file = self.tmp / "server.log"
            if log_file.exists():
                out = ROOT / "tests" / "output"
                out.mkdir(parents=True, exist_ok=True)
                shutil.copy(log_file, out / f"bench-{self.name}.log")
            shutil.rmtree(self.tmp, ignore_errors=True)


def wrk(
    url: str,
    seconds: float,
    script: Path | None = None,
    env: dict[str, str] | None = None,
) -> dict[str, float]:
    threads = os.environ.get("BENCH_THREADS", "2")
    conns = os.environ.get("BENCH_CONNECTIONS", "32")
    cmd = [
        "wrk",
        "-t",
        threads,
        "-c",
        conns,
        "-d",
        f"{max(1, round(seconds))}s",
        "--latency",
    ]
    if script:
        cmd += ["-s", str(script)]
    out = subprocess.run(
        [*cmd, url],
        check=False,
        capture_output=True,
        text=True,
        timeout=seconds + 60,
        env=env,
    ).stdout
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    p99 = re.search(r"^\s+99%\s+([\d.]+)(us|ms|s)", out, re.MULTILINE)
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}
    return {
        "rate": float(rps.group(1)) if rps else 0.0,
        "p99_ms": float(p99.group(1)) * scale[p99.group(2)] if p99 else 0.0,
        "errors": float(non2xx.group(1)) if non2xx else 0.0,
    }


def flows(
    t: Target, phase: str, seconds: float, concurrency: int, probe: bool = False
) -> dict[str, float]:
    cmd = [
        os.environ["BENCH_DRIVER"],
        "--phase",
        phase,
        "--base",
        t.url,
        "--client-id",
        t.client_id,
    ]
    cmd += [
        "--client-secret",
        t.client_secret,
        "--redirect-uri",
        REDIRECT,
        "--email",
        t.email,
        "--password",
        PASSWORD,
    ]
    cmd += ["--concurrency", str(concurrency), "--duration", str(seconds)]
    if t.is_peer:
        cmd += ["--consent-prompt"]
    if probe:
        cmd += ["--probe", f"{t.url}/.well-known/openid-configuration"]
    out = subprocess.run(
        cmd, check=False, capture_output=True, text=True, timeout=seconds + 120
    )
    try:
        res = json.loads(out.stdout.strip().splitlines()[-1])
    except (IndexError, json.JSONDecodeError):
        log(f"{t.name} {phase}: no result: {out.stderr[-500:]}")
        return {"rate": 0.0, "errors": 1.0}
    if res.get("errors"):
        log(
            f"{t.name} {phase}: {res['errors']} errors, first: {res.get('first_error')}"
        )
    return {k: float(v) for k, v in res.items() if isinstance(v, (int, float))}


def run_phase(t: Target, phase: str, seconds: float) -> dict[str, float]:
    if phase == "discovery":
        return wrk(f"{t.url}/.well-known/openid-configuration", seconds)
    if phase == "jwks":
        path = "/jwks" if t.is_peer else "/.well-known/jwks.json"
        return wrk(f"{t.url}{path}", seconds)
    if phase == "client_credentials":
        body = "grant_type=client_credentials"
        if t.is_peer:
            body += "&resource=urn%3Agatehouse%3Abench&scope=api%3Aread"
        import base64

        basic = base64.b64encode(f"{t.client_id}:{t.client_secret}".encode()).decode()
        env = dict(os.environ, BENCH_BASIC_AUTH=basic, BENCH_TOKEN_BODY=body)
        token_path = "/token" if t.is_peer else "/oauth2/token"
        return wrk(f"{t.url}{token_path}", seconds, HERE / "token.lua", env)
    if phase == "login_storm":
        return flows(t, "login", seconds, 8, probe=True)
    return flows(t, phase, seconds, int(os.environ.get("BENCH_FLOW_CONCURRENCY", "8")))


def rsa_ceiling(seconds: float) -> float:
    """`openssl speed -multi <cores> rsa2048`: RS256 signatures per second on every core."""
    cores = os.cpu_count() or 1
    out = subprocess.run(
        [
            "openssl",
            "speed",
            "-multi",
            str(cores),
            "-seconds",
            str(max(1, round(seconds))),
            "rsa2048",
        ],
        check=False,
        capture_output=True,
        text=True,
        timeout=seconds * 4 + 60,
    ).stdout
    rsa = 0.0
    lines = out.splitlines()
    for i, line in enumerate(lines):
        if "sign/s" in line:
            header = line.split()
            for row in lines[i + 1 :]:
                if row.startswith("rsa") and "2048" in row:
                    vals = row.split()
                    rsa = float(vals[len(vals) - len(header) + header.index("sign/s")])
    return rsa


def argon2_ceiling(seconds: float) -> float:
    """Our own argon2id parameters and crate, one hash per core (gatehouse-argon2-rate)."""
    rate_bin = Path(os.environ["GATEHOUSE_BIN"]).with_name("gatehouse-argon2-rate")
    argon = ""
    if rate_bin.exists():
        argon = subprocess.run(
            [str(rate_bin), str(max(1, round(seconds)))],
            check=False,
            capture_output=True,
            text=True,
            timeout=seconds + 120,
        ).stdout
    else:
        log(f"{rate_bin} not found: no argon2id ceiling")
    return float(json.loads(argon)["hashes_per_second"]) if argon.strip() else 0.0


def fmt(x: float | None, unit: str = "") -> str:
    if x is None or math.isnan(x):
        return "–"
    if x >= 1000:
        return f"{x / 1000:.1f}k{unit}"
    return f"{x:.0f}{unit}" if x >= 10 else f"{x:.1f}{unit}"


def main() -> int:
    smoke = "--smoke" in sys.argv
    names = os.environ.get("BENCH_TARGETS", "sqlite,postgres,peer").split(",")
    seconds = float(os.environ.get("BENCH_DURATION", "1" if smoke else "10"))
    rounds = int(os.environ.get("BENCH_ROUNDS", "1" if smoke else "2"))
    settle = float(os.environ.get("BENCH_SETTLE", "2" if smoke else "60"))
    phases = [
        "discovery",
        "jwks",
        "client_credentials",
        "code",
        "refresh",
        "userinfo",
        "introspect",
        "login_storm",
    ]
    targets = [Target(n) for n in names]
    results: dict[tuple[str, str], list[dict[str, float]]] = {}
    try:
        for t in targets:
            t.start()
        # The ceilings are measured right before the phases they bound, in every round: this
        # machine's speed drifts by a third within minutes (other tenants), so a ceiling
        # taken at the start of the run is not comparable with a phase ten minutes later.
        rsa_runs: list[float] = []
        argon_runs: list[float] = []
        for r in range(rounds):
            order = targets[r % len(targets) :] + targets[: r % len(targets)]
            for phase in phases:
                if phase == "client_credentials":
                    rsa_runs.append(rsa_ceiling(seconds))
                    log(f"round {r + 1} RSA ceiling {rsa_runs[-1]:.0f} sign/s")
                if phase == "login_storm":
                    argon_runs.append(argon2_ceiling(seconds))
                    log(f"round {r + 1} argon2id ceiling {argon_runs[-1]:.1f} hashes/s")
                for t in order:
                    if phase == "login_storm" and t.is_peer:
                        continue
                    res = run_phase(t, phase, seconds)
                    assert t.proc is not None
                    rss = rss_mib(t.proc.pid)
                    t.rss[f"after {phase}"] = max(t.rss.get(f"after {phase}", 0.0), rss)
                    t.rss["peak"] = max(t.rss.get("peak", 0.0), rss)
                    log(
                        f"round {r + 1} {phase:<18} {t.name:<8} {json.dumps(res)} rss={rss:.0f}MiB"
                    )
                    results.setdefault((phase, t.name), []).append(res)
        log(f"waiting {settle:.0f}s for memory to settle")
        time.sleep(settle)
        for t in targets:
            assert t.proc is not None
            t.rss["settled"] = rss_mib(t.proc.pid)
    finally:
        for t in targets:
            t.stop()
    ceil = {
        "rsa2048_sign_per_s": statistics.median(rsa_runs) if rsa_runs else 0.0,
        "argon2id_per_s": statistics.median(argon_runs) if argon_runs else 0.0,
        "cores": float(os.cpu_count() or 1),
        "rsa_runs": rsa_runs,
        "argon_runs": argon_runs,
    }
    table = render(targets, results, ceil, seconds, rounds, settle)
    print(table)
    out = os.environ.get(
        "BENCH_OUT", "" if smoke else str(ROOT / "docs" / "benchmarks.md")
    )
    if out:
        Path(out).write_text(table)
        log(f"wrote {out}")
    return 0


def med(
    results: dict[tuple[str, str], list[dict[str, float]]],
    phase: str,
    target: str,
    key: str = "rate",
) -> float | None:
    vals = [r.get(key, 0.0) for r in results.get((phase, target), [])]
    return statistics.median(vals) if vals else None


def render(
    targets: list[Target],
    results: dict[tuple[str, str], list[dict[str, float]]],
    ceil: dict[str, Any],
    seconds: float,
    rounds: int,
    settle: float,
) -> str:
    names = [t.name for t in targets]
    head = {
        "sqlite": "Gatehouse SQLite",
        "postgres": "Gatehouse Postgres",
        "peer": "oidc-provider 9.13",
    }
    peer = "peer" in names
    rows: list[list[str]] = []

    def ratio(phase: str, name: str, key: str = "rate") -> str:
        mine, theirs = med(results, phase, name, key), med(results, phase, "peer", key)
        if not peer or name == "peer" or not mine or not theirs:
            return ""
        return f" ({mine / theirs:.1f}×)"

    labels = {
        "discovery": "discovery req/s",
        "jwks": "JWKS req/s",
        "client_credentials": "client_credentials, RS256 JWT, req/s",
        "code": "code flow, live session (authorize → token → userinfo) flows/s",
        "refresh": "refresh req/s",
        "userinfo": "userinfo req/s",
        "introspect": "introspection req/s",
    }
    goals = {
        "discovery": "≥ peer",
        "jwks": "≥ peer",
        "client_credentials": "≥ 1.5× peer and ≥ 60% of the RS256 sign rate",
        "code": "≥ 3× peer on SQLite, ≥ 2× on Postgres",
    }
    for phase, label in labels.items():
        row = [label]
        for n in names:
            v = med(results, phase, n)
            cell = fmt(v) + ratio(phase, n)
            if (
                phase == "client_credentials"
                and n != "peer"
                and v
                and ceil["rsa2048_sign_per_s"]
            ):
                cell += f", {100 * v / ceil['rsa2048_sign_per_s']:.0f}% of RSA"
            errs = sum(r.get("errors", 0.0) for r in results.get((phase, n), []))
            if errs:
                cell += f" [{errs:.0f} errors]"
            row.append(cell)
        row.append(goals.get(phase, ""))
        rows.append(row)
    row = ["password logins/s (c=8); discovery p99 during"]
    for n in names:
        v = med(results, "login_storm", n)
        p = med(results, "login_storm", n, "probe_p99_ms")
        pct = (
            f", {100 * v / ceil['argon2id_per_s']:.0f}% of argon2id"
            if v and ceil["argon2id_per_s"]
            else ""
        )
        row.append("–" if v is None else f"{fmt(v)}{pct}; p99 {fmt(p, ' ms')}")
    rows.append([*row, "≥ 90% of the raw argon2id rate"])
    row = ["RSS MiB: idle → peak → settled"]
    for t in targets:
        row.append(
            f"{fmt(t.rss.get('idle'))} → {fmt(t.rss.get('peak'))} → {fmt(t.rss.get('settled'))}"
        )
    rows.append([*row, "< 100 MiB under load, back near idle after"])
    rows.append(
        [
            "start, exec → first discovery 200: restart on existing data; first start (empty database)",
            *[f"{t.restart_ms:.0f} ms; first {t.start_ms:.0f} ms" for t in targets],
            "< 200 ms",
        ]
    )
    width = len(names) + 2
    lines = [
        "| | " + " | ".join(head.get(n, n) for n in names) + " | goal |",
        "|" + "---|" * width,
        *("| " + " | ".join(r) + " |" for r in rows),
    ]
    rss_lines = [
        f"- {t.name}: " + ", ".join(f"{k} {v:.0f}" for k, v in t.rss.items())
        for t in targets
    ]
    cpu = next(
        (
            ln.split(":", 1)[1].strip()
            for ln in Path("/proc/cpuinfo").read_text().splitlines()
            if "model name" in ln
        ),
        "?",
    )
    cmd = "scripts/bench " + " ".join(sys.argv[1:])
    rev = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"],
        cwd=ROOT,
        check=False,
        capture_output=True,
        text=True,
    ).stdout.strip()
    return "\n".join(
        [
            "# Benchmarks",
            "",
            f"Command: `{cmd.strip()}` (commit {rev}, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}).",
            f"Machine: {int(ceil['cores'])} cores ({cpu}), {platform.system()} {platform.release()}; shared with other work,",
            "so figures are indicative; compare columns of one run only.",
            (
                f"Each measurement {seconds:.0f} s; {rounds} interleaved round(s), medians shown; wrk "
                f"{os.environ.get('BENCH_THREADS', '2')} threads × {os.environ.get('BENCH_CONNECTIONS', '32')} connections; "
                f"flows with {os.environ.get('BENCH_FLOW_CONCURRENCY', '8')} concurrent clients (driver: `scripts/bench.d/flows.rs`, one thread)."
            ),
            (
                f"Ceilings, measured right before the phase they bound in each round (median; per round): "
                f"`openssl speed -multi {int(ceil['cores'])} rsa2048` {ceil['rsa2048_sign_per_s']:.0f} sign/s "
                f"({', '.join(f'{v:.0f}' for v in ceil['rsa_runs'])}); argon2id (m=19 MiB, t=2, p=1, one hash per core) "
                f"{ceil['argon2id_per_s']:.1f} hashes/s ({', '.join(f'{v:.1f}' for v in ceil['argon_runs'])})."
            ),
            "",
            *lines,
            "",
            f"RSS (MiB) after each phase (max over rounds); settled = {settle:.0f} s after the last phase:",
            "",
            *rss_lines,
            "",
        ]
    )


if __name__ == "__main__":
    sys.exit(main())
