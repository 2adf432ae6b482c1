"""Mail over real SMTP: Gatehouse delivers to the aiosmtpd sink started by scripts/test
(GATEHOUSE_SMTP_URL points at it), and the test follows the links in what arrived."""

from __future__ import annotations

import email
import email.policy
import os
import re
import secrets
import time
from pathlib import Path

import pytest
import requests

MAIL_DIR = os.environ.get("GATEHOUSE_TEST_MAIL_DIR")
pytestmark = pytest.mark.skipif(
    not MAIL_DIR, reason="no SMTP sink (run through scripts/test)"
)


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "the form carries a CSRF token"
    return match.group(1).replace("&#x2d;", "-").replace("&#x5f;", "_")


def wait_for_mail(
    to: str, subject_part: str, timeout: float = 20.0
) -> email.message.EmailMessage:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for path in sorted(Path(MAIL_DIR).glob("*.eml")):
            msg = email.message_from_bytes(
                path.read_bytes(), policy=email.policy.default
            )
            if msg["To"] == to and subject_part in msg["Subject"]:
                return msg
        time.sleep(0.1)
    raise AssertionError(f"no mail to {to} with {subject_part!r} within {timeout}s")


def link_in(msg: email.message.EmailMessage, path: str) -> str:
    text = msg.get_body(preferencelist=("plain",)).get_content()
    html = msg.get_body(preferencelist=("html",)).get_content()
    links = [w for w in text.split() if w.startswith("http") and path in w]
    assert links, f"no {path} link in:\n{text}"
    assert links[0] in html.replace("&amp;", "&"), "the HTML body carries the same link"
    return links[0]


def test_signup_mail_arrives_over_smtp_and_its_link_verifies(gatehouse) -> None:
    s = requests.Session()
    addr = f"smtp-{secrets.token_hex(4)}@example.com"
    page = s.get(gatehouse.url + "/signup")
    assert page.status_code == 200
    res = s.post(
        gatehouse.url + "/signup",
        data={
            "csrf_token": csrf_of(page.text),
            "email": addr,
            "password": "smtp test password",
            "first_name": "Sam",
        },
        allow_redirects=False,
    )
    assert res.status_code == 200 and "Check your email" in res.text
    msg = wait_for_mail(addr, "Confirm your email")
    assert msg["From"] and "Gatehouse" in msg["From"]
    assert msg.is_multipart() and msg.get_content_type() == "multipart/alternative"
    res = s.get(link_in(msg, "/verify-email"), allow_redirects=False)
    assert (
        res.status_code == 303
        and res.headers["location"] == "/account?notice=email-confirmed"
    )
    account = s.get(gatehouse.url + "/account", allow_redirects=False)
    assert account.status_code == 200 and addr in account.text
    # The link was single use.
    assert (
        requests.get(link_in(msg, "/verify-email"), allow_redirects=False).status_code
        == 400
    )


def test_password_reset_mail_over_smtp(gatehouse, make_user) -> None:
    alice = make_user()  # a fresh user: the shared fixture user keeps its password
    s = requests.Session()
    page = s.get(gatehouse.url + "/forgot-password")
    res = s.post(
        gatehouse.url + "/forgot-password",
        data={"csrf_token": csrf_of(page.text), "email": alice.email},
    )
    assert res.status_code == 200
    msg = wait_for_mail(alice.email, "Reset your password")
    form = s.get(link_in(msg, "/reset-password"))
    assert form.status_code == 200 and 'id="reset-form"' in form.text
    token = re.search(r'name="token" value="([^"]+)"', form.text).group(1)
    res = s.post(
        gatehouse.url + "/reset-password",
        data={
            "csrf_token": csrf_of(form.text),
            "token": token,
            "password": "reset over smtp",
        },
        allow_redirects=False,
    )
    assert res.status_code == 303 and res.headers["location"].startswith("/login")
