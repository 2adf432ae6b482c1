-- wrk script: POST /oauth2/token with grant_type=client_credentials and HTTP Basic client auth.
-- BENCH_BASIC_AUTH must hold base64(client_id:client_secret) (scripts/bench sets it);
-- BENCH_TOKEN_BODY replaces the form body (the peer needs a resource indicator for a JWT).
local basic = os.getenv("BENCH_BASIC_AUTH")
if basic == nil or basic == "" then
  error("BENCH_BASIC_AUTH is not set")
end

wrk.method = "POST"
local body = os.getenv("BENCH_TOKEN_BODY")
wrk.body = (body ~= nil and body ~= "") and body or "grant_type=client_credentials"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Accept"] = "application/json"
wrk.headers["Authorization"] = "Basic " .. basic
