// Headless-Chromium login through Gatehouse's hosted login page.
//
// A plain node script (no test runner): only playwright-core and the system Chromium are needed.
// Environment:
//   GATEHOUSE_URL            Gatehouse base URL (= issuer), e.g. http://127.0.0.1:43121
//   GATEHOUSE_CLIENT_ID      a confidential client registered with redirect URI
//   GATEHOUSE_CLIENT_SECRET    http://127.0.0.1:<GATEHOUSE_REDIRECT_PORT>/cb
//   GATEHOUSE_REDIRECT_PORT  port for this script's stand-in client (the redirect URI server)
//   GATEHOUSE_USER_EMAIL, GATEHOUSE_USER_PASSWORD   an existing, verified user
//   GATEHOUSE_TEST_LABEL     optional, used in screenshot names (e.g. sqlite / postgres)
//   CHROMIUM_PATH            default /usr/bin/chromium
//   OUTPUT_DIR               default <repo>/tests/output
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));

function env(name, fallback) {
  const value = process.env[name] ?? fallback;
  if (value === undefined || value === '') {
    console.error(`login.spec: missing environment variable ${name}`);
    process.exit(2);
  }
  return value;
}

const issuer = env('GATEHOUSE_URL').replace(/\/$/, '');
const clientId = env('GATEHOUSE_CLIENT_ID');
const clientSecret = env('GATEHOUSE_CLIENT_SECRET');
const redirectPort = Number(env('GATEHOUSE_REDIRECT_PORT'));
const email = env('GATEHOUSE_USER_EMAIL');
const password = env('GATEHOUSE_USER_PASSWORD');
const label = process.env.GATEHOUSE_TEST_LABEL || 'default';
const chromiumPath = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const outputDir = process.env.OUTPUT_DIR || path.resolve(here, '..', 'output');
const redirectUri = `http://127.0.0.1:${redirectPort}/cb`;
const TIMEOUT = 20_000;

const b64url = (buf) => buf.toString('base64url');
const failures = [];
const check = (ok, message) => {
  if (ok) {
    console.log(`  ok   ${message}`);
  } else {
    console.log(`  FAIL ${message}`);
    failures.push(message);
  }
};

function decodeJwtPayload(jwt) {
  const parts = String(jwt).split('.');
  if (parts.length !== 3) throw new Error(`not a JWS compact token: ${jwt}`);
  return JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'));
}

// The stand-in client: records every request to /cb and answers 200 "ok".
function startRedirectServer() {
  const hits = [];
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, redirectUri);
    if (url.pathname === '/cb') hits.push(url);
    res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
    res.end('ok');
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(redirectPort, '127.0.0.1', () => resolve({ server, hits }));
  });
}

async function main() {
  mkdirSync(outputDir, { recursive: true });
  const shot = (name) => path.join(outputDir, `browser-${label}-${name}.png`);

  const discovery = await (await fetch(`${issuer}/.well-known/openid-configuration`)).json();
  check(discovery.issuer === issuer, `discovery issuer is ${issuer}`);

  const state = b64url(randomBytes(18));
  const nonce = b64url(randomBytes(15));
  const verifier = b64url(randomBytes(48));
  const challenge = b64url(createHash('sha256').update(verifier).digest());
  const authorize = new URL(discovery.authorization_endpoint);
  authorize.search = new URLSearchParams({
    response_type: 'code',
    client_id: clientId,
    redirect_uri: redirectUri,
    scope: 'openid email profile',
    state,
    nonce,
    code_challenge: challenge,
    code_challenge_method: 'S256',
  }).toString();

  const { server, hits } = await startRedirectServer();
  const browser = await chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  try {
    const context = await browser.newContext({ viewport: { width: 1100, height: 800 } });
    const page = await context.newPage();
    page.setDefaultTimeout(TIMEOUT);
    const consoleErrors = [];
    page.on('console', (msg) => {
      if (msg.type() === 'error') consoleErrors.push(msg.text());
    });

    console.log(`login.spec [${label}]: ${authorize.href}`);
    await page.goto(authorize.href, { waitUntil: 'load' });
    await page.waitForSelector('#login-form');
    await page.screenshot({ path: shot('login'), fullPage: true });
    check(new URL(page.url()).origin === issuer, `login page is served by Gatehouse (${new URL(page.url()).pathname})`);

    // A wrong password keeps us on the login page.
    await page.fill('#email', email);
    await page.fill('#password', 'not-the-password-42');
    await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.click('#login-submit')]);
    await page.waitForSelector('#login-form');
    await page.screenshot({ path: shot('wrong-password'), fullPage: true });
    check(!page.url().startsWith(redirectUri) && hits.length === 0, 'wrong password does not reach the client');

    // The right password completes the flow.
    await page.fill('#email', email);
    await page.fill('#password', password);
    await Promise.all([
      page.waitForURL((url) => url.href.startsWith(redirectUri), { timeout: TIMEOUT }),
      page.click('#login-submit'),
    ]);
    await page.waitForLoadState('load');
    await page.screenshot({ path: shot('result'), fullPage: true });

    const landed = new URL(page.url());
    const params = landed.searchParams;
    check(params.get('code'), 'redirect carries a code');
    check(params.get('state') === state, 'state is echoed unchanged');
    check(params.get('iss') === issuer, `iss equals the issuer (got ${params.get('iss')})`);
    check(!params.get('error'), `no error in redirect (got ${params.get('error')} ${params.get('error_description') ?? ''})`);
    check(hits.length === 1, `the client's redirect URI was hit once (hits: ${hits.length})`);
    check((await page.textContent('body'))?.trim() === 'ok', 'the client answered the redirect');

    // The code obtained in the browser works at the token endpoint.
    const code = params.get('code');
    if (code) {
      const resp = await fetch(discovery.token_endpoint, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          accept: 'application/json',
          authorization: `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}`,
        },
        body: new URLSearchParams({
          grant_type: 'authorization_code',
          code,
          redirect_uri: redirectUri,
          code_verifier: verifier,
        }),
      });
      const body = await resp.json().catch(() => ({}));
      check(resp.status === 200, `token exchange answers 200${resp.status === 200 ? '' : ` (got ${resp.status} ${JSON.stringify(body)})`}`);
      if (resp.status === 200) {
        const claims = decodeJwtPayload(body.id_token);
        check(claims.iss === issuer, 'id_token iss equals the issuer');
        check(claims.aud === clientId, 'id_token aud equals the client id');
        check(claims.nonce === nonce, 'id_token nonce is echoed');
        check(claims.email === email, 'id_token carries the email');
      }
    }
    if (consoleErrors.length) console.log(`  note: browser console errors: ${consoleErrors.join(' | ')}`);
  } finally {
    await browser.close();
    server.close();
  }
}

main().then(
  () => {
    if (failures.length) {
      console.error(`login.spec [${label}]: ${failures.length} check(s) failed:\n  - ${failures.join('\n  - ')}`);
      process.exit(1);
    }
    console.log(`login.spec [${label}]: all checks passed (screenshots in ${outputDir})`);
  },
  (err) => {
    console.error(`login.spec [${label}]: ${err?.stack || err}`);
    process.exit(1);
  },
);
