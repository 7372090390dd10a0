// node --test: rules for the dashboard's files that keep hostile data inert and the page
// self-contained under its Content-Security-Policy (src/serve/dashboard.h).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const dashboardDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const read = (name) => readFileSync(join(dashboardDir, name), 'utf8');
const scripts = readdirSync(dashboardDir).filter((name) => name.endsWith('.js'));

test('no script parses strings as HTML or code', () => {
  const sinks = [/\.innerHTML\b/, /\.outerHTML\b/, /insertAdjacentHTML/, /document\.write/, /\beval\s*\(/,
    /new\s+Function\b/, /createContextualFragment/, /DOMParser/, /setAttribute\(\s*['"](style|on\w+)['"]/];
  for (const name of scripts) {
    const source = read(name);
    for (const sink of sinks) assert.ok(!sink.test(source), `${name} uses ${sink}`);
  }
});

test('the page has no inline script, style or handlers (the CSP would block them)', () => {
  const html = read('index.html');
  for (const match of html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)) {
    assert.match(match[1], /\bsrc=/, 'every script has a src');
    assert.equal(match[2].trim(), '', 'no inline script body');
  }
  assert.ok(!/<style\b/.test(html), 'no <style> element');
  assert.ok(!/\sstyle\s*=/.test(html), 'no style attribute');
  assert.ok(!/\son[a-z]+\s*=/.test(html), 'no inline event handler');
});

test('nothing is fetched from another origin', () => {
  for (const name of [...scripts, 'index.html', 'style.css']) {
    const source = read(name);
    // The SVG namespace is a name, not a download.
    const urls = (source.match(/(?:https?:)?\/\/[a-z0-9.-]+\.[a-z]{2,}[^\s'"]*/gi) ?? [])
      .filter((url) => url !== 'http://www.w3.org/2000/svg');
    assert.deepEqual(urls, [], `${name} names other origins`);
    assert.ok(!/@import/.test(source), `${name} imports CSS`);
  }
});

test('every file the page loads is embedded in the binary', () => {
  const cmake = readFileSync(join(dashboardDir, '..', 'CMakeLists.txt'), 'utf8');
  const embedded = /set\(AIDMP_DASHBOARD_FILES ([^)]*)\)/.exec(cmake)[1].trim().split(/\s+/);
  const html = read('index.html');
  const loaded = [...html.matchAll(/(?:src|href)="\/dashboard\/([^"]+)"/g)].map((match) => match[1]);
  for (const name of scripts) {
    for (const match of read(name).matchAll(/from '\.\/([^']+)'/g)) loaded.push(match[1]);
  }
  assert.ok(loaded.includes('app.js') && loaded.includes('chart.js') && loaded.includes('style.css'));
  for (const name of loaded) assert.ok(embedded.includes(name), `${name} is loaded but not in AIDMP_DASHBOARD_FILES`);
  for (const name of scripts) assert.ok(embedded.includes(name), `${name} is not embedded`);
});
