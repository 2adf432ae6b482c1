//! The load driver of `scripts/bench` for what wrk cannot drive: the code flow with a live
//! session, refresh, userinfo, introspection and a password-login storm, against Gatehouse or
//! the peer. Every loop is bounded by --duration; loopback only. Prints one JSON line.
//!
//!   bench-flows --phase code --base http://127.0.0.1:8080 --client-id ID --client-secret S \
//!     --redirect-uri http://127.0.0.1:9/cb --email alice@example.com --password pw \
//!     --concurrency 8 --duration 10 [--probe URL]   # --probe: GET URL every 50 ms, report p99
//!     [--consent-prompt]                              # the peer: offline_access needs prompt=consent
//!
//! Rust rather than Node (issue 12): the driver shares the machine's two cores with the server
//! it measures. The Node driver it replaces spent ~0.45–0.65 ms of CPU per code flow and ~1 ms
//! per login, a third of a core at the rates measured, taken from a server that can use both
//! cores (the peer is one Node process and uses one). One thread, one HTTP/1.1 keep-alive
//! pool, cookies kept per simulated browser.

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use rand::RngCore as _;
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, COOKIE, LOCATION, SET_COOKIE};
use reqwest::{Client, Method, redirect};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

type Res<T> = Result<T, String>;

struct Args {
    phase: String,
    base: String,
    client_id: String,
    client_secret: String,
    redirect_uri: String,
    email: String,
    password: String,
    concurrency: usize,
    duration: Duration,
    probe: Option<String>,
    consent_prompt: bool,
}

fn parse_args() -> Res<Args> {
    let mut map: HashMap<String, String> = HashMap::new();
    let raw: Vec<String> = std::env::args().skip(1).collect();
    let mut i = 0;
    while i < raw.len() {
        let key = raw[i].strip_prefix("--").ok_or_else(|| format!("unexpected argument `{}`", raw[i]))?.to_string();
        match raw.get(i + 1).filter(|v| !v.starts_with("--")) {
            Some(v) => {
                map.insert(key, v.clone());
                i += 2;
            }
            None => {
                map.insert(key, "true".into());
                i += 1;
            }
        }
    }
    let need = |k: &str| map.get(k).cloned().ok_or_else(|| format!("--{k} is required"));
    let number = |k: &str, default: f64| -> Res<f64> {
        map.get(k).map_or(Ok(default), |v| v.parse::<f64>().map_err(|_| format!("--{k} must be a number")))
    };
    let phase = need("phase")?;
    let login = phase == "login";
    Ok(Args {
        base: need("base")?,
        client_id: if login { map.get("client-id").cloned().unwrap_or_default() } else { need("client-id")? },
        client_secret: if login { map.get("client-secret").cloned().unwrap_or_default() } else { need("client-secret")? },
        redirect_uri: map.get("redirect-uri").cloned().unwrap_or_else(|| "http://127.0.0.1:9/cb".into()),
        email: need("email")?,
        password: need("password")?,
        concurrency: number("concurrency", 8.0)?.max(1.0) as usize,
        duration: Duration::from_secs_f64(number("duration", 10.0)?.clamp(0.01, 3600.0)),
        probe: map.get("probe").cloned(),
        consent_prompt: map.contains_key("consent-prompt"),
        phase,
    })
}

/// What the driver knows of the server: its endpoints and the client's Basic credentials.
struct Server {
    http: Client,
    args: Args,
    basic: String,
    authorization: String,
    token: String,
    userinfo: String,
    introspection: String,
}

/// The cookies of one simulated browser.
#[derive(Default)]
struct Jar(Vec<(String, String)>);

impl Jar {
    fn header(&self) -> String {
        self.0.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("; ")
    }

    fn take(&mut self, headers: &reqwest::header::HeaderMap) {
        for line in headers.get_all(SET_COOKIE).iter().filter_map(|v| v.to_str().ok()) {
            let pair = line.split(';').next().unwrap_or("");
            if let Some((k, v)) = pair.split_once('=').filter(|(k, _)| !k.trim().is_empty()) {
                let (k, v) = (k.trim().to_string(), v.trim().to_string());
                match self.0.iter_mut().find(|(name, _)| *name == k) {
                    Some(slot) => slot.1 = v,
                    None => self.0.push((k, v)),
                }
            }
        }
    }
}

struct Reply {
    status: u16,
    location: Option<String>,
    body: String,
}

impl Server {
    async fn send(
        &self,
        jar: Option<&mut Jar>,
        method: Method,
        url: &str,
        form: Option<&[(&str, &str)]>,
        auth: Option<&str>,
    ) -> Res<Reply> {
        let mut req = self.http.request(method.clone(), url);
        if let Some(jar) = jar.as_ref().filter(|j| !j.0.is_empty()) {
            req = req.header(COOKIE, jar.header());
        }
        if let Some(auth) = auth {
            req = req.header(AUTHORIZATION, auth);
        }
        if let Some(form) = form {
            let body = serde_urlencoded::to_string(form).map_err(|e| e.to_string())?;
            req = req.header(CONTENT_TYPE, "application/x-www-form-urlencoded").body(body);
        }
        let res = req.send().await.map_err(|e| format!("{method} {url}: {e}"))?;
        if let Some(jar) = jar {
            jar.take(res.headers());
        }
        let status = res.status().as_u16();
        let location = res.headers().get(LOCATION).and_then(|v| v.to_str().ok()).map(str::to_string);
        let body = res.text().await.map_err(|e| format!("{method} {url}: {e}"))?;
        Ok(Reply { status, location, body })
    }

    /// Follows redirects and fills the sign-in form (Gatehouse's or the peer's dev
    /// interaction) until the client's redirect URI receives a code.
    async fn code_for(&self, jar: &mut Jar, scope: &str, consent: bool) -> Res<(String, String)> {
        let verifier = b64url(&random::<32>());
        let challenge = b64url(&Sha256::digest(verifier.as_bytes()));
        let (state, nonce) = (b64url(&random::<8>()), b64url(&random::<8>()));
        let mut q = vec![
            ("response_type", "code"),
            ("client_id", self.args.client_id.as_str()),
            ("redirect_uri", self.args.redirect_uri.as_str()),
            ("scope", scope),
            ("state", &state),
            ("code_challenge", &challenge),
            ("code_challenge_method", "S256"),
            ("nonce", &nonce),
        ];
        if consent {
            q.push(("prompt", "consent"));
        }
        let mut url = format!("{}?{}", self.authorization, serde_urlencoded::to_string(&q).map_err(|e| e.to_string())?);
        let mut res = self.send(Some(jar), Method::GET, &url, None, None).await?;
        for _ in 0..12 {
            if (300..400).contains(&res.status) {
                let loc = res.location.as_deref().ok_or("a redirect without Location")?;
                let next = url::Url::parse(&url).and_then(|u| u.join(loc)).map_err(|e| e.to_string())?;
                if next.as_str().starts_with(&self.args.redirect_uri) {
                    let code = next.query_pairs().find(|(k, _)| k == "code").map(|(_, v)| v.into_owned());
                    return code.map(|c| (c, verifier)).ok_or_else(|| format!("no code: {next}"));
                }
                url = next.to_string();
                res = self.send(Some(jar), Method::GET, &url, None, None).await?;
                continue;
            }
            if res.status != 200 {
                return Err(format!("{} at {url}: {}", res.status, res.body.chars().take(200).collect::<String>()));
            }
            let action = form_action(&res.body).unwrap_or_else(|| url.clone());
            let mut form = hidden_inputs(&res.body);
            for (field, value) in [("login", &self.args.email), ("email", &self.args.email), ("password", &self.args.password)] {
                if res.body.contains(&format!("name=\"{field}\"")) {
                    form.push((field.to_string(), value.clone()));
                }
            }
            url = url::Url::parse(&url).and_then(|u| u.join(&action)).map_err(|e| e.to_string())?.to_string();
            let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            res = self.send(Some(jar), Method::POST, &url, Some(&pairs), None).await?;
        }
        Err("too many steps to a code".into())
    }

    async fn token_call(&self, form: &[(&str, &str)]) -> Res<Value> {
        let res = self.send(None, Method::POST, &self.token, Some(form), Some(&self.basic)).await?;
        if res.status != 200 {
            return Err(format!("token {}: {}", res.status, res.body));
        }
        serde_json::from_str(&res.body).map_err(|e| format!("token: {e}"))
    }

    /// The measured flows ask for no refresh token (the same work on both servers); the
    /// set-up asks for offline_access (the peer, as the spec says, only with prompt=consent).
    async fn redeem(&self, jar: &mut Jar, scope: &str, consent: bool) -> Res<Value> {
        let (code, verifier) = self.code_for(jar, scope, consent).await?;
        self.token_call(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("code_verifier", &verifier),
            ("redirect_uri", &self.args.redirect_uri),
        ])
        .await
    }

    async fn userinfo(&self, access_token: &str) -> Res<()> {
        let res = self.send(None, Method::GET, &self.userinfo, None, Some(&format!("Bearer {access_token}"))).await?;
        if res.status != 200 {
            return Err(format!("userinfo {}", res.status));
        }
        Ok(())
    }

    /// A whole password login (the sign-in page, then the form) in a fresh browser.
    async fn login(&self) -> Res<()> {
        let mut jar = Jar::default();
        let login = format!("{}/login", self.args.base);
        let page = self.send(Some(&mut jar), Method::GET, &login, None, None).await?;
        let mut form = hidden_inputs(&page.body);
        form.push(("email".into(), self.args.email.clone()));
        form.push(("password".into(), self.args.password.clone()));
        let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let res = self.send(Some(&mut jar), Method::POST, &login, Some(&pairs), None).await?;
        if res.status != 303 {
            return Err(format!("login {}", res.status));
        }
        Ok(())
    }
}

/// One simulated client: a signed-in browser and a token set, made before the clock starts.
struct Worker {
    jar: Jar,
    access_token: String,
    refresh_token: String,
}

impl Worker {
    /// Retried: a sign-in may be told to try again (503) while the server is busy.
    async fn set_up(server: &Server) -> Res<Self> {
        let mut attempt = 1;
        loop {
            let mut jar = Jar::default();
            match server.redeem(&mut jar, "openid email profile offline_access", server.args.consent_prompt).await {
                Ok(tokens) => {
                    let field = |k: &str| tokens.get(k).and_then(Value::as_str).unwrap_or("").to_string();
                    return Ok(Self { access_token: field("access_token"), refresh_token: field("refresh_token"), jar });
                }
                Err(e) if attempt >= 5 => return Err(e),
                Err(_) => {
                    tokio::time::sleep(Duration::from_millis(500 * attempt)).await;
                    attempt += 1;
                }
            }
        }
    }

    async fn op(&mut self, server: &Server) -> Res<()> {
        match server.args.phase.as_str() {
            "code" => {
                let tokens = server.redeem(&mut self.jar, "openid email profile", false).await?;
                server.userinfo(tokens.get("access_token").and_then(Value::as_str).unwrap_or("")).await
            }
            "refresh" => {
                let tokens = server.token_call(&[("grant_type", "refresh_token"), ("refresh_token", &self.refresh_token)]).await?;
                if let Some(next) = tokens.get("refresh_token").and_then(Value::as_str) {
                    self.refresh_token = next.to_string();
                }
                Ok(())
            }
            "userinfo" => server.userinfo(&self.access_token).await,
            "introspect" => {
                let form = [("token", self.access_token.as_str())];
                let res = server.send(None, Method::POST, &server.introspection, Some(&form), Some(&server.basic)).await?;
                let body: Value = serde_json::from_str(&res.body).unwrap_or(Value::Null);
                if res.status != 200 || body.get("active") != Some(&Value::Bool(true)) {
                    return Err(format!("introspect {}: {body}", res.status));
                }
                Ok(())
            }
            "login" => server.login().await,
            other => Err(format!("unknown phase `{other}`")),
        }
    }
}

fn b64url(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

fn random<const N: usize>() -> [u8; N] {
    let mut b = [0u8; N];
    rand::thread_rng().fill_bytes(&mut b);
    b
}

/// The value of attribute `name` in one HTML tag (`name="…"`, double quotes, as both
/// servers write them), with the entities they escape undone.
fn attr(tag: &str, name: &str) -> Option<String> {
    let key = format!(" {name}=\"");
    let start = tag.find(&key)? + key.len();
    let len = tag[start..].find('"')?;
    Some(unescape(&tag[start..start + len]))
}

fn unescape(v: &str) -> String {
    v.replace("&#x2F;", "/").replace("&#x3D;", "=").replace("&quot;", "\"").replace("&#x27;", "'").replace("&amp;", "&")
}

fn tags<'a>(html: &'a str, open: &'a str) -> impl Iterator<Item = &'a str> + 'a {
    html.match_indices(open).filter_map(move |(i, _)| html[i..].find('>').map(|end| &html[i..i + end]))
}

fn hidden_inputs(html: &str) -> Vec<(String, String)> {
    tags(html, "<input")
        .filter(|t| attr(t, "type").as_deref() == Some("hidden"))
        .filter_map(|t| Some((attr(t, "name")?, attr(t, "value").unwrap_or_default())))
        .collect()
}

fn form_action(html: &str) -> Option<String> {
    tags(html, "<form").next().and_then(|t| attr(t, "action"))
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    sorted[((p * sorted.len() as f64) as usize).min(sorted.len() - 1)]
}

fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

async fn discover(http: &Client, args: Args) -> Res<Server> {
    let url = format!("{}/.well-known/openid-configuration", args.base);
    let meta: Value = http.get(&url).send().await.map_err(|e| e.to_string())?.json().await.map_err(|e| e.to_string())?;
    let endpoint = |k: &str| meta.get(k).and_then(Value::as_str).map(str::to_string).ok_or_else(|| format!("discovery has no {k}"));
    let enc = |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
    Ok(Server {
        basic: format!("Basic {}", STANDARD.encode(format!("{}:{}", enc(&args.client_id), enc(&args.client_secret)))),
        authorization: endpoint("authorization_endpoint")?,
        token: endpoint("token_endpoint")?,
        userinfo: endpoint("userinfo_endpoint")?,
        introspection: endpoint("introspection_endpoint").unwrap_or_default(),
        http: http.clone(),
        args,
    })
}

async fn run(args: Args) -> Res<Value> {
    let http = Client::builder()
        .redirect(redirect::Policy::none())
        .timeout(Duration::from_secs(30))
        .pool_max_idle_per_host(args.concurrency + 2)
        .build()
        .map_err(|e| e.to_string())?;
    let server = Arc::new(discover(&http, args).await?);
    let mut workers = Vec::new();
    for _ in 0..server.args.concurrency {
        workers.push(if server.args.phase == "login" {
            Worker { jar: Jar::default(), access_token: String::new(), refresh_token: String::new() }
        } else {
            Worker::set_up(&server).await?
        });
    }
    let t0 = Instant::now();
    let end = t0 + server.args.duration;
    let prober = server.args.probe.clone().map(|url| {
        let http = http.clone();
        tokio::spawn(async move {
            let mut lat = Vec::new();
            while Instant::now() < end {
                let s = Instant::now();
                let ok = match http.get(&url).send().await {
                    Ok(r) => r.bytes().await.is_ok(),
                    Err(_) => false,
                };
                lat.push(if ok { s.elapsed().as_secs_f64() * 1000.0 } else { 30_000.0 });
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            lat
        })
    });
    let mut tasks = tokio::task::JoinSet::new();
    for mut w in workers {
        let server = Arc::clone(&server);
        tasks.spawn(async move {
            let (mut lat, mut errors, mut first_error) = (Vec::new(), 0u64, None::<String>);
            while Instant::now() < end {
                let s = Instant::now();
                match w.op(&server).await {
                    Ok(()) => lat.push(s.elapsed().as_secs_f64() * 1000.0),
                    Err(e) => {
                        errors += 1;
                        first_error.get_or_insert(e);
                    }
                }
            }
            (lat, errors, first_error)
        });
    }
    let (mut lat, mut errors, mut first_error) = (Vec::new(), 0, None);
    while let Some(done) = tasks.join_next().await {
        let (l, e, f) = done.map_err(|e| e.to_string())?;
        lat.extend(l);
        errors += e;
        first_error = first_error.or(f);
    }
    let seconds = t0.elapsed().as_secs_f64();
    lat.sort_by(f64::total_cmp);
    let mut out = json!({
        "phase": server.args.phase, "ops": lat.len(), "seconds": (seconds * 100.0).round() / 100.0,
        "rate": round1(lat.len() as f64 / seconds), "p50_ms": round1(percentile(&lat, 0.5)),
        "p99_ms": round1(percentile(&lat, 0.99)), "errors": errors, "first_error": first_error,
    });
    if let Some(prober) = prober {
        let mut probe = prober.await.map_err(|e| e.to_string())?;
        probe.sort_by(f64::total_cmp);
        out["probe_p99_ms"] = json!(round1(percentile(&probe, 0.99)));
    }
    Ok(out)
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let result = match parse_args() {
        Ok(args) => run(args).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(out) => println!("{out}"),
        Err(e) => {
            eprintln!("bench-flows: {e}");
            std::process::exit(1);
        }
    }
}
