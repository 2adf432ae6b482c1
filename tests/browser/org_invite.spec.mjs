// Headless Chromium: an Owner creates an org and invites a new user; the invitee follows the
// link from the invitation email (the dev outbox), creates an account, sees the org with role
// Member, and has no way to change roles (the server refuses a forged attempt too).
//
// Environment: GATEHOUSE_URL, GATEHOUSE_DATA_DIR (to read <data dir>/outbox/*.eml) or
// GATEHOUSE_TEST_MAIL_DIR (messages delivered to the test SMTP server),
// GATEHOUSE_USER_EMAIL / GATEHOUSE_USER_PASSWORD (the Owner), GATEHOUSE_TEST_LABEL,
// CHROMIUM_PATH, OUTPUT_DIR.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));
const need = (name) => {
  const v = process.env[name];
  if (!v) {
    console.error(`org_invite.spec: missing environment variable ${name}`);
    process.exit(2);
  }
  return v;
};
const issuer = need('GATEHOUSE_URL').replace(/\/$/, '');
const dataDir = need('GATEHOUSE_DATA_DIR');
const ownerEmail = need('GATEHOUSE_USER_EMAIL');
const ownerPassword = need('GATEHOUSE_USER_PASSWORD');
const label = process.env.GATEHOUSE_TEST_LABEL || 'default';
const chromiumPath = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const outputDir = process.env.OUTPUT_DIR || path.resolve(here, '..', 'output');
const TIMEOUT = 20_000;

const failures = [];
const check = (ok, message) => {
  console.log(`  ${ok ? 'ok  ' : 'FAIL'} ${message}`);
  if (!ok) failures.push(message);
};

// Decodes quoted-printable soft breaks and escapes, enough to read links.
const unQp = (t) => t.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/g, (_, h) => String.fromCharCode(parseInt(h, 16)));

// The invitation email sent to `to`, as the dev mailer delivers it into <data dir>/outbox (mail is
// queued and sent in the background, so this waits, bounded, for it to arrive).
async function invitationLink(to) {
  // With a test SMTP server the delivered messages land in GATEHOUSE_TEST_MAIL_DIR; without one,
  // the dev mailer writes them to <data dir>/outbox.
  const dir = process.env.GATEHOUSE_TEST_MAIL_DIR || path.join(dataDir, 'outbox');
  const deadline = Date.now() + TIMEOUT;
  while (Date.now() < deadline) {
    const files = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.eml')).sort() : [];
    for (const f of files.reverse()) {
      const text = unQp(readFileSync(path.join(dir, f), 'utf8'));
      if (!new RegExp(`^To: .*${to.replace(/[.+]/g, '\\$&')}`, 'mi').test(text)) continue;
      const m = text.match(/https?:\/\/[^\s"<]*\/orgs\/invites\/accept\?token=[A-Za-z0-9_-]+/);
      if (m) return m[0];
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return null;
}

async function main() {
  mkdirSync(outputDir, { recursive: true });
  const shot = (name) => path.join(outputDir, `browser-${label}-org-${name}.png`);
  const browser = await chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
  try {
    // The Owner signs in on the hosted page and creates an org.
    const owner = await (await browser.newContext({ viewport: { width: 1100, height: 800 } })).newPage();
    owner.setDefaultTimeout(TIMEOUT);
    await owner.goto(`${issuer}/login`);
    await owner.fill('#email', ownerEmail);
    await owner.fill('#password', ownerPassword);
    await Promise.all([owner.waitForURL(`${issuer}/account`), owner.click('#login-submit')]);
    await owner.goto(`${issuer}/orgs`);
    const orgName = `Acme ${randomBytes(3).toString('hex')}`;
    await owner.fill('#org-name', orgName);
    await Promise.all([owner.waitForURL(/\/orgs\/[0-9a-f-]{36}\?done=created$/), owner.click('#create-org-submit')]);
    check((await owner.textContent('#my-role')) === 'Owner', 'the creator is the Owner');
    const orgUrl = owner.url().split('?')[0];

    // Invite a new person as Member.
    const invitee = `newbie-${randomBytes(4).toString('hex')}@example.com`;
    await owner.fill('#invite-email', invitee);
    await owner.selectOption('#invite-role', 'Member');
    await Promise.all([owner.waitForURL(/done=invited$/), owner.click('#invite-submit')]);
    check((await owner.textContent('#pending-invites')).includes(invitee), 'the invite is listed as pending');
    await owner.screenshot({ path: shot('owner'), fullPage: true });

    const link = await invitationLink(invitee);
    check(Boolean(link) && link.startsWith(`${issuer}/orgs/invites/accept?token=`), 'the invitation email carries the accept link');
    if (!link) throw new Error('no invitation email found in the outbox');

    // The invitee follows the link in a fresh browser and creates an account.
    const guest = await (await browser.newContext({ viewport: { width: 1100, height: 800 } })).newPage();
    guest.setDefaultTimeout(TIMEOUT);
    await guest.goto(link);
    check((await guest.textContent('h1')).includes(orgName), 'the accept page names the org');
    await guest.screenshot({ path: shot('accept'), fullPage: true });
    await guest.fill('#first-name', 'Newbie');
    await guest.fill('#password', `pw ${randomBytes(8).toString('hex')}`);
    await Promise.all([guest.waitForURL(/done=joined$/), guest.click('#accept-invite-submit')]);
    check((await guest.textContent('#my-role')) === 'Member', 'the new member sees the org with role Member');
    check((await guest.locator('.role-select').count()) === 0, 'a Member gets no role controls');
    check((await guest.locator('#invite-form').count()) === 0, 'a Member gets no invite form');
    await guest.screenshot({ path: shot('member'), fullPage: true });

    check((await guest.locator('#members tr[data-email]').count()) === 2, 'the member list shows both members');
    // Even a hand-made request (the member promoting themself) is refused by the server.
    await owner.reload();
    const action = await owner.getAttribute(`#members tr[data-email="${invitee}"] form[action$="/role"]`, 'action');
    check(Boolean(action), 'the Owner gets a role control for the new member');
    const csrf = await guest.getAttribute('#leave-form input[name=csrf_token]', 'value');
    const forged = await guest.request.post(`${issuer}${action}`, {
      form: { csrf_token: csrf, role: 'Owner' },
      maxRedirects: 0,
    });
    check(forged.status() === 403, `a Member cannot change roles (got ${forged.status()})`);
  } finally {
    await browser.close();
  }
  if (failures.length) {
    console.error(`org_invite.spec [${label}]: ${failures.length} check(s) failed`);
    process.exit(1);
  }
  console.log(`org_invite.spec [${label}]: all checks passed`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
