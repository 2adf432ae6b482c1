#!/bin/sh
# One-shot set-up for the examples profile, run with the Gatehouse image (as root, after the
# server has created its master key) against the same database and data volume: a demo org with an Owner, an Admin and a Member, an integration API key and one
# client per example. Writes JSON files to /shared (a volume the example containers read).
set -eu
cd /shared
# Let the server create the master key (as its own user) and apply the migrations first.
i=0
until [ -f /var/lib/gatehouse/master.key ]; do
  i=$((i + 1)); [ "$i" -gt 120 ] && { echo "gatehouse did not start" >&2; exit 1; }
  sleep 0.5
done
gatehouse migrate >/dev/null
[ -f .done ] && { echo "examples already set up"; exit 0; }
cat > roles.json <<'JSON'
{"name": "Default", "multi_role": false,
 "roles": [{"name": "Owner", "permissions": ["gatehouse::can_invite", "gatehouse::can_change_roles", "gatehouse::can_remove_users", "gatehouse::can_manage_org", "can_view_billing"]},
           {"name": "Admin", "permissions": ["gatehouse::can_invite", "gatehouse::can_change_roles", "gatehouse::can_remove_users", "gatehouse::can_manage_org", "can_view_billing"]},
           {"name": "Member", "permissions": []}]}
JSON
gatehouse roles set --file roles.json >/dev/null
for who in owner admin member; do
  gatehouse user create --email "$who@example.com" --password "demo password $who" \
    --first-name "$who" --last-name Demo --email-verified >/dev/null
done
org=$(gatehouse org create --name "Demo Org" --owner-email owner@example.com | sed 's/.*"org_id":"\([^"]*\)".*/\1/')
gatehouse org add-member --org-id "$org" --email admin@example.com --role Admin >/dev/null
gatehouse org add-member --org-id "$org" --email member@example.com --role Member >/dev/null
gatehouse api-key create --name examples > api_key.json
gatehouse client create --name gradio --redirect-uri http://localhost:7860/auth/callback \
  --post-logout-redirect-uri http://localhost:7860/auth/logged-out > gradio.json
gatehouse client create --name fastapi --redirect-uri http://localhost:8000/auth/callback \
  --post-logout-redirect-uri http://localhost:8000/auth/logged-out > fastapi.json
gatehouse client create --name flask --redirect-uri http://localhost:5000/auth/callback \
  --post-logout-redirect-uri http://localhost:5000/auth/logged-out > flask.json
gatehouse client create --name streamlit --redirect-uri http://localhost:8501/oauth2callback > streamlit.json
touch .done
echo "examples set up: log in as owner@example.com / 'demo password owner' (also admin, member)"
