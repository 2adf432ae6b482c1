// Headless-Chromium walk through the hosted pages with real email (an SMTP sink started by
// scripts/test writes delivered messages to GATEHOUSE_TEST_MAIL_DIR):
//   sign up -> verify email -> log in -> enrol TOTP -> log out -> log in with TOTP;
//   magic-link login; password reset; sidebar present, switched off (CLI), gone;
//   logout lands on the configured path. A screenshot of each page goes to OUTPUT_DIR.
// Environment: GATEHOUSE_URL, GATEHOUSE_BIN (+ the server's GATEHOUSE_DATABASE_URL /
// GATEHOUSE_DATA_DIR, exported by scripts/lib/server.sh), GATEHOUSE_TEST_MAIL_DIR,
// GATEHOUSE_TEST_LABEL, CHROMIUM_PATH, OUTPUT_DIR.
import { createHmac, randomBytes } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));
const need = (name) => {
  const v = process.env[name];
  if (!v) {
    console.error(`hosted.spec: missing environment variable ${name}`);
    process.exit(2);
  }
  return v;
};
const issuer = need('GATEHOUSE_URL').replace(/\/$/, '');
const bin = need('GATEHOUSE_BIN');
const mailDir = need('GATEHOUSE_TEST_MAIL_DIR');
const label = process.env.GATEHOUSE_TEST_LABEL || 'default';
const outputDir = process.env.OUTPUT_DIR || path.resolve(here, '..', 'output');
const TIMEOUT = 20_000;
mkdirSync(outputDir, { recursive: true });

const failures = [];
const check = (ok, message) => {
  console.log(`  ${ok ? 'ok  ' : 'FAIL'} ${message}`);
  if (!ok) failures.push(message);
};
let shot = 0;
const screenshot = async (page, name) => {
  shot += 1;
  const file = path.join(outputDir, `hosted-${label}-${String(shot).padStart(2, '0')}-${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
};

function cli(...args) {
  const env = { ...process.env };
  delete env.GATEHOUSE_URL;
  delete env.GATEHOUSE_BIN;
  const r = spawnSync(bin, args, { env, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`gatehouse ${args.join(' ')} failed: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

// Decodes quoted-printable soft breaks and escapes, enough to read links.
const unQp = (s) => s.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/g, (_, h) => String.fromCharCode(parseInt(h, 16)));
const seen = new Set();
async function waitForLink(to, linkPath) {
  const deadline = Date.now() + TIMEOUT;
  while (Date.now() < deadline) {
    for (const f of readdirSync(mailDir).filter((n) => n.endsWith('.eml')).sort()) {
      if (seen.has(f)) continue;
      const raw = unQp(readFileSync(path.join(mailDir, f), 'utf8'));
      if (!new RegExp(`^To: .*${to.replace(/[.+]/g, '\\$&')}`, 'mi').test(raw)) continue;
      const m = raw.match(new RegExp(`https?://[^\\s"<]*${linkPath}\\?token=[A-Za-z0-9_-]+`));
      if (m) {
        seen.add(f);
        return m[0];
      }
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`no ${linkPath} email to ${to}`);
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
function totp(secret, step) {
  const msg = Buffer.alloc(8);
  msg.writeBigInt64BE(BigInt(step));
  const mac = createHmac('sha1', base32Decode(secret)).update(msg).digest();
  const off = mac[mac.length - 1] & 0x0f;
  return String((mac.readUInt32BE(off) & 0x7fffffff) % 1_000_000).padStart(6, '0');
}
const stepNow = () => Math.floor(Date.now() / 1000 / 30);

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
  const sam = `sam-${tag}@example.com`;
  const samPassword = `sam password ${tag}`;

  console.log('signup -> verify -> login -> TOTP -> logout -> TOTP login');
  let ctx = await browser.newContext({ viewport: { width: 1100, height: 800 } });
  let page = await ctx.newPage();
  page.setDefaultTimeout(TIMEOUT);
  await page.goto(`${issuer}/login`);
  await screenshot(page, 'login');
  await page.click('#signup-link');
  await screenshot(page, 'signup');
  await page.fill('#first-name', 'Sam');
  await page.fill('#last-name', 'Browser');
  await page.fill('#email', sam);
  await page.fill('#password', samPassword);
  await page.click('#signup-submit');
  check((await page.textContent('h1')).includes('Check your email'), 'signup asks to check email');
  await screenshot(page, 'signup-check-email');
  await page.goto(await waitForLink(sam, '/verify-email'));
  check(new URL(page.url()).pathname === '/account', 'the verification link signs in and lands on /account');
  check((await page.textContent('#signed-in-email')).trim() === sam, 'account page shows the address');
  check(await page.isVisible('#account-sidebar'), 'sidebar present');
  await screenshot(page, 'account-profile');
  await page.click('#sidebar-logout');
  check((await page.textContent('h1')).includes('Signed out'), 'sidebar logout signs out');
  await screenshot(page, 'signed-out');
  await login(page, sam, samPassword);
  check(new URL(page.url()).pathname === '/account', 'password login lands on /account');
  await page.click('#nav-mfa');
  await screenshot(page, 'account-mfa-off');
  await page.click('#mfa-start');
  const secret = (await page.textContent('#mfa-secret')).trim();
  check(await page.isVisible('#mfa-qr'), 'QR code shown');
  await screenshot(page, 'account-mfa-enrol');
  const enrolStep = stepNow();
  await page.fill('#mfa-code', totp(secret, enrolStep));
  await page.click('#mfa-enrol-submit');
  check((await page.locator('#recovery-codes li').count()) === 10, 'ten recovery codes shown once');
  await screenshot(page, 'recovery-codes');
  await page.click('#continue-link');
  await page.click('#sidebar-logout');
  await login(page, sam, samPassword);
  check(new URL(page.url()).pathname === '/login/mfa', 'login asks for the TOTP code');
  check(!(await page.isChecked('#remember-device')), '"remember this device" is off by default');
  await screenshot(page, 'mfa-challenge');
  while (stepNow() <= enrolStep) await new Promise((r) => setTimeout(r, 500)); // a fresh code (no replay)
  await page.fill('#mfa-code', totp(secret, stepNow()));
  await page.click('#mfa-submit');
  check(new URL(page.url()).pathname === '/account', 'TOTP login lands on /account');
  await page.click('#nav-sessions');
  await screenshot(page, 'account-sessions');
  await ctx.close();

  console.log('magic link, password reset, sidebar switch, logout redirect');
  const dee = `dee-${tag}@example.com`;
  cli('user', 'create', '--email', dee, '--password', `dee password ${tag}`, '--first-name', 'Dee', '--email-verified');
  ctx = await browser.newContext({ viewport: { width: 390, height: 844 } }); // a phone-sized screen
  page = await ctx.newPage();
  page.setDefaultTimeout(TIMEOUT);
  await page.goto(`${issuer}/login`);
  await page.click('#magic-link-link');
  await page.fill('#email', dee);
  await screenshot(page, 'magic-link-request');
  await page.click('#magic-link-submit');
  await screenshot(page, 'magic-link-sent');
  await page.goto(await waitForLink(dee, '/magic-link'));
  check(new URL(page.url()).pathname === '/account', 'magic link signs in');
  await screenshot(page, 'account-mobile');
  await page.click('#sidebar-logout');

  await page.goto(`${issuer}/login`);
  await page.click('#forgot-link');
  await page.fill('#email', dee);
  await page.click('#forgot-submit');
  await page.goto(await waitForLink(dee, '/reset-password'));
  await screenshot(page, 'reset-password');
  await page.fill('#new-password', `dee new password ${tag}`);
  await page.click('#reset-submit');
  check(await page.isVisible('#login-notice'), 'reset lands on login with a notice');
  await screenshot(page, 'login-after-reset');
  await login(page, dee, `dee new password ${tag}`);
  check(new URL(page.url()).pathname === '/account', 'the new password works');

  check(await page.isVisible('#account-sidebar'), 'sidebar present before the switch');
  cli('settings', 'set', 'show_sidebar', 'false');
  await page.reload();
  check((await page.locator('#account-sidebar').count()) === 0, 'sidebar gone when switched off');
  check((await page.locator('#sidebar-logout').count()) === 0, 'its logout button is gone too');
  await screenshot(page, 'account-no-sidebar');
  cli('settings', 'set', 'show_sidebar', 'true');
  cli('settings', 'set', 'redirect_after_logout', '/login?notice=link_sent');
  await page.reload();
  await page.click('#sidebar-logout');
  const after = new URL(page.url());
  check(after.pathname === '/login' && after.search === '?notice=link_sent', `logout lands on the configured path (${after.pathname}${after.search})`);
  cli('settings', 'unset', 'redirect_after_logout');
  await screenshot(page, 'after-logout');
  await ctx.close();
} catch (e) {
  failures.push(String(e && e.stack ? e.stack : e));
  console.error(e);
} finally {
  await browser.close();
}
console.log(`${failures.length === 0 ? 'PASS' : 'FAIL'}: hosted pages (${label})`);
process.exit(failures.length === 0 ? 0 : 1);
