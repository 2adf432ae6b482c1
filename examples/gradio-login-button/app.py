"""Gradio's own gr.LoginButton / gr.OAuthProfile, pointed at Gatehouse.

Gradio attaches real OAuth only when it believes it runs in a Hugging Face Space, so set
SYSTEM=spaces and SPACE_ID, plus OAUTH_CLIENT_ID, OAUTH_CLIENT_SECRET, OAUTH_SCOPES and
OPENID_PROVIDER_URL (see README.md). These are read when gradio is imported.

Run: python app.py   (serves http://127.0.0.1:7861)
"""

from __future__ import annotations

import os

import gradio as gr


def hello(profile: gr.OAuthProfile | None) -> str:
    if profile is None:
        return "You are not logged in."
    return f"Hello, {profile.name} ({profile.username})"


with gr.Blocks(title="Gatehouse + gr.LoginButton") as demo:
    gr.LoginButton(elem_id="login-button")
    greeting = gr.Markdown(elem_id="greeting")
    demo.load(hello, None, greeting)

if __name__ == "__main__":
    demo.launch(
        server_name=os.environ.get("GRADIO_SERVER_NAME", "127.0.0.1"),
        server_port=int(os.environ.get("GRADIO_SERVER_PORT", "7861")),
    )
