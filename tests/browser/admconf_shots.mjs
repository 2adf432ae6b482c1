// Screenshots (1280 and 390 px) and axe-core checks of the admconf admin pages.
// GATEHOUSE_URL, CHROMIUM_PATH, OUTPUT_DIR, ADMIN_EMAIL, ADMIN_PASSWORD.
import { chromium } from 'playwright-core';
import { readFileSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
const require = createRequire(import.meta.url);
const axeSource = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
const base = process.env.GATEHOUSE_URL;
const out = process.env.OUTPUT_DIR || '/tmp/shots';
mkdirSync(out, { recursive: true });
const pages = ['/admin/roles', '/admin/api-keys', '/admin/look-and-feel', '/admin/keys', '/admin/settings', '/admin/audit',
  '/admin/audit?action=login.*', '/admin/look-and-feel/preview/login', '/admin/look-and-feel/preview/account'];
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium', headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
let bad = 0;
for (const width of [1280, 390]) {
  const context = await browser.newContext({ viewport: { width, height: 900 } });
  const page = await context.newPage();
  await page.goto(`${base}/login`);
  await page.fill('#email', process.env.ADMIN_EMAIL);
  await page.fill('#password', process.env.ADMIN_PASSWORD);
  await page.click('#login-submit');
  await page.waitForLoadState('networkidle');
  for (const p of pages) {
    await page.goto(base + p);
    await page.waitForLoadState('networkidle');
    const name = p.replace(/[^a-z0-9]+/gi, '-').replace(/^-|-$/g, '');
    await page.screenshot({ path: `${out}/${name}-${width}.png`, fullPage: true });
    await page.evaluate(axeSource);
    const res = await page.evaluate(async () => await window.axe.run(document, { resultTypes: ['violations'] }));
    const serious = res.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
    for (const v of res.violations) console.log(`${width} ${p}: ${v.impact} ${v.id} ${v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join(' | ')}`);
    bad += serious.length;
  }
  if (width === 1280) {
    // The sidebar toggle and save on Look & Feel, as the lead's walk will use them.
    await page.goto(`${base}/admin/look-and-feel`);
    await page.fill('#look-product-name', 'Acme Identity');
    await page.waitForTimeout(800);
    await page.screenshot({ path: `${out}/look-live-preview-${width}.png`, fullPage: true });
  }
  await context.close();
}
await browser.close();
console.log(`serious/critical violations: ${bad}`);
process.exit(bad ? 1 : 0);
