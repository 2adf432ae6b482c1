// Multi-step load for scripts/bench (what wrk cannot drive): the code flow with a live
// session, refresh, userinfo, introspection and a password-login storm, against Gatehouse or
// the peer. Every loop is bounded by --duration; loopback only. Prints one JSON line.
//
//   node flows.mjs --phase code --base http://127.0.0.1:8080 --client-id ID --client-secret S \
//     --redirect-uri http://127.0.0.1:9/cb --email alice@example.com --password pw \
//     --concurrency 8 --duration 10 [--probe URL]   # --probe: GET URL every 50 ms, report p99
//     [--consent-prompt]                              # the peer: offline_access needs prompt=consent
import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';

const args = Object.fromEntries(process.argv.slice(2).reduce((acc, a, i, all) => {
  if (a.startsWith('--')) acc.push([a.slice(2), all[i + 1]?.startsWith('--') || all[i + 1] === undefined ? 'true' : all[i + 1]]);
  return acc;
}, []));
const phase = args.phase;
const base = args.base;
const concurrency = Number(args.concurrency || 8);
const duration = Number(args.duration || 10) * 1000;
const basic = 'Basic ' + Buffer.from(`${encodeURIComponent(args['client-id'])}:${encodeURIComponent(args['client-secret'])}`).toString('base64');
const b64url = (b) => b.toString('base64url');

class Jar {
  constructor() { this.c = new Map(); }
  header() { return [...this.c].map(([k, v]) => `${k}=${v}`).join('; '); }
  take(res) {
    for (const line of res.headers['set-cookie'] || []) {
      const [pair] = line.split(';');
      const i = pair.indexOf('=');
      if (i > 0) this.c.set(pair.slice(0, i).trim(), pair.slice(i + 1).trim());
    }
  }
}

// node:http with keep-alive rather than fetch: the driver shares the cores with the servers,
// and fetch (undici's WHATWG streams) cost about twice the CPU per request.
const agent = new http.Agent({ keepAlive: true });

function send(method, url, headers = {}, body = undefined) {
  return new Promise((resolve, reject) => {
    const h = { ...headers };
    if (body !== undefined) h['content-length'] = Buffer.byteLength(body);
    const r = http.request(url, { method, headers: h, agent, timeout: 30000 }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({ status: res.statusCode, headers: res.headers, text: () => text, json: () => JSON.parse(text) });
      });
    });
    r.on('timeout', () => r.destroy(new Error(`timeout: ${method} ${url}`)));
    r.on('error', reject);
    r.end(body);
  });
}

async function req(jar, method, url, { form, headers = {} } = {}) {
  const h = { ...headers };
  if (jar && jar.c.size) h.cookie = jar.header();
  let body;
  if (form) { body = new URLSearchParams(form).toString(); h['content-type'] = 'application/x-www-form-urlencoded'; }
  const res = await send(method, url, h, body);
  if (jar) jar.take(res);
  return res;
}

const meta = (await send('GET', `${base}/.well-known/openid-configuration`)).json();

function pkce() {
  const verifier = b64url(randomBytes(32));
  return { verifier, challenge: b64url(createHash('sha256').update(verifier).digest()) };
}

function hiddenInputs(html) {
  const out = {};
  for (const tag of html.match(/<input[^>]*>/g) || []) {
    const name = tag.match(/name="([^"]*)"/)?.[1];
    const value = tag.match(/value="([^"]*)"/)?.[1] ?? '';
    const type = tag.match(/type="([^"]*)"/)?.[1];
    if (name && type === 'hidden') out[name] = value.replace(/&amp;/g, '&').replace(/&#x2F;/g, '/').replace(/&#x3D;/g, '=').replace(/&quot;/g, '"');
  }
  return out;
}

// Follows redirects and fills the sign-in form (Gatehouse's or the peer's dev interaction)
// until the client's redirect URI receives a code.
async function codeFor(jar, scope, extra = {}) {
  const { verifier, challenge } = pkce();
  const state = b64url(randomBytes(8));
  const q = new URLSearchParams({ response_type: 'code', client_id: args['client-id'], redirect_uri: args['redirect-uri'], scope, state,
    code_challenge: challenge, code_challenge_method: 'S256', nonce: b64url(randomBytes(8)), ...extra });
  let url = `${meta.authorization_endpoint}?${q}`;
  let res = await req(jar, 'GET', url);
  for (let step = 0; step < 12; step++) {
    if (res.status >= 300 && res.status < 400) {
      const loc = new URL(res.headers.location, url).toString();
      if (loc.startsWith(args['redirect-uri'])) {
        const code = new URL(loc).searchParams.get('code');
        if (!code) throw new Error(`no code: ${loc}`);
        return { code, verifier };
      }
      url = loc;
      res = await req(jar, 'GET', url);
      continue;
    }
    const html = await res.text();
    if (res.status !== 200) throw new Error(`${res.status} at ${url}: ${html.slice(0, 200)}`);
    const action = html.match(/<form[^>]*action="([^"]*)"/)?.[1]?.replace(/&amp;/g, '&') || url;
    const form = { ...hiddenInputs(html) };
    if (/name="login"/.test(html)) form.login = args.email;
    if (/name="email"/.test(html)) form.email = args.email;
    if (/name="password"/.test(html)) form.password = args.password;
    url = new URL(action, url).toString();
    res = await req(jar, 'POST', url, { form });
  }
  throw new Error('too many steps to a code');
}

async function tokenCall(form) {
  const res = await req(null, 'POST', meta.token_endpoint, { form, headers: { authorization: basic } });
  const body = await res.json();
  if (res.status !== 200) throw new Error(`token ${res.status}: ${JSON.stringify(body)}`);
  return body;
}

// The flows measured ask for no refresh token (the same work on both servers); the setup
// asks for offline_access (the peer, as the spec says, only with prompt=consent).
async function redeem(jar, scope = 'openid email profile', extra = {}) {
  const { code, verifier } = await codeFor(jar, scope, extra);
  return tokenCall({ grant_type: 'authorization_code', code, code_verifier: verifier, redirect_uri: args['redirect-uri'] });
}

async function userinfo(accessToken) {
  const res = await req(null, 'GET', meta.userinfo_endpoint, { headers: { authorization: `Bearer ${accessToken}` } });
  if (res.status !== 200) throw new Error(`userinfo ${res.status}`);
}

// Per worker: a signed-in browser and a token set, made before the clock starts.
// Retried: a sign-in may be told to try again (503) while the server is busy.
async function setup() {
  for (let attempt = 1; ; attempt++) {
    const jar = new Jar();
    try {
      const tokens = await redeem(jar, 'openid email profile offline_access', args['consent-prompt'] ? { prompt: 'consent' } : {});
      return { jar, tokens };
    } catch (e) {
      if (attempt >= 5) throw e;
      await new Promise((r) => setTimeout(r, 500 * attempt));
    }
  }
}

const ops = {
  async code(w) { const t = await redeem(w.jar); await userinfo(t.access_token); },
  async refresh(w) {
    const t = await tokenCall({ grant_type: 'refresh_token', refresh_token: w.tokens.refresh_token });
    w.tokens.refresh_token = t.refresh_token || w.tokens.refresh_token;
  },
  async userinfo(w) { await userinfo(w.tokens.access_token); },
  async introspect(w) {
    const res = await req(null, 'POST', meta.introspection_endpoint, { form: { token: w.tokens.access_token }, headers: { authorization: basic } });
    const body = await res.json();
    if (res.status !== 200 || body.active !== true) throw new Error(`introspect ${res.status}: ${JSON.stringify(body)}`);
  },
  // A whole password login (sign-in page, then the form) in a fresh browser.
  async login() {
    const jar = new Jar();
    const page = await req(jar, 'GET', `${base}/login`);
    const form = { ...hiddenInputs(await page.text()), email: args.email, password: args.password };
    const res = await req(jar, 'POST', `${base}/login`, { form });
    if (res.status !== 303) throw new Error(`login ${res.status}`);
  },
};

const percentile = (xs, p) => { if (!xs.length) return null; const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor(p * s.length))]; };

const workers = [];
for (let i = 0; i < concurrency; i++) workers.push(phase === 'login' ? {} : await setup());
const lat = [];
let errors = 0;
let firstError = null;
const t0 = performance.now();
const end = t0 + duration;
const probe = [];
let probing = Boolean(args.probe);
const prober = (async () => {
  while (probing && performance.now() < end) {
    const s = performance.now();
    try { await send('GET', args.probe); probe.push(performance.now() - s); } catch { probe.push(30000); }
    await new Promise((r) => setTimeout(r, 50));
  }
})();
await Promise.all(workers.map(async (w) => {
  while (performance.now() < end) {
    const s = performance.now();
    try { await ops[phase](w); lat.push(performance.now() - s); } catch (e) { errors++; firstError ??= String(e.message || e); }
  }
}));
probing = false;
await prober;
const seconds = (performance.now() - t0) / 1000;
console.log(JSON.stringify({ phase, ops: lat.length, seconds: +seconds.toFixed(2), rate: +(lat.length / seconds).toFixed(1),
  p50_ms: +(percentile(lat, 0.5) ?? 0).toFixed(1), p99_ms: +(percentile(lat, 0.99) ?? 0).toFixed(1), errors, first_error: firstError,
  probe_p99_ms: args.probe ? +(percentile(probe, 0.99) ?? 0).toFixed(1) : undefined }));
