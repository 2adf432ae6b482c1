// Headless-Chromium test of one Python example app behind Gatehouse (driven by tests/apps).
//
// For each user: open the app, get sent to the Gatehouse login (after clicking the app's login
// button where it has one), log in, see the user-specific texts, log out, and confirm that
// Gatehouse has no session left: opening the app again ends on the password form.
// Environment:
//   APP_KIND     gradio | fastapi | flask | streamlit | guide-authlib | guide-streamlit | login-button
//   APP_URL      the app's base URL, e.g. http://127.0.0.1:7860
//   APP_USERS    JSON [{ "label", "email", "password", "expect": [text...], "absent": [text...],
//                  "clicks": [{ "selector", "expect" }] }]
//   APP_LOGOUT   "gatehouse" (default: logout must end the Gatehouse session) | "local"
//   CHROMIUM_PATH, OUTPUT_DIR, GATEHOUSE_TEST_LABEL
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));
const kind = process.env.APP_KIND;
const appUrl = (process.env.APP_URL || '').replace(/\/$/, '');
const users = JSON.parse(process.env.APP_USERS || '[]');
const logoutMode = process.env.APP_LOGOUT || 'gatehouse';
const label = process.env.GATEHOUSE_TEST_LABEL || 'default';
const chromiumPath = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const outputDir = process.env.OUTPUT_DIR || path.resolve(here, '..', 'output');
const TIMEOUT = 30_000;

if (!kind || !appUrl || users.length === 0) {
  console.error('python_apps.spec: APP_KIND, APP_URL and APP_USERS are required');
  process.exit(2);
}

const failures = [];
const check = (ok, message) => {
  console.log(`  ${ok ? 'ok  ' : 'FAIL'} ${message}`);
  if (!ok) failures.push(message);
};

const LOGIN_BUTTON = {
  streamlit: /Log in with Gatehouse/,
  'guide-streamlit': /Log in with Gatehouse/,
  'guide-authlib': /Log in/,
  'login-button': /Sign in/,
};

// Opens the app and does whatever the app needs to send the browser to Gatehouse.
async function openApp(page) {
  await page.goto(appUrl + '/', { waitUntil: 'load' });
  const button = LOGIN_BUTTON[kind];
  if (button) {
    const target = page.getByRole(kind === 'guide-authlib' ? 'link' : 'button', { name: button }).first();
    await target.waitFor({ state: 'visible' });
    await target.click();
  }
  await page.waitForURL((u) => !u.href.startsWith(appUrl), { timeout: TIMEOUT });
}

async function logout(page) {
  if (kind === 'gradio' || kind === 'fastapi' || kind === 'flask') {
    await page.locator('#logout').first().click();
    await page.waitForURL((u) => u.pathname === '/auth/logged-out', { timeout: TIMEOUT });
  } else if (kind === 'guide-authlib') {
    await page.getByRole('link', { name: /Log out/ }).click();
    await page.getByRole('link', { name: /Log in/ }).waitFor();
  } else if (kind === 'login-button') {
    await page.getByRole('button', { name: /Logout/ }).first().click();
    await page.getByRole('button', { name: /Sign in/ }).first().waitFor();
  } else {
    await page.getByRole('button', { name: /Log out/ }).click();
    await page.getByRole('button', { name: /Log in with Gatehouse/ }).waitFor({ timeout: TIMEOUT });
  }
}

async function main() {
  mkdirSync(outputDir, { recursive: true });
  const shot = (name) => path.join(outputDir, `app-${kind}-${label}-${name}.png`);
  const browser = await chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
  try {
    for (const user of users) {
      const context = await browser.newContext({ viewport: { width: 1100, height: 850 }, ignoreHTTPSErrors: true });
      const page = await context.newPage();
      page.setDefaultTimeout(TIMEOUT);
      console.log(`python_apps.spec [${kind}/${label}] ${user.label}`);

      await openApp(page);
      await page.waitForSelector('#login-form');
      check(true, `${user.label}: sent to the Gatehouse login (${new URL(page.url()).host})`);
      await page.fill('#email', user.email);
      await page.fill('#password', user.password);
      await Promise.all([
        page.waitForURL((u) => u.href.startsWith(appUrl), { timeout: TIMEOUT }),
        page.click('#login-submit'),
      ]);
      for (const text of user.expect) {
        let seen = true;
        try {
          await page.getByText(text, { exact: false }).first().waitFor({ state: 'visible', timeout: TIMEOUT });
        } catch {
          seen = false;
        }
        check(seen, `${user.label}: sees "${text}"`);
      }
      for (const text of user.absent || []) {
        check((await page.getByText(text, { exact: false }).count()) === 0, `${user.label}: does not see "${text}"`);
      }
      for (const action of user.clicks || []) {
        await page.locator(action.selector).first().click();
        let seen = true;
        try {
          await page.getByText(action.expect, { exact: false }).first().waitFor({ state: 'visible', timeout: TIMEOUT });
        } catch {
          seen = false;
        }
        check(seen, `${user.label}: clicking ${action.selector} shows "${action.expect}"`);
      }
      await page.screenshot({ path: shot(`${user.label}-in`), fullPage: true });

      await logout(page);
      await page.screenshot({ path: shot(`${user.label}-out`), fullPage: true });
      check(true, `${user.label}: logged out`);

      // The next visit must ask for the password again (no silent login).
      if (logoutMode === 'gatehouse') {
        await openApp(page);
        let passwordAsked = true;
        try {
          await page.waitForSelector('#login-form #password', { timeout: TIMEOUT });
        } catch {
          passwordAsked = false;
        }
        check(passwordAsked, `${user.label}: the next visit asks for the password again`);
        await page.screenshot({ path: shot(`${user.label}-again`), fullPage: true });
      }
      await context.close();
    }
  } finally {
    await browser.close();
  }
  if (failures.length) {
    console.log(`python_apps.spec [${kind}/${label}]: ${failures.length} failed`);
    process.exit(1);
  }
  console.log(`python_apps.spec [${kind}/${label}]: all checks passed`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
