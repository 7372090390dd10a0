// Shared helpers for the real-client end-to-end tests: start and stop a real
// `aidmp serve` process, talk to its collector and admin API over HTTP, and poll
// (with deadlines, never fixed sleeps) for what the background indexer makes visible.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import http from 'node:http';
import { existsSync, readFileSync, constants as fsConstants } from 'node:fs';
import { access, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const HERE = dirname(fileURLToPath(import.meta.url));
export const NODE_DIR = resolve(HERE, '..');
const REPO_ROOT = resolve(NODE_DIR, '..', '..', '..');

export const WRITE_KEY = 'e2e-write-key';
export const ADMIN_KEY = 'e2e-admin-key';

// Names the npm packages (from tests/e2e/node/package.json) that are not installed,
// with the command that installs them; null when all are there.
export function missingDependencies(packages) {
  const missing = packages.filter(
    (name) => !existsSync(join(NODE_DIR, 'node_modules', ...name.split('/'), 'package.json')),
  );
  if (missing.length === 0) return null;
  return (
    `npm packages missing from ${join(NODE_DIR, 'node_modules')}: ${missing.join(', ')}. ` +
    'Run `make e2e-deps` at the repository root (it runs `npm install` in tests/e2e/node).'
  );
}

// The version of an installed npm package, from its package.json.
export function installedVersion(name) {
  const file = join(NODE_DIR, 'node_modules', ...name.split('/'), 'package.json');
  return JSON.parse(readFileSync(file, 'utf8')).version;
}

export async function binaryPath() {
  const binary = process.env.AIDMP_BINARY || join(REPO_ROOT, 'build', 'release', 'aidmp');
  try {
    await access(binary, fsConstants.X_OK);
  } catch {
    throw new Error(
      `aidmp binary not found or not executable at ${binary}; build it (make release) ` +
        'or point AIDMP_BINARY at it',
    );
  }
  return binary;
}

export const sha256Hex = (text) => createHash('sha256').update(text, 'utf8').digest('hex');

export const basicAuth = (user) => `Basic ${Buffer.from(`${user}:`).toString('base64')}`;

// Polls `probe` until it returns a truthy value (for an object with an `ok` member:
// until ok is true), which is returned. On the deadline throws, naming `what` and
// the last value seen (its `seen` member if it has one).
export async function waitFor(what, probe, { timeoutMs = 10_000, intervalMs = 20 } = {}) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    last = await probe();
    if (last && (last.ok === undefined || last.ok)) return last;
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last seen: ${JSON.stringify(last?.seen ?? last)}`);
    }
    await delay(intervalMs);
  }
}

// A running `aidmp serve` on a fresh data directory and a port the OS picked.
export class AidmpServer {
  static async start({ extraArgs = [] } = {}) {
    const binary = await binaryPath();
    const dataDir = await mkdtemp(join(tmpdir(), 'aidmp-e2e-'));
    const portFile = join(dataDir, 'port');
    const args = [
      'serve', '--data', join(dataDir, 'data'), '--port', '0', '--port-file', portFile,
      '--write-key', WRITE_KEY, '--admin-key', ADMIN_KEY, '--log-level', 'warn', ...extraArgs,
    ];
    const server = new AidmpServer(binary, args, dataDir);
    try {
      const port = await waitFor(
        `${binary} to write its port to ${portFile}`,
        async () => {
          if (server.exited) {
            throw new Error(`aidmp serve exited early (${server.exitDescription()}):\n${server.output()}`);
          }
          try {
            const text = await readFile(portFile, 'utf8');
            const port = Number.parseInt(text.trim(), 10);
            return port > 0 ? port : null;
          } catch (err) {
            if (err.code === 'ENOENT') return null;
            throw err;
          }
        },
        { timeoutMs: 20_000, intervalMs: 25 },
      );
      server.port = port;
      server.baseUrl = `http://127.0.0.1:${port}`;
      return server;
    } catch (err) {
      await server.stop().catch(() => {});
      await server.cleanup();
      throw err;
    }
  }

  constructor(binary, args, dataDir) {
    this.dataDir = dataDir;
    this.stopping = false;
    this.exited = false;
    this.exitCode = null;
    this.exitSignal = null;
    this.logs = '';
    this.proc = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const keep = (chunk) => {
      this.logs = (this.logs + chunk.toString()).slice(-64 * 1024);
    };
    this.proc.stdout.on('data', keep);
    this.proc.stderr.on('data', keep);
    this.exitPromise = new Promise((resolveExit) => {
      this.proc.on('exit', (code, signal) => {
        this.exited = true;
        this.exitCode = code;
        this.exitSignal = signal;
        if (!this.stopping) {
          // A crash must not hide behind the connection errors it causes.
          process.stderr.write(`\n*** aidmp serve exited unexpectedly (${this.exitDescription()}); its output:\n${this.output()}\n`);
        }
        resolveExit({ code, signal });
      });
      this.proc.on('error', (err) => {
        this.logs += `\nspawn error: ${err.message}`;
        this.exited = true;
        resolveExit({ code: null, signal: null, error: err });
      });
    });
  }

  output() {
    return this.logs || '(no output)';
  }

  exitDescription() {
    return this.exitSignal ? `signal ${this.exitSignal}` : `exit code ${this.exitCode}`;
  }

  // SIGTERM, then waits for the exit; SIGKILL and an error if it does not stop in time.
  async stop({ timeoutMs = 15_000 } = {}) {
    this.stopping = true;
    if (!this.exited) this.proc.kill('SIGTERM');
    const timer = delay(timeoutMs, 'timeout', { ref: false });
    const outcome = await Promise.race([this.exitPromise, timer]);
    if (outcome === 'timeout') {
      this.proc.kill('SIGKILL');
      await this.exitPromise;
      throw new Error(`aidmp serve did not exit within ${timeoutMs} ms of SIGTERM:\n${this.output()}`);
    }
    return outcome;
  }

  async cleanup() {
    this.stopping = true;
    if (!this.exited) {
      this.proc.kill('SIGKILL');
      await this.exitPromise;
    }
    await rm(this.dataDir, { recursive: true, force: true });
  }

  url(path) {
    return `${this.baseUrl}${path}`;
  }

  // fetch() that, when the request fails because the server died, says so.
  async fetch(path, init) {
    try {
      return await fetch(this.url(path), init);
    } catch (err) {
      if (this.exited && !this.stopping) {
        throw new Error(`${init?.method ?? 'GET'} ${path} failed (${err.cause?.code ?? err.message}): ` +
          `aidmp serve had exited (${this.exitDescription()}); its output:\n${this.output()}`, { cause: err });
      }
      throw err;
    }
  }

  // GET an admin route with the admin key; returns {status, body (parsed JSON or text)}.
  async adminGet(path, { key = ADMIN_KEY } = {}) {
    const res = await this.fetch(path, { headers: { Authorization: `Bearer ${key}` } });
    const text = await res.text();
    let body = text;
    if ((res.headers.get('content-type') || '').includes('json')) body = JSON.parse(text);
    return { status: res.status, body, headers: res.headers };
  }

  async adminJson(path) {
    const { status, body } = await this.adminGet(path);
    if (status !== 200) throw new Error(`GET ${path} answered ${status}: ${JSON.stringify(body)}`);
    return body;
  }

  stats() {
    return this.adminJson('/v1/stats');
  }

  // Waits until every background processor has applied the whole event log, so that
  // a query afterwards sees everything stored so far (and proves an absence).
  async waitForIndexer() {
    return waitFor('the indexer to catch up with the event log', async () => {
      const stats = await this.stats();
      const processors = Object.values(stats.processors || {});
      const ok = processors.length > 0 && processors.every((p) => p.applied_seq >= stats.log_last_seq);
      return { ok, seen: stats };
    });
  }

  // Every stored event matching `params`, following next_cursor through all pages.
  async allEvents(params = {}, { pageLimit } = {}) {
    const events = [];
    let cursor = null;
    for (let page = 0; page < 1000; ++page) {
      const query = new URLSearchParams(params);
      if (pageLimit) query.set('limit', String(pageLimit));
      if (cursor) query.set('cursor', cursor);
      const body = await this.adminJson(`/v1/events?${query}`);
      if (!Array.isArray(body.events)) throw new Error(`/v1/events gave no events array: ${JSON.stringify(body)}`);
      events.push(...body.events);
      cursor = body.next_cursor;
      if (cursor === null) return events;
      if (typeof cursor !== 'string' || cursor === '') {
        throw new Error(`next_cursor must be null or a non-empty string, got ${JSON.stringify(cursor)}`);
      }
    }
    throw new Error('/v1/events paging did not end after 1000 pages');
  }

  // Polls /v1/events until at least `count` events match, then returns them.
  async waitForEvents(params, count) {
    const result = await waitFor(`${count} events matching ${JSON.stringify(params)}`, async () => {
      const events = await this.allEvents(params);
      return { ok: events.length >= count, events, seen: events.map((e) => `${e.type}:${e.messageId}`) };
    });
    return result.events;
  }

  // POSTs to the collector. `body` is an object (sent as JSON), a string or a Buffer.
  async collect(path, body, { auth = basicAuth(WRITE_KEY), gzip = false, headers = {} } = {}) {
    let payload = typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body);
    const allHeaders = { 'Content-Type': 'application/json', ...headers };
    if (auth) allHeaders.Authorization = auth;
    if (gzip) {
      payload = gzipSync(payload);
      allHeaders['Content-Encoding'] = 'gzip';
    }
    const res = await this.fetch(path, { method: 'POST', headers: allHeaders, body: payload });
    const text = await res.text();
    let json = null;
    try {
      json = JSON.parse(text);
    } catch {
      // left null: the caller asserts on it
    }
    return { status: res.status, json, text, headers: res.headers };
  }
}

// Like every SDK's HTTP client, holds an idle keep-alive connection to the server,
// then sends SIGTERM: the server must exit with status 0 within `timeoutMs`, and
// nothing may listen on its port afterwards.
export async function assertStopsPromptly(server, { timeoutMs = 10_000 } = {}) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  try {
    await new Promise((resolveGet, rejectGet) => {
      http
        .get(server.url('/healthz'), { agent }, (res) => {
          res.resume();
          res.on('end', () => (res.statusCode === 200 ? resolveGet() : rejectGet(new Error(`healthz ${res.statusCode}`))));
        })
        .on('error', rejectGet);
    });
    const started = Date.now();
    let outcome;
    try {
      outcome = await server.stop({ timeoutMs });
    } catch (err) {
      err.message += '\n(an idle HTTP/1.1 keep-alive client connection was open, as SDK clients keep them)';
      throw err;
    }
    const elapsed = Date.now() - started;
    if (outcome.code !== 0) {
      throw new Error(`aidmp serve exited with ${server.exitDescription()} after SIGTERM:\n${server.output()}`);
    }
    let listening = true;
    try {
      await fetch(server.url('/healthz'));
    } catch {
      listening = false;
    }
    if (listening) throw new Error(`something still answers on port ${server.port} after aidmp serve exited`);
    return elapsed;
  } finally {
    agent.destroy();
  }
}

const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$/;

export function isoMillis(value) {
  if (typeof value !== 'string' || !ISO_UTC.test(value)) return NaN;
  // Date.parse takes at most millisecond precision reliably: cut longer fractions.
  return Date.parse(value.replace(/(\.\d{3})\d+Z$/, '$1Z'));
}

export function isIsoTimestamp(value) {
  return Number.isFinite(isoMillis(value));
}

// Numbers added to each counter of /v1/stats between two snapshots.
export function statsDelta(before, after) {
  const delta = {};
  for (const key of ['events_received', 'events_stored', 'duplicates', 'quarantined']) {
    delta[key] = after[key] - before[key];
  }
  return delta;
}

export function uniqueSuffix() {
  return `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
}
