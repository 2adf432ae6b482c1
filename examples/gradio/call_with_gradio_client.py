"""Calls the protected Gradio app from a script with gradio_client and a Bearer token
(a Gatehouse access token or an end-user API key).

    GRADIO_URL=http://localhost:7860 GATEHOUSE_TOKEN=... python call_with_gradio_client.py
"""

from __future__ import annotations

import os
import sys

from gradio_client import Client


def main() -> int:
    url = os.environ.get("GRADIO_URL", "http://localhost:7860")
    token = os.environ.get("GATEHOUSE_TOKEN")
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    try:
        client = Client(url, headers=headers, verbose=False)
        print(client.predict(api_name="/whoami"))
    except Exception as exc:
        print(f"refused: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
