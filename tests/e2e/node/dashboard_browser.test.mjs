// End-to-end: the web dashboard in a real browser (Debian's chromium, driven by npm's
// playwright-core, which brings no browser of its own) against a real `aidmp serve`
// filled by `aidmp simulate`. Checks that the page logs in with the admin key, shows
// the stats, draws a saved segment's size chart, points at a parse error, shows a
// hostile event's strings as text without running them, and trains a recommender,
// looks a person up and shows a hostile item title as text.
//
// Skips, saying why, when chromium or playwright-core is absent (make e2e-deps installs
// both). Run: make e2e-deps && AIDMP_BINARY=build/release/aidmp node --test tests/e2e/node/dashboard_browser.test.mjs
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { after, afterEach, before, describe, test } from 'node:test';
import { join } from 'node:path';

import { ADMIN_KEY, AidmpServer, WRITE_KEY, basicAuth, binaryPath, missingDependencies, waitFor } from './lib/harness.mjs';

const CHROMIUM = [process.env.AIDMP_CHROMIUM, '/usr/bin/chromium', '/usr/bin/chromium-browser'].find(
  (path) => path && existsSync(path));
// A reason to skip (node:test prints it), or false to run.
const skip = !CHROMIUM
  ? 'chromium is not installed: run `make e2e-deps` (apt-get install chromium) or point AIDMP_CHROMIUM at one'
  : missingDependencies(['playwright-core']) ?? false;

// Runs the aidmp binary to completion; rejects with its output on failure.
async function runAidmp(args) {
  const binary = await binaryPath();
  return new Promise((resolve, reject) => {
    const proc = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    proc.stdout.on('data', (chunk) => { output += chunk; });
    proc.stderr.on('data', (chunk) => { output += chunk; });
    proc.on('exit', (code) => (code === 0 ? resolve(output) : reject(new Error(`aidmp ${args[0]} failed (${code}):\n${output}`))));
  });
}

describe('the dashboard in chromium', { skip, timeout: 120_000 }, () => {
  let server;
  let browser;
  let page;
  const pageErrors = [];
  const hostile = '<img src=x onerror="window.__pwned=1">\u202Egnp.exe';
  // An item title from the catalogue: markup and a bidi override.
  const hostileTitle = '<img src=x onerror=alert(1)>\u202Egnp.exe';
  const dialogs = [];

  before(async () => {
    server = await AidmpServer.start();
    // A small shop through the real pipeline: enough for stats, quarantine and segments.
    await runAidmp(['simulate', '--url', server.baseUrl, '--write-key', WRITE_KEY, '--shoppers', '40',
      '--days', '2', '--items', '50']);
    const send = await server.fetch('/v1/track', {
      method: 'POST',
      headers: { Authorization: basicAuth(WRITE_KEY), 'Content-Type': 'application/json' },
      body: JSON.stringify({ userId: hostile, event: hostile, messageId: 'hostile-1' }),
    });
    assert.equal(send.status, 200);
    const saved = await server.fetch('/v1/segments', {
      method: 'POST',
      headers: { Authorization: `Bearer ${ADMIN_KEY}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ name: 'buyers', expression: 'did("Order Completed")' }),
    });
    assert.equal(saved.status, 200, await saved.text());
    // For the recommendations view: a catalogue item with a hostile title that 60 people
    // viewed (more than the 40 shoppers and the 10 of them who also viewed prod-00001,
    // so it leads the popular list; prod-00001 is its one similar item by co-views), and
    // a person who refused personalisation.
    const imported = await server.fetch('/v1/items', {
      method: 'POST',
      headers: { Authorization: `Bearer ${ADMIN_KEY}`, 'Content-Type': 'application/json' },
      body: JSON.stringify([{ id: 'xss-item', title: hostileTitle, categories: ['books'], price: 1.5 }]),
    });
    assert.equal(imported.status, 200, await imported.text());
    const views = [];
    for (let fan = 1; fan <= 60; ++fan) {
      for (const item of fan <= 10 ? ['xss-item', 'prod-00001'] : ['xss-item']) {
        views.push({ type: 'track', userId: `fan-${fan}`, event: 'Product Viewed', properties: { product_id: item } });
      }
    }
    views.push({ type: 'track', userId: 'no-consent', event: 'Product Viewed', properties: { product_id: 'prod-00002' },
      context: { consent: { categoryPreferences: { personalization: false } } } });
    const batch = await server.fetch('/v1/batch', {
      method: 'POST',
      headers: { Authorization: basicAuth(WRITE_KEY), 'Content-Type': 'application/json' },
      body: JSON.stringify({ batch: views }),
    });
    assert.equal(batch.status, 200, await batch.text());
    await waitFor('the hostile event to be indexed', async () =>
      (await server.adminGet('/v1/events?event=' + encodeURIComponent(hostile))).body.events?.length === 1);
    await server.waitForIndexer();

    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    page.on('pageerror', (error) => pageErrors.push(error.message));
    page.on('dialog', (dialog) => {
      dialogs.push(dialog.message());
      dialog.dismiss().catch(() => {});
    });
    page.on('console', (message) => {
      // The policy violations and script errors the page would show a developer.
      if (message.type() === 'error') pageErrors.push(message.text());
    });
  });

  // AIDMP_DASHBOARD_SCREENSHOTS=DIR saves a picture of each view there, to look at.
  afterEach(async (context) => {
    const dir = process.env.AIDMP_DASHBOARD_SCREENSHOTS;
    if (dir && page) await page.screenshot({ path: join(dir, `${context.name.replace(/[^a-z0-9]+/gi, '_')}.png`), fullPage: true });
  });

  after(async () => {
    await browser?.close();
    await server?.stop().catch(() => {});
    await server?.cleanup();
  });

  test('/ leads to the page, which asks for the key and then shows the stats', async () => {
    await page.goto(server.url('/'));
    assert.equal(new URL(page.url()).pathname, '/dashboard');
    await page.locator('#login-key').fill('wrong-key');
    await page.locator('#login-form button').click();
    await page.locator('#login-error', { hasText: 'refused' }).waitFor();
    await page.locator('#login-key').fill(ADMIN_KEY);
    await page.locator('#login-form button').click();
    await page.locator('#overview-cards .card').first().waitFor();
    const stats = (await server.adminGet('/v1/stats')).body;
    const cards = await page.locator('#overview-cards .card').allInnerTexts();
    const stored = cards.find((card) => card.includes('Events stored'));
    assert.ok(stored.includes(stats.events_stored.toLocaleString('en-US')), `${stored} vs ${stats.events_stored}`);
    // The reasons chart has a bar per quarantine reason the simulator provoked.
    assert.equal(await page.locator('#overview-reasons rect.bar').count(), Object.keys(stats.quarantined_by_reason).length);
  });

  test('a saved segment has its size chart and entries', async () => {
    await page.goto(server.url('/dashboard#segments/buyers'));
    // Attached, not visible: a flat line has an empty bounding box.
    await page.locator('#segment-chart svg path.series').waitFor({ state: 'attached' });
    const path = await page.locator('#segment-chart svg path.series').getAttribute('d');
    assert.match(path, /^M[\d.]+,[\d.]+H/, 'a step line');
    const size = (await server.adminGet('/v1/segments/buyers')).body.size;
    assert.ok(size > 0, 'the simulated shop has buyers');
    const row = await page.locator('#segments-list tbody tr').first().innerText();
    assert.ok(row.includes('buyers') && row.includes(size.toLocaleString('en-US')), row);
    assert.match(await page.locator('#segment-summary').innerText(), new RegExp(`${size} entered`));
    // Hovering the chart shows the size.
    const box = await page.locator('#segment-chart svg rect.overlay').boundingBox();
    await page.mouse.move(box.x + box.width - 2, box.y + box.height / 2);
    assert.match(await page.locator('#segment-chart .tip-value').textContent(), new RegExp(`members: ${size}`));
  });

  test('the explorer counts with a plan and points at a parse error', async () => {
    await page.goto(server.url('/dashboard#explorer'));
    await page.locator('#explorer-text').fill('did("Order Completed")');
    await page.locator('#explorer-form button').click();
    await page.locator('#explorer-result table.plan').waitFor();
    const size = (await server.adminGet('/v1/segments/buyers')).body.size;
    assert.match(await page.locator('#explorer-result .count').innerText(), new RegExp(`^${size} of`));

    await page.locator('#explorer-text').fill('traits.country = "US" and\n  (interest("books") >= 0.5');
    await page.locator('#explorer-form button').click();
    await page.locator('#explorer-result pre.caret').waitFor();
    assert.match(await page.locator('#explorer-result p.error').innerText(), /line 2, column \d+/);
    const caret = await page.locator('#explorer-result pre.caret').innerText();
    assert.equal(caret.split('\n')[0], '  (interest("books") >= 0.5');
  });

  test('a hostile event shows as text and runs nothing', async () => {
    await page.goto(server.url('/dashboard#events'));
    await page.locator('#events-form input[name=event]').fill(hostile);
    await page.locator('#events-form button').click();
    await page.locator('#events-table tbody tr', { hasText: 'hostile-1' }).waitFor();
    assert.equal(await page.locator('#events-table tbody tr').count(), 1, 'only the filtered event');
    const row = await page.locator('#events-table tbody tr').first().innerText();
    assert.ok(row.includes('<img src=x onerror="window.__pwned=1">\\u202Egnp.exe'), row);
    assert.equal(await page.locator('#events-table img').count(), 0);
    assert.equal(await page.evaluate(() => window.__pwned), undefined);
  });

  test('the quarantine lists rejected events', async () => {
    await page.goto(server.url('/dashboard#quarantine'));
    await page.locator('#quarantine-table tbody tr').first().waitFor();
    assert.ok(await page.locator('#quarantine-table tbody tr').count() > 0);
    await page.locator('#quarantine-table tbody tr').first().click();
    await page.locator('#quarantine-table tr.detail pre').waitFor();
  });

  test('recommendations: train through the page, a person\'s list with sources, a hostile title as text', async () => {
    await page.goto(server.url('/dashboard#recommendations'));
    await page.locator('#models-list', { hasText: 'No model trained yet' }).waitFor();
    await page.locator('#popular-chart', { hasText: 'once a model is active' }).waitFor();

    // Train EASE, then item-kNN, then go back to the first version with its button.
    for (const [algo, version] of [['ease', 1], ['itemknn', 2]]) {
      await page.locator('#train-form select[name=algo]').selectOption(algo);
      await page.locator('#train-form button').click();
      await page.locator('#train-status', { hasText: `trained version ${version} (${algo})` }).waitFor();
      // The status is written before the list is fetched again: wait for the list too.
      await page.locator('#models-list tbody tr', { hasText: '\u25CF active' }).filter({ hasText: algo }).waitFor();
    }
    const models = page.locator('#models-list tbody tr');
    assert.equal(await models.count(), 2);
    assert.match(await models.first().innerText(), /^2\s+● active\s+itemknn/);
    await page.locator('#models-list button[data-version="1"]').click();
    await page.locator('#models-list tbody tr', { hasText: '● active' }).filter({ hasText: 'ease' }).waitFor();
    assert.equal((await server.adminJson('/v1/recommender/models')).active, 1);

    // The popular list: the hostile item leads, its title is text in the table and the chart.
    await page.locator('#popular-chart svg rect.bar').first().waitFor();
    assert.equal(await page.locator('#popular-chart svg rect.bar').count(), 10);
    assert.match(await page.locator('#popular-chart svg text.bar-label').first().textContent(), /^<img src=x onerror=/);
    const escaped = '<img src=x onerror=alert(1)>\\u202Egnp.exe';
    assert.equal(await page.locator('#popular-table .item-title').first().innerText(), escaped);

    // A shopper's list: every row has a known source, and the reasons are sentences.
    // A registered buyer: guests check out with only an anonymousId.
    const orders = (await server.adminJson('/v1/events?event=Order%20Completed&limit=200')).events;
    const shopper = orders.find((event) => event.userId)?.userId;
    assert.ok(shopper, 'a registered shopper who ordered');
    await page.locator('#lookup-form input[name=value]').fill(shopper);
    await page.locator('#lookup-form button').click();
    await page.locator('#lookup-result table.recommendations tbody tr').first().waitFor();
    assert.match(await page.locator('#lookup-result .lookup-head').innerText(), /personalized: true · model version 1 \(ease/);
    const sources = await page.locator('#lookup-result .source').allInnerTexts();
    assert.equal(sources.length, 10);
    for (const source of sources) assert.ok(['model', 'similar-items', 'interests', 'popular'].includes(source), source);
    assert.ok(sources.includes('model'), sources.join());
    assert.match(await page.locator('#lookup-result ul.reasons li').first().innerText(), /^model score -?[\d.]+ \(ease\)$/);

    // Someone who refused personalisation: said so, prominently.
    await page.locator('#lookup-form input[name=value]').fill('no-consent');
    await page.locator('#lookup-form button').click();
    await page.locator('#lookup-result .notice').waitFor();
    assert.match(await page.locator('#lookup-result .notice').innerText(), /^personalized: false — the person refused personalisation/);
    // An unknown person: the API's error message.
    await page.locator('#lookup-form input[name=value]').fill('nobody-at-all');
    await page.locator('#lookup-form button').click();
    await page.locator('#lookup-result p.error').waitFor();

    // The hostile item's own panel, opened from the popular list: its similar items.
    await page.locator('#popular-table button.item-id', { hasText: 'xss-item' }).click();
    await page.locator('#similar-result table.recommendations tbody tr').first().waitFor();
    assert.equal(await page.locator('#similar-result .item-head .item-title').innerText(), escaped);
    assert.equal(await page.locator('#similar-result tbody tr').first().locator('.item-id').innerText(), 'prod-00001');
    assert.match(await page.locator('#similar-result ul.reasons li').first().innerText(), /^similar to xss-item \(similarity [\d.]+\)$/);

    assert.equal(await page.locator('#view-recommendations img').count(), 0);
    assert.deepEqual(dialogs, []);
  });

  test('no script errors and no policy violations', () => {
    // The refused key (401), the bad expression (400) and the unknown person (404) above
    // are deliberate.
    const unexpected = pageErrors.filter((text) => !/status of 40[014] /.test(text));
    assert.deepEqual(unexpected, []);
  });
});
