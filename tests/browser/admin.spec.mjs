// Headless-Chromium walk through the admin dashboard (issue 9), on a server with no admin yet:
//   first-run set-up (the link the server printed) -> create a client with two redirect URIs ->
//   log in to that client through the hosted login page -> rotate its secret -> the old secret
//   is refused at the token endpoint; create an org, add a member, invite another, change the
//   member's role, check the access token's org claims; switch the sidebar off in Look & Feel
//   and see it gone on /account; find each step in the audit log and in its CSV export.
// Then every admin page (and the hosted pages) at 1280 and 390 px: a screenshot each in
// OUTPUT_DIR (admin-<label>-<width>-<name>.png) and axe-core: no serious or critical violations.
// Environment: GATEHOUSE_URL, GATEHOUSE_BIN (+ the server's GATEHOUSE_DATABASE_URL /
// GATEHOUSE_DATA_DIR), GH_SERVER_LOG (for the set-up link), GATEHOUSE_TEST_LABEL, CHROMIUM_PATH,
// OUTPUT_DIR.
import { createHash, randomBytes } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
const axePath = require.resolve('axe-core/axe.min.js');
const need = (name) => {
  const v = process.env[name];
  if (!v) {
    console.error(`admin.spec: missing environment variable ${name}`);
    process.exit(2);
  }
  return v;
};
const issuer = need('GATEHOUSE_URL').replace(/\/$/, '');
const bin = need('GATEHOUSE_BIN');
const serverLog = need('GH_SERVER_LOG');
const label = process.env.GATEHOUSE_TEST_LABEL || 'default';
const outputDir = process.env.OUTPUT_DIR || path.resolve(here, '..', 'output');
const TIMEOUT = 20_000;
mkdirSync(outputDir, { recursive: true });

const failures = [];
const check = (ok, message) => {
  console.log(`  ${ok ? 'ok  ' : 'FAIL'} ${message}`);
  if (!ok) failures.push(message);
};

function cli(...args) {
  const env = { ...process.env };
  delete env.GATEHOUSE_URL;
  delete env.GATEHOUSE_BIN;
  const r = spawnSync(bin, args, { env, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`gatehouse ${args.join(' ')} failed: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

const b64url = (buf) => buf.toString('base64').replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
const jwtClaims = (jwt) => JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString('utf8'));

async function axe(page, name) {
  await page.addScriptTag({ path: axePath });
  const result = await page.evaluate(async () => {
    // eslint-disable-next-line no-undef
    const r = await axe.run(document, { resultTypes: ['violations'] });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.map((n) => n.target.join(' ')).slice(0, 3) }));
  });
  const bad = result.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  check(bad.length === 0, `axe: no serious violations on ${name}${bad.length ? ' ' + JSON.stringify(bad) : ''}`);
}

async function shoot(page, width, name) {
  const file = path.join(outputDir, `admin-${label}-${width}-${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
}

// The authorization code flow in `page` up to the callback, which is intercepted (nothing
// listens there): returns the code.
async function authorizeCode(page, clientId, redirectUri, loginAs) {
  const verifier = b64url(randomBytes(32));
  const challenge = b64url(createHash('sha256').update(verifier).digest());
  const state = b64url(randomBytes(8));
  const q = new URLSearchParams({
    response_type: 'code', client_id: clientId, redirect_uri: redirectUri, scope: 'openid email profile orgs',
    state, code_challenge: challenge, code_challenge_method: 'S256',
  });
  const authorizeUrl = `${issuer}/oauth2/authorize?${q}`;
  let callback = null;
  if (loginAs) {
    // Through the hosted login page: the browser's request to the callback (where nothing
    // listens) is intercepted.
    const atCallback = (url) => url.href.startsWith(`${redirectUri}?`);
    await page.route(atCallback, async (route) => {
      callback = route.request().url();
      await route.fulfill({ status: 200, contentType: 'text/plain', body: 'callback reached' });
    });
    await page.goto(authorizeUrl);
    await page.waitForSelector('#login-form', { timeout: TIMEOUT });
    check(true, 'the client sends the browser to the hosted login page');
    await page.fill('#email', loginAs.email);
    await page.fill('#password', loginAs.password);
    await page.click('#login-submit');
    await page.waitForURL(atCallback, { timeout: TIMEOUT });
    await page.unroute(atCallback);
  } else {
    // Already signed in: the authorization endpoint answers with the redirect at once (read
    // with the browser's cookies, without following it).
    const res = await page.request.get(authorizeUrl, { maxRedirects: 0 });
    callback = res.headers().location || '';
    check(res.status() === 303 || res.status() === 302, `a signed-in browser is sent straight back (${res.status()})`);
  }
  const url = new URL(callback);
  check(url.searchParams.get('state') === state, 'the callback carries our state');
  return { code: url.searchParams.get('code'), verifier };
}

async function redeem(clientId, secret, redirectUri, { code, verifier }) {
  const res = await fetch(`${issuer}/oauth2/token`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(secret)}`).toString('base64')}`,
    },
    body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: redirectUri, code_verifier: verifier }),
  });
  return { status: res.status, body: await res.json().catch(() => ({})) };
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync'],
});
const urls = {};
try {
  const tag = randomBytes(4).toString('hex');
  const adminEmail = `admin-${tag}@example.com`;
  const adminPassword = `Admin walk ${tag} keeps the gate`;
  // bypassCSP only so that axe-core can be injected into the pages.
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 }, bypassCSP: true });
  ctx.setDefaultTimeout(TIMEOUT);
  const page = await ctx.newPage();
  page.on('dialog', (d) => d.accept());

  // 1. First-run set-up with the link the server printed.
  const link = readFileSync(serverLog, 'utf8').match(/https?:\/\/\S+\/setup\?token=[A-Za-z0-9_-]+/);
  check(Boolean(link), 'the server printed a first-run set-up link');
  await page.goto(link[0].replace(/^https?:\/\/[^/]+/, issuer));
  await page.fill('#email', adminEmail);
  await page.fill('#password', adminPassword);
  await Promise.all([page.waitForURL(`${issuer}/admin*`), page.click('#setup-submit')]);
  check((await page.textContent('#admin-email')) === adminEmail, 'set-up signs the first admin in to the dashboard');

  // 2. A client with two redirect URIs.
  // Nothing listens there: the browser's request to the callback is intercepted.
  const cbPort = 20000 + (randomBytes(2).readUInt16BE(0) % 30000);
  const cb1 = `http://127.0.0.1:${cbPort}/cb-${tag}`;
  const cb2 = `http://127.0.0.1:${cbPort}/cb2-${tag}`;
  await page.goto(`${issuer}/admin/clients/new`);
  await page.fill('#client-name', `Walk app ${tag}`);
  await page.check('#client-type-confidential');
  await page.fill('#client-redirect-uris', `${cb1}\n${cb2}`);
  await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.click('#client-create-submit')]);
  const clientId = (await page.textContent('#client-id')).trim();
  const secret1 = (await page.textContent('#client-secret')).trim();
  check(clientId.length > 8 && secret1.length > 16, 'the new client and its secret (shown once) are on the page');
  urls.client = `/admin/clients/${encodeURIComponent(clientId)}`;
  const snippets = await page.textContent('main');
  check(snippets.includes('server_metadata_url') && snippets.includes('oauth.register') && snippets.includes('init_base_auth'),
    'the client page shows the Streamlit, authlib and backend-API snippets');
  check(snippets.includes(clientId), 'the snippets carry the client id');

  // 3. Log in to that client through the hosted login page (a fresh browser).
  const member = { email: `member-${tag}@example.com`, password: `Member walk ${tag} passes` };
  const memberId = cli('user', 'create', '--email', member.email, '--password', member.password, '--first-name', 'Mia',
    '--email-verified').user_id;
  const other = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  other.setDefaultTimeout(TIMEOUT);
  const memberPage = await other.newPage();
  const first = await redeem(clientId, secret1, cb2, await authorizeCode(memberPage, clientId, cb2, member));
  check(first.status === 200 && Boolean(first.body.access_token), `the code is redeemed with the secret (${first.status})`);

  // 4. Rotate the secret, effective at once: the old one is refused at the token endpoint.
  await page.goto(`${issuer}${urls.client}`);
  await page.selectOption('#client-rotate-grace', 'none');
  await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.click('#client-rotate')]);
  if (await page.$('#reauth-password')) {
    await page.fill('#reauth-password', adminPassword);
    await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.click('#reauth-password-submit')]);
    await page.selectOption('#client-rotate-grace', 'none');
    await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.click('#client-rotate')]);
  }
  const secret2 = (await page.textContent('#client-secret')).trim();
  check(secret2.length > 16 && secret2 !== secret1, 'rotation shows a new secret once');
  const old = await redeem(clientId, secret1, cb2, await authorizeCode(memberPage, clientId, cb2, null));
  check(old.status === 401 && old.body.error === 'invalid_client', `the old secret is refused (${old.status} ${old.body.error})`);
  const fresh = await redeem(clientId, secret2, cb1, await authorizeCode(memberPage, clientId, cb1, null));
  check(fresh.status === 200, `the new secret works (${fresh.status})`);

  // 5. An org: create, add the member, invite someone, change the member's role.
  await page.goto(`${issuer}/admin/orgs/new`);
  await page.fill('#new-org-name', `Walk Org ${tag}`);
  await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.click('#org-create-submit')]);
  const orgId = (await page.textContent('#org-id')).trim();
  urls.org = `/admin/orgs/${encodeURIComponent(orgId)}`;
  await page.fill('#add-member-email', member.email);
  await page.selectOption('#add-member-role', 'Member');
  await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.click('#add-member-submit')]);
  check((await page.textContent('#org-members')).includes(member.email), 'the member is listed');
  await page.fill('#invite-email', `invitee-${tag}@example.com`);
  await page.selectOption('#invite-role', 'Member');
  await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.click('#invite-submit')]);
  check((await page.textContent('#pending-invites')).includes(`invitee-${tag}@example.com`), 'the invitation is pending');
  await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.selectOption(`[id="role-${memberId}"]`, 'Admin')]);
  await page.goto(`${issuer}${urls.org}`);
  check((await page.$eval(`[id="role-${memberId}"]`, (s) => s.value)) === 'Admin', 'the member is now an Admin');
  const withOrg = await redeem(clientId, secret2, cb1, await authorizeCode(memberPage, clientId, cb1, null));
  const claims = jwtClaims(withOrg.body.access_token || 'x.e30.x');
  const info = (claims.org_id_to_org_member_info || {})[orgId];
  check(Boolean(info) && info.user_role === 'Admin', `the access token says Admin in the org (${JSON.stringify(info)})`);

  // 6. Look & Feel: the sidebar off, and gone from /account.
  await memberPage.goto(`${issuer}/account`);
  check(Boolean(await memberPage.$('#account-sidebar')), 'the account sidebar is there before');
  await page.goto(`${issuer}/admin/look-and-feel`);
  await page.uncheck('input[name="show_sidebar"]');
  await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.click('#look-save')]);
  await memberPage.goto(`${issuer}/account`);
  check(!(await memberPage.$('#account-sidebar')), 'the account sidebar is gone after switching it off');
  // Back on: the server is shared with the hosted-page suites that run after this walk.
  await page.goto(`${issuer}/admin/look-and-feel`);
  await page.check('input[name="show_sidebar"]');
  await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.click('#look-save')]);
  await memberPage.goto(`${issuer}/account`);
  check(Boolean(await memberPage.$('#account-sidebar')), 'the account sidebar is back after switching it on');

  // 7. Every step in the audit log and its CSV export.
  const steps = ['admin.setup', 'client.created', 'client.secret_rotated', 'org.created', 'org.member_added', 'org.invited',
    'org.role_changed', 'look_and_feel.updated', 'login.succeeded'];
  await page.goto(`${issuer}/admin/audit`);
  const auditText = await page.textContent('#audit-table');
  for (const s of steps) check(auditText.includes(s), `the audit log lists ${s}`);
  await page.goto(`${issuer}/admin/audit?action=client.secret_rotated`);
  const filtered = await page.textContent('#audit-table');
  check(filtered.includes('client.secret_rotated') && !filtered.includes('org.created'), 'the audit filter narrows by action');
  const csvHref = await page.getAttribute('#audit-csv', 'href');
  const csv = await page.request.get(new URL(csvHref, `${issuer}/admin/audit`).toString());
  check(csv.headers()['content-type'].startsWith('text/csv'), 'the CSV export is text/csv');
  const csvText = await csv.text();
  check(csvText.includes('client.secret_rotated'), 'the CSV export carries the filtered entries');
  const all = await (await page.request.get(`${issuer}/admin/audit.csv`)).text();
  for (const s of steps) check(all.includes(s), `the CSV export lists ${s}`);
  check(!all.includes(secret1) && !all.includes(secret2) && !all.includes(adminPassword), 'no secret in the audit export');

  // 8. Every admin page, at desktop and phone widths: a screenshot and axe-core.
  const users = `/admin/users/${encodeURIComponent(memberId)}`;
  const pages = [
    ['overview', '/admin'], ['clients', '/admin/clients'], ['client-new', '/admin/clients/new'], ['client', urls.client],
    ['users', '/admin/users'], ['users-search', `/admin/users?q=${encodeURIComponent(member.email)}`], ['user-new', '/admin/users/new'],
    ['user', users], ['orgs', '/admin/orgs'], ['org-new', '/admin/orgs/new'], ['org', urls.org], ['roles', '/admin/roles'],
    ['api-keys', '/admin/api-keys'], ['look-and-feel', '/admin/look-and-feel'], ['keys', '/admin/keys'],
    ['settings', '/admin/settings'], ['audit', '/admin/audit'], ['reauth', '/reauth?return_to=/admin'],
  ];
  for (const width of [1280, 390]) {
    await page.setViewportSize({ width, height: 900 });
    for (const [name, url] of pages) {
      const res = await page.goto(`${issuer}${url}`);
      check(res.status() === 200, `${url} answers 200 at ${width}px (${res.status()})`);
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      check(overflow <= 1, `${url} fits ${width}px without sideways scrolling (${overflow}px over)`);
      await shoot(page, width, name);
      await axe(page, `${name} at ${width}px`);
    }
  }
  // The hosted pages a visitor sees, signed out.
  const anon = await browser.newContext({ viewport: { width: 390, height: 900 }, bypassCSP: true });
  const anonPage = await anon.newPage();
  for (const [name, url] of [['login', '/login'], ['signup', '/signup'], ['forgot', '/forgot-password'],
    ['magic-link', '/login/magic-link'], ['not-found', '/no-such-page']]) {
    await anonPage.goto(`${issuer}${url}`);
    await shoot(anonPage, 390, `hosted-${name}`);
    await axe(anonPage, `hosted ${name}`);
  }
} catch (e) {
  check(false, `admin walk: ${e.stack || e}`);
} finally {
  await browser.close();
}
if (failures.length) {
  console.error(`admin.spec: ${failures.length} check(s) failed`);
  process.exit(1);
}
console.log('admin.spec: all checks passed');
