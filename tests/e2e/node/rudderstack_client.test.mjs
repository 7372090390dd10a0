// End-to-end: RudderStack's Node SDK (@rudderstack/rudder-sdk-node, from npm), which
// speaks the same Segment protocol but gzips every batch, sends per-message sentAt
// and originalTimestamp, and copies identify traits into context.traits. Everything is
// read back from a real `aidmp serve` over the admin API.
//
// Run: make e2e-deps && AIDMP_BINARY=build/release/aidmp node --test tests/e2e/node/
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { gunzipSync } from 'node:zlib';

import {
  AidmpServer,
  WRITE_KEY,
  assertStopsPromptly,
  isIsoTimestamp,
  isoMillis,
  missingDependencies,
  sha256Hex,
  statsDelta,
  uniqueSuffix,
} from './lib/harness.mjs';

const SDK = '@rudderstack/rudder-sdk-node';
const missing = missingDependencies([SDK]);

if (missing) {
  // Never pass silently without the client: the whole point is the real SDK.
  test(`${SDK} is installed`, () => {
    assert.fail(missing);
  });
} else {
  const { default: Analytics } = await import(SDK);

  // A client that delivers at once (small flushAt, short interval) and does not retry,
  // recording every HTTP request it makes and every error it reports.
  function newClient(server, { writeKey = WRITE_KEY, flushAt = 4 } = {}) {
    const wire = { requests: [], responses: [], errors: [] };
    const client = new Analytics(writeKey, {
      dataPlaneUrl: server.baseUrl,
      flushAt,
      flushInterval: 50,
      retryCount: 0,
      logLevel: 'off',
      errorHandler: (err) => wire.errors.push(err),
    });
    client.axiosInstance.interceptors.request.use((config) => {
      wire.requests.push(config);
      return config;
    });
    client.axiosInstance.interceptors.response.use(
      (res) => {
        wire.responses.push(res.status);
        return res;
      },
      (err) => {
        wire.responses.push(err.response?.status ?? err.code);
        return Promise.reject(err);
      },
    );
    return { client, wire };
  }

  // The batch body as sent: the SDK gzips it by default.
  function decodeBody(data) {
    if (Buffer.isBuffer(data) || data instanceof Uint8Array) return JSON.parse(gunzipSync(data).toString('utf8'));
    return typeof data === 'string' ? JSON.parse(data) : data;
  }

  // Sends every call, flushes, and resolves once every callback has fired, to
  // [{method, params, message, err}] with each message exactly as the SDK sent it.
  async function sendAll(client, calls) {
    const pending = calls.map(
      ([method, params]) =>
        new Promise((resolve) => {
          client[method](params, (err, data) => {
            const sentBatch = data ? decodeBody(data).batch : [];
            resolve({ method, params, err, sentBatch });
          });
        }),
    );
    const deadline = Date.now() + 20_000;
    let settled = false;
    const all = Promise.all(pending).finally(() => {
      settled = true;
    });
    while (!settled && Date.now() < deadline) {
      await client.flush().catch(() => {});
      await Promise.race([all, new Promise((r) => setTimeout(r, 50))]);
    }
    assert.ok(settled, 'the SDK did not call back for every message within 20 s');
    return assignMessages(await all);
  }

  function sameIds(message, params) {
    return (message.userId ?? undefined) === params.userId && (message.anonymousId ?? undefined) === params.anonymousId
      && (params.messageId === undefined || message.messageId === params.messageId);
  }

  // Each call's callback sees its whole batch; match calls to batch items in order.
  function assignMessages(results) {
    const used = new Set();
    for (const r of results) {
      r.message = r.sentBatch.find((m) => !used.has(m.messageId) && m.type === r.method && sameIds(m, r.params)
        && (r.params.event === undefined || m.event === r.params.event)
        && (r.params.name === undefined || m.name === r.params.name)
        && (r.params.groupId === undefined || m.groupId === r.params.groupId));
      if (r.message) used.add(r.message.messageId);
    }
    return results;
  }

  describe(`aidmp serve with ${SDK}`, { timeout: 90_000 }, () => {
    let server;
    const run = uniqueSuffix();
    const userId = `rs-user-${run}`;
    const anonymousId = `rs-anon-${run}`;
    const email = ' Grace.Hopper@Example.NET';
    let statsAtStart;
    let sent = [];
    let firstWire;

    before(async () => {
      server = await AidmpServer.start();
      statsAtStart = await server.stats();
    });

    after(async () => {
      if (server) await server.cleanup();
    });

    test('the SDK delivers identify, track, page, screen, group and alias as gzip batches', async () => {
      const { client, wire } = newClient(server);
      firstWire = wire;
      sent = await sendAll(client, [
        ['identify', { userId, traits: { email, name: 'Grace Hopper', rank: 'admiral' } }],
        ['track', { userId, event: 'Checkout Started', properties: { cartId: `cart-${run}`, value: 120.75, items: ['a', 'b'] } }],
        ['page', { userId, category: 'Shop', name: 'Cart', properties: { path: '/cart' } }],
        ['screen', { userId, name: 'Settings', properties: { section: 'profile' } }],
        ['group', { userId, groupId: `navy-${run}`, traits: { name: 'US Navy', size: 300_000 } }],
        ['alias', { userId, previousId: anonymousId }],
        ['identify', { anonymousId, traits: { email: 'Someone@Example.NET', source: 'ad' } }],
        ['track', { anonymousId, event: 'Ad Clicked', properties: { campaign: 'spring' } }],
        ['page', { anonymousId, name: 'Landing', properties: { path: '/landing' } }],
        ['screen', { anonymousId, name: 'Splash' }],
        ['group', { anonymousId, groupId: `prospects-${run}`, traits: {} }],
      ]);

      for (const r of sent) {
        assert.equal(r.err, undefined, `${r.method} not delivered: ${r.err?.message ?? r.err}`);
        assert.ok(r.message?.messageId, `${r.method} ${JSON.stringify(r.params)} found in its batch`);
      }
      assert.deepEqual(wire.errors, []);
      assert.ok(wire.requests.length >= 3, `expected several batches, saw ${wire.requests.length}`);
      for (const req of wire.requests) {
        assert.equal(req.method, 'post');
        assert.equal(req.url, server.url('/v1/batch'));
        assert.deepEqual(req.auth, { username: WRITE_KEY });
        assert.equal(req.headers['Content-Encoding'], 'gzip', 'the SDK gzips its batches');
        const body = decodeBody(req.data);
        assert.ok(Array.isArray(body.batch) && body.batch.length > 0);
      }
      assert.ok(wire.responses.every((s) => s === 200), `responses ${wire.responses}`);
      const sentIds = wire.requests.flatMap((req) => decodeBody(req.data).batch.map((m) => m.messageId));
      assert.deepEqual([...sentIds].sort(), sent.map((r) => r.message.messageId).sort());
    });

    function assertStored(stored, { method, params, message }) {
      const what = `${method} ${message.messageId}`;
      assert.equal(stored.type, method, what);
      assert.equal(stored.messageId, message.messageId, what);
      assert.equal(stored.userId, params.userId, `${what} userId`);
      assert.equal(stored.anonymousId, params.anonymousId, `${what} anonymousId`);
      for (const field of ['timestamp', 'originalTimestamp', 'sentAt', 'receivedAt']) {
        assert.ok(isIsoTimestamp(stored[field]), `${what} ${field} is ISO-8601: ${stored[field]}`);
      }
      assert.equal(isoMillis(stored.originalTimestamp), Date.parse(message.originalTimestamp), `${what} originalTimestamp`);
      assert.equal(isoMillis(stored.sentAt), Date.parse(message.sentAt), `${what} per-message sentAt`);
      assert.ok(Math.abs(isoMillis(stored.timestamp) - isoMillis(stored.originalTimestamp)) < 5_000, `${what} timestamp`);
      assert.equal(stored.context?.library?.name, 'analytics-node', `${what} context.library`);
      switch (method) {
        case 'identify': {
          const normalised = params.traits.email.trim().toLowerCase();
          assert.equal(stored.traits.email, sha256Hex(normalised), `${what} traits.email hashed`);
          // This SDK copies traits into context.traits: hashed there too.
          assert.equal(stored.context.traits?.email, sha256Hex(normalised), `${what} context.traits.email hashed`);
          assert.ok(!JSON.stringify(stored).toLowerCase().includes(normalised), `${what}: no clear-text email anywhere`);
          const { email: _email, ...rest } = params.traits;
          for (const [key, value] of Object.entries(rest)) assert.deepEqual(stored.traits[key], value, `${what} traits.${key}`);
          break;
        }
        case 'track':
          assert.equal(stored.event, params.event, what);
          assert.deepEqual(stored.properties, params.properties, `${what} properties`);
          break;
        case 'page':
        case 'screen':
          assert.equal(stored.name, params.name, what);
          if (params.properties) assert.deepEqual(stored.properties, params.properties, `${what} properties`);
          break;
        case 'group':
          assert.equal(stored.groupId, params.groupId, what);
          if (Object.keys(params.traits).length) assert.deepEqual(stored.traits, params.traits, `${what} traits`);
          break;
        case 'alias':
          assert.equal(stored.previousId, params.previousId, what);
          break;
        default:
          assert.fail(`unexpected method ${method}`);
      }
    }

    function assertMatches(stored, expected, label) {
      assert.equal(stored.length, expected.length,
        `${label}: stored ${stored.map((e) => e.type).join(',')} vs sent ${expected.map((r) => r.method).join(',')}`);
      const byId = new Map(stored.map((e) => [e.messageId, e]));
      for (const r of expected) {
        const event = byId.get(r.message.messageId);
        assert.ok(event, `${label}: ${r.method} ${r.message.messageId} was not read back`);
        assertStored(event, r);
      }
    }

    test('every message reads back by userId and by anonymousId', async () => {
      assert.ok(sent.length > 0, 'the SDK test sent nothing');
      const byUser = sent.filter((r) => r.params.userId === userId);
      assertMatches(await server.waitForEvents({ userId }, byUser.length), byUser, `userId=${userId}`);
      const byAnon = sent.filter((r) => r.params.anonymousId === anonymousId);
      assertMatches(await server.waitForEvents({ anonymousId }, byAnon.length), byAnon, `anonymousId=${anonymousId}`);
    });

    test('/v1/stats counts exactly what the SDK sent', async () => {
      assert.deepEqual(statsDelta(statsAtStart, await server.stats()), {
        events_received: sent.length,
        events_stored: sent.length,
        duplicates: 0,
        quarantined: 0,
      });
    });

    test('re-sending the same messageIds through the SDK counts duplicates and stores nothing', async () => {
      const before = await server.stats();
      const { client, wire } = newClient(server, { flushAt: 20 });
      const again = await sendAll(client, sent.map((r) => [r.method, { ...r.params, messageId: r.message.messageId }]));
      for (const r of again) assert.equal(r.err, undefined, `${r.method} re-send failed: ${r.err?.message ?? r.err}`);
      assert.ok(wire.responses.every((s) => s === 200));
      assert.deepEqual(statsDelta(before, await server.stats()), {
        events_received: sent.length,
        events_stored: 0,
        duplicates: sent.length,
        quarantined: 0,
      });
      await server.waitForIndexer();
      assert.equal((await server.allEvents({})).length, sent.length, 'no event stored twice');
    });

    test('a raw re-send of a recorded SDK request (gzip as sent) reports duplicates', async () => {
      assert.ok(firstWire?.requests.length > 0);
      const req = firstWire.requests[firstWire.requests.length - 1];
      const count = decodeBody(req.data).batch.length;
      const res = await server.collect('/v1/batch', Buffer.from(req.data), { headers: { 'Content-Encoding': 'gzip' } });
      assert.equal(res.status, 200, res.text);
      assert.deepEqual(res.json, { success: true, stored: 0, duplicates: count, quarantined: 0 });
    });

    test('the SDK with an unknown write key gets 401 and reports the failure', async () => {
      const before = await server.stats();
      const { client, wire } = newClient(server, { writeKey: 'not-the-write-key', flushAt: 1 });
      const [r] = await sendAll(client, [['track', { userId: 'rs-intruder', event: 'Nope' }]]);
      assert.ok(r.err, 'the SDK must see the failure');
      assert.equal(r.err.response?.status, 401);
      assert.equal(typeof r.err.response?.data?.error?.message, 'string');
      assert.deepEqual(wire.responses, [401]);
      assert.equal(wire.errors.length, 1);
      assert.equal(wire.requests[0].auth.username, 'not-the-write-key');
      assert.deepEqual(statsDelta(before, await server.stats()),
        { events_received: 0, events_stored: 0, duplicates: 0, quarantined: 0 });
    });

    test('SIGTERM stops the server promptly and cleanly, even with a client connection open', async () => {
      await assertStopsPromptly(server);
    });
  });
}
