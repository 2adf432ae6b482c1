// Headless-Chromium checks of the hosted pages' last rough edges (issue 13):
//   - the account frame does not move between the account pages (the sidebar's bounding box and
//     the card's width are the same on every page), at desktop (1280) and phone (390) widths;
//   - the product name on every page, error pages with a next step;
//   - the password strength hint as the user types; the TOTP key wraps in groups; recovery
//     codes can be copied and downloaded;
//   - axe-core (run in the page) finds no serious or critical accessibility violation.
// A screenshot of every page at both widths goes to OUTPUT_DIR (polish-<label>-<width>-<name>.png).
// Environment: GATEHOUSE_URL, GATEHOUSE_BIN (+ the server's GATEHOUSE_DATABASE_URL /
// GATEHOUSE_DATA_DIR, exported by scripts/lib/server.sh), GATEHOUSE_TEST_LABEL, CHROMIUM_PATH,
// OUTPUT_DIR. Needs no mail: its users are created with the CLI.
import { createHmac, randomBytes } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
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
    console.error(`polish.spec: missing environment variable ${name}`);
    process.exit(2);
  }
  return v;
};
const issuer = need('GATEHOUSE_URL').replace(/\/$/, '');
const bin = need('GATEHOUSE_BIN');
const label = process.env.GATEHOUSE_TEST_LABEL || 'default';
const outputDir = process.env.OUTPUT_DIR || path.resolve(here, '..', 'output');
const TIMEOUT = 20_000;
const PRODUCT = 'Polish Check';
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

function base32Decode(s) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = 0, value = 0;
  const out = [];
  for (const c of s.replace(/[^A-Z2-7]/gi, '').toUpperCase()) {
    value = (value << 5) | alphabet.indexOf(c);
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Buffer.from(out);
}
function totp(secret) {
  const msg = Buffer.alloc(8);
  msg.writeBigInt64BE(BigInt(Math.floor(Date.now() / 1000 / 30)));
  const mac = createHmac('sha1', base32Decode(secret)).update(msg).digest();
  const off = mac[mac.length - 1] & 0x0f;
  return String((mac.readUInt32BE(off) & 0x7fffffff) % 1_000_000).padStart(6, '0');
}

// axe-core in the page; serious and critical violations fail the check.
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

async function login(page, email, password) {
  await page.goto(`${issuer}/login`);
  await page.fill('#email', email);
  await page.fill('#password', password);
  await Promise.all([page.waitForLoadState('load'), page.click('#login-submit')]);
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync'],
});
try {
  const tag = randomBytes(4).toString('hex');
  const password = `polish check ${tag}`;
  cli('settings', 'set', 'product_name', PRODUCT);
  // One admin per width (each enrols TOTP), both in one org with a plain member.
  const admins = { 1280: `pat-${tag}@example.com`, 390: `kim-${tag}@example.com` };
  for (const email of Object.values(admins)) {
    cli('user', 'create', '--email', email, '--password', password, '--email-verified', '--admin');
  }
  const org = cli('org', 'create', '--name', `Polish ${tag}`, '--owner-email', admins[1280]);
  cli('org', 'add-member', '--org-id', org.org_id, '--email', admins[390], '--role', 'admin');
  const member = `max-${tag}@example.com`;
  cli('user', 'create', '--email', member, '--password', password, '--first-name', 'Max', '--email-verified');
  cli('org', 'add-member', '--org-id', org.org_id, '--email', member, '--role', 'member');

  for (const width of [1280, 390]) {
    const admin = admins[width];
    console.log(`account frame and pages at ${width}px`);
    const ctx = await browser.newContext({ viewport: { width, height: width > 600 ? 900 : 844 }, bypassCSP: true, acceptDownloads: true });
    await ctx.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: issuer });
    const page = await ctx.newPage();
    page.setDefaultTimeout(TIMEOUT);
    const shot = (name) => page.screenshot({ path: path.join(outputDir, `polish-${label}-${width}-${name}.png`), fullPage: true });
    const brandOk = async (what) => {
      const title = await page.title();
      check(title.endsWith(`· ${PRODUCT}`) && (await page.textContent('#product-name')).trim() === PRODUCT, `${what} carries the product name (${title})`);
    };

    // Signed out: signup with the strength hint, an error page, the signed-out page.
    await page.goto(`${issuer}/signup`);
    await page.fill('#email', `new-${tag}@example.com`);
    await page.fill('#password', 'aaaaaaaa');
    check((await page.getAttribute('#password-hint', 'data-strength')) === 'weak', 'the hint calls a repeated run weak');
    await page.fill('#password', 'password1');
    check((await page.getAttribute('#password-hint', 'data-strength')) === 'weak', 'the hint calls a common password weak');
    await page.fill('#password', 'purple elephants dance at noon');
    const strength = await page.getAttribute('#password-hint', 'data-strength');
    check(strength === 'good' || strength === 'strong', `the hint likes a long passphrase (${strength})`);
    await brandOk('signup');
    await axe(page, 'signup');
    await shot('signup-hint');
    await page.fill('#password', 'password');
    await page.click('#signup-submit');
    check((await page.textContent('#signup-error')).includes('common or breached'), 'the server refuses a common password');
    await shot('signup-refused');
    await page.goto(`${issuer}/no/such/page`);
    await brandOk('404');
    await axe(page, '404');
    await shot('not-found');
    await page.goto(`${issuer}/orgs/invites/accept?token=nope`);
    await brandOk('invalid invitation');
    check(await page.isVisible('#error-next'), 'the invitation error offers a next step');
    await shot('invitation-invalid');
    await page.goto(`${issuer}/logout`);
    await brandOk('signed out');
    await shot('signed-out');

    // Signed in: the frame must not move between account pages.
    await login(page, admin, password);
    const pages = [['profile', '/account'], ['email', '/account/email'], ['password', '/account/password'], ['mfa', '/account/mfa'],
      ['sessions', '/account/sessions'], ['orgs', '/orgs'], ['org', `/orgs/${org.org_id}`]];
    let first = null;
    for (const [name, url] of pages) {
      await page.goto(`${issuer}${url}`);
      const sidebar = await page.locator('#account-sidebar').boundingBox();
      const card = await page.locator('main.card').boundingBox();
      const box = { x: sidebar.x, y: sidebar.y, w: sidebar.width, h: sidebar.height, cardX: card.x, cardW: card.width };
      if (!first) first = { name, box };
      const same = Object.keys(box).every((k) => Math.abs(box[k] - first.box[k]) < 0.5);
      check(same, `the frame on ${name} matches ${first.name} ${JSON.stringify(box)}`);
      if (name === 'profile') check(await page.isVisible('#admin-dashboard-link'), 'an admin is told about the dashboard');
      if (name === 'orgs') check((await page.textContent('.org-id')).includes(org.org_id), 'the org id is shown by its name');
      await brandOk(name);
      await axe(page, name);
      await shot(`account-${name}`);
    }
    const label2 = await page.locator('#nav-mfa').boundingBox();
    check(label2.height < 40, `"Two-factor authentication" fits on one line (${label2.height}px)`);

    // The role dropdown is styled like the other fields.
    const select = await page.locator('select.role-select').first().boundingBox();
    check(select && select.height >= 36, `the role dropdown has the fields' height (${select && select.height}px)`);

    // TOTP enrolment: the key wraps between groups of four, never mid-group.
    await page.goto(`${issuer}/account/mfa`);
    {
      await page.click('#mfa-start');
      const groups = await page.locator('#mfa-secret .group').all();
      let wrapsInGroup = false;
      for (const g of groups) {
        const rects = await g.evaluate((el) => el.getClientRects().length);
        if (rects !== 1) wrapsInGroup = true;
      }
      check(groups.length >= 8 && !wrapsInGroup, `the key shows in ${groups.length} unbroken groups`);
      await axe(page, 'mfa enrolment');
      await shot('mfa-enrol');
      const secret = (await page.textContent('#mfa-secret')).trim();
      await page.fill('#mfa-code', totp(secret));
      await page.click('#mfa-enrol-submit');
      check((await page.locator('#recovery-codes li').count()) === 10, 'ten recovery codes shown');
      check(await page.isVisible('#copy-codes'), 'copy button shown (with JavaScript)');
      await page.click('#copy-codes');
      await page.waitForFunction(() => document.getElementById('recovery-actions-status').textContent.length > 0);
      const copied = await page.evaluate(() => navigator.clipboard.readText());
      check(copied.split('\n').filter((l) => /^[a-z0-9-]{6,}$/i.test(l.trim())).length === 10, 'the copied text holds the ten codes');
      const [download] = await Promise.all([page.waitForEvent('download'), page.click('#download-codes')]);
      check(download.suggestedFilename().endsWith('.txt'), `download offered as ${download.suggestedFilename()}`);
      await axe(page, 'recovery codes');
      await shot('recovery-codes');
    }
    await ctx.close();
  }
} catch (e) {
  failures.push(String(e && e.stack ? e.stack : e));
  console.error(e);
} finally {
  await browser.close();
  try {
    cli('settings', 'unset', 'product_name');
  } catch (e) {
    console.error(e);
  }
}
console.log(`${failures.length === 0 ? 'PASS' : 'FAIL'}: polish (${label})`);
process.exit(failures.length === 0 ? 0 : 1);
