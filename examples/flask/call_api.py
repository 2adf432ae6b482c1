"""Calls the protected API from a script with a Bearer token.

The token is a Gatehouse access token minted for a user through the backend API (the integration
key GATEHOUSE_API_KEY is a server secret: run this where the app runs), or any token or end-user
API key you pass in GATEHOUSE_TOKEN.

    API_URL=http://localhost:5000 GATEHOUSE_ISSUER=... GATEHOUSE_API_KEY=... python call_api.py alice@example.com
"""

from __future__ import annotations

import os
import sys

import httpx


def token_for(email: str) -> str:
    issuer = os.environ["GATEHOUSE_ISSUER"].rstrip("/")
    api = httpx.Client(
        base_url=f"{issuer}/api/backend/v1", headers={"Authorization": f"Bearer {os.environ['GATEHOUSE_API_KEY']}"}
    )
    user = api.get("/user/email", params={"email": email}).raise_for_status().json()
    resp = api.post("/access_token", json={"user_id": user["user_id"], "duration_in_minutes": 10})
    return resp.raise_for_status().json()["access_token"]


def main() -> int:
    base = os.environ.get("API_URL", "http://localhost:5000").rstrip("/")
    token = os.environ.get("GATEHOUSE_TOKEN") or token_for(sys.argv[1])
    headers = {"Authorization": f"Bearer {token}"}
    me = httpx.get(f"{base}/api/me", headers=headers)
    print(me.status_code, me.text)
    return 0 if me.status_code == 200 else 1


if __name__ == "__main__":
    raise SystemExit(main())
