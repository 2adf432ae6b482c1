"""`python -m gatehouse_auth streamlit-secrets`: prints the `.streamlit/secrets.toml` for an app."""

from __future__ import annotations

import argparse
import os
import sys

from .secrets_toml import streamlit_secrets


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m gatehouse_auth")
    sub = parser.add_subparsers(dest="command", required=True)
    s = sub.add_parser("streamlit-secrets", help="print .streamlit/secrets.toml for st.login() with Gatehouse")
    s.add_argument("--issuer", default=os.environ.get("GATEHOUSE_ISSUER"))
    s.add_argument("--client-id", default=os.environ.get("GATEHOUSE_CLIENT_ID"))
    s.add_argument("--client-secret", default=os.environ.get("GATEHOUSE_CLIENT_SECRET"))
    s.add_argument("--redirect-uri", default="http://localhost:8501/oauth2callback")
    s.add_argument("--cookie-secret", default=None, help="default: a fresh random one")
    s.add_argument("--prompt-login", action="store_true", help="always ask for the password (prompt=login)")
    args = parser.parse_args(argv)
    missing = [n for n in ("issuer", "client_id", "client_secret") if not getattr(args, n)]
    if missing:
        names = ", ".join("--" + n.replace("_", "-") for n in missing)
        parser.error(f"missing {names} (or GATEHOUSE_ISSUER / GATEHOUSE_CLIENT_ID / GATEHOUSE_CLIENT_SECRET)")
    sys.stdout.write(
        streamlit_secrets(
            args.issuer, args.client_id, args.client_secret, args.redirect_uri, args.cookie_secret, args.prompt_login
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
