"""A Gradio app mounted in FastAPI, protected by Gatehouse.

Run:  GATEHOUSE_ISSUER=... GATEHOUSE_CLIENT_ID=... GATEHOUSE_CLIENT_SECRET=... GATEHOUSE_API_KEY=... \
      uvicorn app:app --port 7860
"""

from __future__ import annotations

from gatehouse_auth import GatehouseAuth

import gradio as gr
from fastapi import FastAPI

auth = GatehouseAuth()  # GATEHOUSE_ISSUER, GATEHOUSE_CLIENT_ID, GATEHOUSE_CLIENT_SECRET, GATEHOUSE_API_KEY
app = FastAPI()


@app.get("/health")
def health() -> dict[str, bool]:
    return {"ok": True}


auth.protect_app(app, bypass={"/health"})


def on_load(request: gr.Request):
    user = auth.require_user(request)
    orgs = [(org.org_name, org.org_id) for org in user.get_orgs()]
    first = orgs[0][1] if orgs else None
    return (
        f"## Welcome, {user.email}",
        gr.Dropdown(choices=orgs, value=first, label="Organization", interactive=bool(orgs)),
        *describe_org(first, request),
    )


def describe_org(org_id: str | None, request: gr.Request):
    user = auth.require_user(request)
    org = user.get_org(org_id) if org_id else None
    if org is None:
        return "You are not a member of any organization.", ""
    role = (
        f"You are an {org.user_assigned_role} in org {org.org_name}"
        if org.user_assigned_role[0] in "AEIOU"
        else f"You are a {org.user_assigned_role} in org {org.org_name}"
    )
    billing = "You can view billing" if org.user_has_permission("can_view_billing") else "You cannot view billing"
    return role, billing


def send_magic_link(request: gr.Request) -> str:
    user = auth.require_user(request)
    auth.create_magic_link(user.email, expires_in_hours=1)
    return f"Created a one-hour sign-in link for {user.email} (Gatehouse backend API)."


def whoami(request: gr.Request) -> str:
    """Called by scripts through gradio_client with a Bearer token."""
    user = auth.require_user(request)
    return f"{user.email} ({len(user.get_orgs())} orgs)"


# Submits a real form, so the browser follows the redirects to Gatehouse's end-session endpoint.
LOGOUT_JS = """() => { const f = document.createElement('form'); f.method = 'post';
  f.action = '/auth/logout'; document.body.appendChild(f); f.submit(); }"""

with gr.Blocks(title="Gatehouse + Gradio") as demo:
    welcome = gr.Markdown(elem_id="welcome")
    org_select = gr.Dropdown(label="Organization", elem_id="org-select")
    role = gr.Markdown(elem_id="role")
    billing = gr.Markdown(elem_id="billing")
    with gr.Row():
        magic = gr.Button("Create a magic link", elem_id="magic-link")
        logout = gr.Button("Log out", elem_id="logout", variant="stop")
    magic_out = gr.Markdown(elem_id="magic-out")
    who = gr.Textbox(visible=False)

    demo.load(on_load, None, [welcome, org_select, role, billing])
    org_select.change(describe_org, org_select, [role, billing])
    magic.click(send_magic_link, None, magic_out)
    logout.click(None, None, None, js=LOGOUT_JS)
    gr.Button(visible=False).click(whoami, None, who, api_name="whoami")

app = gr.mount_gradio_app(app, demo, path="/", auth_dependency=auth.auth_dependency)
