import streamlit as st

if not st.user.is_logged_in:
    st.button("Log in with Gatehouse", on_click=st.login)
    st.stop()

st.write(f"Hello, {st.user.name} ({st.user.email})")
st.button("Log out", on_click=st.logout)
