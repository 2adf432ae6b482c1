"""A Streamlit app behind Gatehouse: st.login() / st.user / st.logout() with orgs and roles.

Run: streamlit run app.py   (secrets in .streamlit/secrets.toml, see README.md)
"""

from __future__ import annotations

from gatehouse_auth.streamlit import logout_button, require_login

import streamlit as st

st.set_page_config(page_title="Gatehouse + Streamlit")

user = require_login()  # a login button and st.stop() until someone is logged in

st.header(f"Welcome, {user.email}")
orgs = user.get_orgs()
if not orgs:
    st.write("You are not a member of any organization.")
else:
    org = st.selectbox("Organization", orgs, format_func=lambda o: o.org_name)
    article = "an" if org.user_assigned_role[:1] in "AEIOU" else "a"
    st.write(f"You are {article} {org.user_assigned_role} in org {org.org_name}")
    if org.user_has_permission("can_view_billing"):
        st.write("You can view billing")
    else:
        st.write("You cannot view billing")
    if org.user_is_at_least_role("Admin"):
        st.info("Admin tools are available to you.")

logout_button()  # ends the Streamlit session and the Gatehouse session
