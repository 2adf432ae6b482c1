#!/bin/sh
# Starts one example (argument: gradio | fastapi | flask | streamlit) with the credentials that
# docker/setup.sh wrote to /shared.
set -eu
name=$1
field() { python -c "import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])" "$@"; }
GATEHOUSE_CLIENT_ID=$(field "/shared/$name.json" client_id)
GATEHOUSE_CLIENT_SECRET=$(field "/shared/$name.json" client_secret)
GATEHOUSE_API_KEY=$(field /shared/api_key.json api_key)
export GATEHOUSE_CLIENT_ID GATEHOUSE_CLIENT_SECRET GATEHOUSE_API_KEY
case $name in
  gradio) cd /app/gradio && exec uvicorn app:app --host 0.0.0.0 --port 7860 ;;
  fastapi) cd /app/fastapi && exec uvicorn app:app --host 0.0.0.0 --port 8000 ;;
  flask) cd /app/flask && exec flask --app app run --host 0.0.0.0 --port 5000 ;;
  streamlit)
    mkdir -p /tmp/st/.streamlit && cd /tmp/st
    python -m gatehouse_auth streamlit-secrets > .streamlit/secrets.toml
    exec streamlit run /app/streamlit/app.py --server.address 0.0.0.0 --server.port 8501 --server.headless true ;;
  *) echo "unknown example: $name" >&2; exit 2 ;;
esac
