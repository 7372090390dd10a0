// End-to-end: Segment's own Node SDK (@segment/analytics-node, from npm) sends every
// message type to a real `aidmp serve`, and everything is read back over the admin API.
// Raw fetch covers what an SDK never sends: bad keys, bad JSON, gzip, oversize bodies
// and a bad event inside a good batch.
//
// Run: make e2e-deps && AIDMP_BINARY=build/release/aidmp node --test tests/e2e/node/
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { gzipSync } from 'node:zlib';

import {
  AidmpServer,
  WRITE_KEY,
  assertStopsPromptly,
  basicAuth,
  installedVersion,
  isIsoTimestamp,
  isoMillis,
  missingDependencies,
  sha256Hex,
  statsDelta,
  uniqueSuffix,
} from './lib/harness.mjs';

const SDK = '@segment/analytics-node';
const missing = missingDependencies([SDK]);

if (missing) {
  // Never pass silently without the client: the whole point is the real SDK.
  test(`${SDK} is installed`, () => {
    assert.fail(missing);
  });
} else {
  const { Analytics } = await import(SDK);
  const sdkVersion = installedVersion(SDK);

  // One Analytics client pointed at the server, tuned to deliver at once: a small
  // flushAt so one run sends several batches, a short interval, and few retries so a
  // failure shows quickly. Records each HTTP request and response it makes.
  function newClient(server, { writeKey = WRITE_KEY, flushAt = 4 } = {}) {
    const client = new Analytics({
      writeKey,
      host: server.baseUrl,
      flushAt,
      flushInterval: 50,
      maxRetries: 1,
      httpRequestTimeout: 10_000,
    });
    const wire = { requests: [], responses: [], errors: [] };
    client.on('http_request', (req) => wire.requests.push(req));
    client.on('http_response', (res) => wire.responses.push(res));
    client.on('error', (err) => wire.errors.push(err));
    return { client, wire };
  }

  // Calls client[method](params) and resolves, once delivered (or failed), to
  // {err, event}: the event exactly as the SDK built and sent it.
  function send(client, method, params) {
    return new Promise((resolve) => {
      client[method](params, (err, ctx) => resolve({ err, event: ctx?.event, method, params }));
    });
  }

  async function sendAll(client, calls) {
    const pending = calls.map(([method, params]) => send(client, method, params));
    await client.closeAndFlush({ timeout: 20_000 });
    return Promise.all(pending);
  }

  describe(`aidmp serve with ${SDK}`, { timeout: 90_000 }, () => {
    let server;
    const run = uniqueSuffix();
    const userId = `seg-user-${run}`;
    const anonymousId = `seg-anon-${run}`;
    const bothUserId = `seg-both-user-${run}`;
    const bothAnonymousId = `seg-both-anon-${run}`;
    const email = '  Ada.Lovelace@Example.COM ';
    const anonEmail = 'Visitor@Example.org';
    const fixedTime = new Date(Date.now() - 90_000);
    let statsAtStart;
    let sent = []; // [{method, params, event, err}] from the SDK
    let firstWire;

    before(async () => {
      server = await AidmpServer.start();
      statsAtStart = await server.stats();
    });

    after(async () => {
      if (server) await server.cleanup();
    });

    test('the server is healthy and refuses admin routes without the admin key', async () => {
      const health = await server.fetch('/healthz');
      assert.equal(health.status, 200);
      assert.deepEqual(await health.json(), { status: 'ok' });
      const noKey = await server.fetch('/v1/events');
      assert.equal(noKey.status, 401);
      const wrongKey = await server.adminGet('/v1/stats', { key: 'not-the-admin-key' });
      assert.equal(wrongKey.status, 401);
      assert.equal(typeof wrongKey.body.error?.message, 'string');
    });

    test('the SDK delivers identify, track, page, screen, group and alias to /v1/batch', async () => {
      const { client, wire } = newClient(server);
      firstWire = wire;
      const calls = [
        // Known user.
        ['identify', { userId, traits: { email, name: 'Ada Lovelace', plan: 'pro', logins: 3 } }],
        ['track', {
          userId,
          event: 'Order Completed',
          properties: {
            orderId: `order-${run}`,
            revenue: 42.5,
            currency: 'EUR',
            products: [{ sku: 'sku-1', price: 9.99, quantity: 2 }, { sku: 'sku-2', price: 22.52, quantity: 1 }],
            coupon: null,
            gift: false,
          },
          timestamp: fixedTime,
        }],
        ['page', { userId, category: 'Docs', name: 'Pricing', properties: { path: '/pricing', referrer: 'https://example.com/' } }],
        ['screen', { userId, name: 'Dashboard', properties: { tab: 'overview' } }],
        ['group', { userId, groupId: `acme-${run}`, traits: { name: 'Acme Inc', employees: 42 } }],
        ['alias', { userId, previousId: anonymousId }],
        // Anonymous visitor.
        ['identify', { anonymousId, traits: { email: anonEmail, newsletter: true } }],
        ['track', { anonymousId, event: 'Product Viewed', properties: { sku: 'sku-1', price: 9.99 } }],
        ['page', { anonymousId, name: 'Home', properties: { path: '/' } }],
        ['screen', { anonymousId, name: 'Login' }],
        ['group', { anonymousId, groupId: `visitors-${run}`, traits: { tier: 'free' } }],
        // Both ids on one message.
        ['track', { userId: bothUserId, anonymousId: bothAnonymousId, event: 'Signed Up', properties: { method: 'email' } }],
      ];
      sent = await sendAll(client, calls);

      for (const result of sent) {
        assert.equal(result.err, undefined, `${result.method} was not delivered: ${result.err}`);
        assert.ok(result.event?.messageId, `${result.method} has a messageId`);
      }
      assert.deepEqual(wire.errors, []);
      // flushAt 4 and 12 messages: at least 3 batches, all to /v1/batch with Basic auth.
      assert.ok(wire.requests.length >= 3, `expected several batches, saw ${wire.requests.length}`);
      for (const req of wire.requests) {
        assert.equal(req.method, 'POST');
        assert.equal(req.url, server.url('/v1/batch'));
        assert.equal(req.headers.Authorization, basicAuth(WRITE_KEY));
        const body = JSON.parse(req.body);
        assert.ok(Array.isArray(body.batch) && body.batch.length > 0);
        assert.ok(isIsoTimestamp(body.sentAt), `batch sentAt ${body.sentAt}`);
      }
      assert.equal(wire.responses.length, wire.requests.length);
      for (const res of wire.responses) assert.equal(res.status, 200);
      const sentIds = wire.requests.flatMap((req) => JSON.parse(req.body).batch.map((m) => m.messageId));
      assert.deepEqual(sentIds.sort(), sent.map((r) => r.event.messageId).sort());
    });

    // Checks one stored event against what the SDK sent.
    function assertStored(stored, result) {
      const { method, params, event } = result;
      const what = `${method} ${event.messageId}`;
      assert.equal(stored.type, method, what);
      assert.equal(stored.messageId, event.messageId, what);
      assert.equal(stored.userId, params.userId, `${what} userId`);
      assert.equal(stored.anonymousId, params.anonymousId, `${what} anonymousId`);
      assert.ok(Number.isInteger(stored.seq) && stored.seq > 0, `${what} seq`);
      assert.match(stored.source, /^http:/, `${what} source`);
      for (const field of ['timestamp', 'originalTimestamp', 'sentAt', 'receivedAt']) {
        assert.ok(isIsoTimestamp(stored[field]), `${what} ${field} is ISO-8601: ${stored[field]}`);
      }
      // The SDK's own clock reading is kept as originalTimestamp, to the millisecond.
      assert.equal(isoMillis(stored.originalTimestamp), new Date(event.timestamp).getTime(), `${what} originalTimestamp`);
      // timestamp is corrected for clock skew (receivedAt - sentAt): same machine, so close.
      assert.ok(Math.abs(isoMillis(stored.timestamp) - isoMillis(stored.originalTimestamp)) < 5_000, `${what} timestamp`);
      assert.ok(isoMillis(stored.receivedAt) >= isoMillis(stored.sentAt) - 5_000, `${what} receivedAt`);
      assert.equal(stored.context?.library?.name, SDK, `${what} context.library.name`);
      assert.equal(stored.context?.library?.version, sdkVersion, `${what} context.library.version`);

      switch (method) {
        case 'identify': {
          const expectedEmail = sha256Hex(params.traits.email.trim().toLowerCase());
          assert.equal(stored.traits.email, expectedEmail, `${what}: email hashed`);
          assert.ok(!JSON.stringify(stored).toLowerCase().includes(params.traits.email.trim().toLowerCase()),
            `${what}: the clear-text email is stored nowhere`);
          const { email: _email, ...rest } = params.traits;
          for (const [key, value] of Object.entries(rest)) assert.deepEqual(stored.traits[key], value, `${what} traits.${key}`);
          assert.ok(stored.flags?.split(',').includes('pii_hashed'), `${what} flags ${stored.flags}`);
          break;
        }
        case 'track':
          assert.equal(stored.event, params.event, what);
          assert.deepEqual(stored.properties, params.properties, `${what} properties`);
          break;
        case 'page':
          assert.equal(stored.name, params.name, what);
          // The SDK copies the page category into properties.
          assert.deepEqual(stored.properties,
            { ...params.properties, ...(params.category ? { category: params.category } : {}) }, `${what} properties`);
          break;
        case 'screen':
          assert.equal(stored.name, params.name, what);
          if (params.properties) assert.deepEqual(stored.properties, params.properties, `${what} properties`);
          break;
        case 'group':
          assert.equal(stored.groupId, params.groupId, what);
          assert.deepEqual(stored.traits, params.traits, `${what} traits`);
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
      assert.equal(byId.size, stored.length, `${label}: messageIds are unique`);
      for (const result of expected) {
        const event = byId.get(result.event.messageId);
        assert.ok(event, `${label}: ${result.method} ${result.event.messageId} was not read back`);
        assertStored(event, result);
      }
      // Oldest first, by event time.
      const times = stored.map((e) => isoMillis(e.timestamp));
      assert.deepEqual(times, [...times].sort((a, b) => a - b), `${label}: ordered by timestamp`);
    }

    test('every message reads back by userId with its fields intact', async () => {
      assert.ok(sent.length > 0, 'the SDK test sent nothing');
      const expected = sent.filter((r) => r.params.userId === userId);
      const stored = await server.waitForEvents({ userId }, expected.length);
      assertMatches(stored, expected, `userId=${userId}`);
      const track = stored.find((e) => e.type === 'track');
      assert.equal(isoMillis(track.originalTimestamp), fixedTime.getTime(), 'an explicit timestamp is kept');
    });

    test('every message reads back by anonymousId, and by either id when both were sent', async () => {
      const expected = sent.filter((r) => r.params.anonymousId === anonymousId && !r.params.userId);
      const stored = await server.waitForEvents({ anonymousId }, expected.length);
      assertMatches(stored, expected, `anonymousId=${anonymousId}`);

      const both = sent.filter((r) => r.params.userId === bothUserId);
      assert.equal(both.length, 1);
      assertMatches(await server.waitForEvents({ userId: bothUserId }, 1), both, 'both ids, by userId');
      assertMatches(await server.waitForEvents({ anonymousId: bothAnonymousId }, 1), both, 'both ids, by anonymousId');
    });

    test('type, event and time filters and cursor paging select the right events', async () => {
      await server.waitForIndexer();
      const tracks = await server.allEvents({ userId, type: 'track' });
      assert.deepEqual(tracks.map((e) => e.event), ['Order Completed']);
      const named = await server.allEvents({ event: 'Product Viewed' });
      assert.deepEqual(named.map((e) => e.anonymousId), [anonymousId]);
      const screens = await server.allEvents({ type: 'screen' });
      assert.deepEqual(screens.map((e) => e.name).sort(), ['Dashboard', 'Login']);

      // The explicit timestamp lies 90 s back; everything else is "now".
      const from = new Date(fixedTime.getTime() + 30_000).toISOString();
      const recent = await server.allEvents({ userId, from });
      assert.ok(!recent.some((e) => e.event === 'Order Completed'), 'from= excludes older events');
      assert.equal(recent.length, sent.filter((r) => r.params.userId === userId).length - 1);
      const old = await server.allEvents({ userId, to: from });
      assert.deepEqual(old.map((e) => e.event), ['Order Completed'], 'to= keeps only older events');

      const all = await server.allEvents({});
      const paged = await server.allEvents({}, { pageLimit: 2 });
      assert.equal(all.length, sent.length);
      assert.deepEqual(paged.map((e) => e.messageId), all.map((e) => e.messageId), 'paging with limit=2 sees the same events');

      const badLimit = await server.adminGet('/v1/events?limit=0');
      assert.equal(badLimit.status, 400);
      assert.equal(badLimit.body.error?.code, 'bad_request');
    });

    test('/v1/stats counts exactly what the SDK sent', async () => {
      const stats = await server.stats();
      assert.deepEqual(statsDelta(statsAtStart, stats), {
        events_received: sent.length,
        events_stored: sent.length,
        duplicates: 0,
        quarantined: 0,
      });
      assert.equal(stats.log_last_seq, sent.length);
    });

    test('the SDK re-sending the same messageIds stores nothing twice', async () => {
      const before = await server.stats();
      const { client, wire } = newClient(server, { flushAt: 5 });
      const again = await sendAll(client, sent.map((r) => [r.method, { ...r.params, messageId: r.event.messageId }]));
      for (const result of again) assert.equal(result.err, undefined, `${result.method} re-send failed: ${result.err}`);
      assert.deepEqual(again.map((r) => r.event.messageId), sent.map((r) => r.event.messageId));
      assert.ok(wire.responses.every((res) => res.status === 200));

      const afterStats = await server.stats();
      assert.deepEqual(statsDelta(before, afterStats), {
        events_received: sent.length,
        events_stored: 0,
        duplicates: sent.length,
        quarantined: 0,
      });
      await server.waitForIndexer();
      assert.equal((await server.allEvents({})).length, sent.length, 'no event stored twice');
    });

    test('a raw re-send of an SDK batch answers with its duplicates and stores nothing', async () => {
      assert.ok(firstWire?.requests.length > 0, 'no SDK batch was recorded');
      const body = JSON.parse(firstWire.requests[0].body);
      const before = await server.stats();
      const res = await server.collect('/v1/batch', body);
      assert.equal(res.status, 200, res.text);
      assert.deepEqual(res.json, { success: true, stored: 0, duplicates: body.batch.length, quarantined: 0 });
      const afterStats = await server.stats();
      assert.equal(afterStats.duplicates - before.duplicates, body.batch.length);
      assert.equal(afterStats.events_stored, before.events_stored);
      await server.waitForIndexer();
      assert.equal((await server.allEvents({})).length, sent.length);

      // A batch holding the same new message twice stores it once.
      const messageId = `dup-in-batch-${run}`;
      const twice = { type: 'track', userId: `dup-user-${run}`, event: 'Twice', messageId };
      const res2 = await server.collect('/v1/batch', { batch: [twice, twice] });
      assert.equal(res2.status, 200, res2.text);
      assert.deepEqual(res2.json, { success: true, stored: 1, duplicates: 1, quarantined: 0 });
      const stored = await server.waitForEvents({ userId: twice.userId }, 1);
      await server.waitForIndexer();
      assert.equal((await server.allEvents({ userId: twice.userId })).length, 1);
      assert.equal(stored[0].messageId, messageId);
    });

    test('distinct messages sent without a messageId are all stored, each with a generated id', async () => {
      // The HTTP API does not require messageId (curl users, hand-rolled clients); the
      // server makes one up. Distinct messages must never collide as duplicates.
      const noIdUser = `noid-user-${run}`;
      const calls = [
        ['/v1/group', { userId: noIdUser, groupId: `g1-${run}` }],
        ['/v1/group', { userId: noIdUser, groupId: `g2-${run}` }],
        ['/v1/alias', { userId: noIdUser, previousId: `prev1-${run}` }],
        ['/v1/alias', { userId: noIdUser, previousId: `prev2-${run}` }],
        ['/v1/track', { userId: noIdUser, event: 'Viewed', context: { page: { path: '/a' } } }],
        ['/v1/track', { userId: noIdUser, event: 'Viewed', context: { page: { path: '/b' } } }],
      ];
      const answers = [];
      for (const [path, body] of calls) {
        const res = await server.collect(path, body);
        assert.equal(res.status, 200, res.text);
        answers.push(`${path} ${JSON.stringify(body)} -> ${res.text}`);
      }
      const stored = await server.waitForIndexer().then(() => server.allEvents({ userId: noIdUser }));
      assert.equal(stored.length, calls.length,
        `every distinct message is stored; answers:\n${answers.join('\n')}\nstored: ${stored.map((e) => `${e.type}:${e.groupId ?? e.previousId ?? e.context?.page?.path}`).join(', ')}`);
      for (const event of stored) assert.ok(event.messageId, 'a messageId is generated');
      assert.equal(new Set(stored.map((e) => e.messageId)).size, stored.length, 'generated ids are distinct');
    });

    test('a wrong or missing write key gets 401, and the SDK reports the failure', async () => {
      const before = await server.stats();
      const event = { batch: [{ type: 'track', userId: 'intruder', event: 'Nope' }] };
      for (const [label, auth, body] of [
        ['wrong Basic key', basicAuth('not-the-write-key'), event],
        ['wrong Bearer key', 'Bearer not-the-write-key', event],
        ['wrong key in the body', null, { ...event, writeKey: 'not-the-write-key' }],
        ['no key at all', null, event],
      ]) {
        const res = await server.collect('/v1/batch', body, { auth });
        assert.equal(res.status, 401, `${label}: ${res.text}`);
        assert.equal(typeof res.json?.error?.message, 'string', `${label}: error message`);
        assert.ok(res.json.error.message.length > 0);
      }
      const single = await server.collect('/v1/track', { userId: 'intruder', event: 'Nope' }, { auth: basicAuth('nope') });
      assert.equal(single.status, 401);

      const { client, wire } = newClient(server, { writeKey: 'not-the-write-key', flushAt: 1 });
      const [result] = await sendAll(client, [['track', { userId: 'intruder', event: 'Nope' }]]);
      assert.ok(result.err, 'the SDK must see the delivery fail');
      assert.match(String(result.err?.message ?? result.err), /401/);
      assert.deepEqual(wire.responses.map((r) => r.status), [401], 'a 401 is not retried');

      assert.deepEqual(statsDelta(before, await server.stats()),
        { events_received: 0, events_stored: 0, duplicates: 0, quarantined: 0 });
      await server.waitForIndexer();
      assert.equal((await server.allEvents({ userId: 'intruder' })).length, 0);
    });

    test('the write key is also taken as a Bearer token or from the body', async () => {
      const bearerUser = `bearer-user-${run}`;
      const bearer = await server.collect('/v1/track', { userId: bearerUser, event: 'Via Bearer' }, { auth: `Bearer ${WRITE_KEY}` });
      assert.equal(bearer.status, 200, bearer.text);
      assert.deepEqual(bearer.json, { success: true, stored: 1, duplicates: 0, quarantined: 0 });
      const inBody = await server.collect('/v1/identify', { userId: bearerUser, writeKey: WRITE_KEY, traits: { email: 'B@Example.com' } }, { auth: null });
      assert.equal(inBody.status, 200, inBody.text);
      assert.equal(inBody.json.stored, 1);
      const stored = await server.waitForEvents({ userId: bearerUser }, 2);
      assert.deepEqual(stored.map((e) => e.type).sort(), ['identify', 'track']);
      assert.equal(stored.find((e) => e.type === 'identify').traits.email, sha256Hex('b@example.com'));
    });

    test('malformed JSON gets 400 with an error message and stores nothing', async () => {
      for (const [path, body] of [
        ['/v1/batch', '{"batch": [{"type": "track", "userId": "u", "event": "x"'],
        ['/v1/track', '{"userId": "u", "event": }'],
        ['/v1/batch', 'not json at all'],
      ]) {
        const before = await server.stats();
        const res = await server.collect(path, body);
        assert.equal(res.status, 400, `${path} ${body}: ${res.text}`);
        assert.equal(res.json?.error?.code, 'bad_request');
        assert.ok(res.json.error.message.length > 0, 'the error says what is wrong');
        const afterStats = await server.stats();
        assert.equal(afterStats.events_stored, before.events_stored);
      }
      // A batch that is valid JSON but has no batch array is refused too.
      const noBatch = await server.collect('/v1/batch', { events: [] });
      assert.equal(noBatch.status, 400);
      assert.match(noBatch.json.error.message, /batch/);
    });

    test('a gzip-compressed batch is accepted and stored', async () => {
      const gzUser = `gzip-user-${run}`;
      const batch = [
        { type: 'identify', userId: gzUser, traits: { email: 'Gz@Example.com' }, messageId: `gz-1-${run}` },
        { type: 'track', userId: gzUser, event: 'Compressed', properties: { n: 1 }, messageId: `gz-2-${run}` },
        { type: 'page', userId: gzUser, name: 'Gzip Page', messageId: `gz-3-${run}` },
      ];
      const res = await server.collect('/v1/batch', { batch, sentAt: new Date().toISOString() }, { gzip: true });
      assert.equal(res.status, 200, res.text);
      assert.deepEqual(res.json, { success: true, stored: 3, duplicates: 0, quarantined: 0 });
      const stored = await server.waitForEvents({ userId: gzUser }, 3);
      const byId = new Map(stored.map((e) => [e.messageId, e]));
      assert.equal(byId.get(`gz-1-${run}`).traits.email, sha256Hex('gz@example.com'));
      assert.deepEqual(byId.get(`gz-2-${run}`).properties, { n: 1 });
      assert.equal(byId.get(`gz-3-${run}`).name, 'Gzip Page');
    });

    test('a truncated gzip body gets 400 and the server keeps serving', async () => {
      const before = await server.stats();
      const batch = Array.from({ length: 50 }, (_, i) => ({
        type: 'track', userId: `trunc-user-${run}`, event: 'Truncated', messageId: `trunc-${i}-${run}`,
        properties: { i, text: `some text to compress ${i}` },
      }));
      const full = gzipSync(JSON.stringify({ batch }));
      const truncated = full.subarray(0, Math.floor(full.length / 2));
      const res = await server.collect('/v1/batch', truncated, {
        headers: { 'Content-Encoding': 'gzip' },
      });
      assert.equal(res.status, 400, res.text);
      assert.equal(res.json?.error?.code, 'bad_request');
      assert.ok(res.json.error.message.length > 0);
      const health = await server.fetch('/healthz');
      assert.equal(health.status, 200);
      assert.equal((await server.stats()).events_stored, before.events_stored);
      await server.waitForIndexer();
      assert.equal((await server.allEvents({ userId: `trunc-user-${run}` })).length, 0);
    });

    test('a batch over 500 KB gets 400, compressed or not, and stores nothing', async () => {
      const before = await server.stats();
      const padding = 'x'.repeat(9_000);
      const batch = Array.from({ length: 60 }, (_, i) => ({
        type: 'track', userId: `big-user-${run}`, event: 'Big', messageId: `big-${i}-${run}`, properties: { padding },
      }));
      const body = JSON.stringify({ batch });
      assert.ok(body.length > 500 * 1024, `test body is ${body.length} bytes`);
      for (const gzip of [false, true]) {
        const res = await server.collect('/v1/batch', body, { gzip });
        assert.equal(res.status, 400, `gzip=${gzip}: ${res.text}`);
        assert.equal(res.json?.error?.code, 'bad_request');
        assert.match(res.json.error.message, /limit/, `gzip=${gzip}: the message names the limit`);
      }
      assert.equal((await server.stats()).events_stored, before.events_stored);
      await server.waitForIndexer();
      assert.equal((await server.allEvents({ userId: `big-user-${run}` })).length, 0);
      const health = await server.fetch('/healthz');
      assert.equal(health.status, 200);
    });

    test('bad events inside a good batch are quarantined with a reason; their neighbours are stored', async () => {
      const qUser = `q-user-${run}`;
      const before = await server.stats();
      const batch = [
        { type: 'track', userId: qUser, event: 'Before Bad', messageId: `q-ok-1-${run}` },
        { type: 'track', userId: qUser, messageId: `q-bad-noname-${run}`, properties: { why: 'no event name' } },
        { type: 'identify', userId: { not: 'an id' }, messageId: `q-bad-type-${run}` },
        { type: 'page', userId: qUser, name: 'After Bad', messageId: `q-ok-2-${run}` },
      ];
      const res = await server.collect('/v1/batch', { batch });
      assert.equal(res.status, 200, res.text);
      assert.deepEqual(res.json, { success: true, stored: 2, duplicates: 0, quarantined: 2 });

      const stored = await server.waitForEvents({ userId: qUser }, 2);
      assert.deepEqual(stored.map((e) => e.messageId).sort(), [`q-ok-1-${run}`, `q-ok-2-${run}`].sort());

      const quarantine = await server.adminJson('/v1/quarantine?limit=1000');
      assert.ok(Array.isArray(quarantine.quarantine));
      const find = (id) => quarantine.quarantine.find((r) => (r.raw || '').includes(id));
      const noName = find(`q-bad-noname-${run}`);
      assert.ok(noName, 'the event without a name is listed');
      assert.equal(noName.reason, 'missing_event_name');
      assert.ok(noName.message.length > 0);
      assert.match(noName.source, /^http:/);
      assert.ok(isIsoTimestamp(noName.receivedAt));
      assert.deepEqual(JSON.parse(noName.raw), batch[1], 'the raw event is kept as sent');
      const wrongType = find(`q-bad-type-${run}`);
      assert.ok(wrongType, 'the event with an object userId is listed');
      assert.equal(wrongType.reason, 'wrong_field_type');
      assert.match(wrongType.message, /userId/);

      const byReason = await server.adminJson('/v1/quarantine?reason=missing_event_name');
      assert.ok(byReason.quarantine.every((r) => r.reason === 'missing_event_name'));
      assert.ok(byReason.quarantine.some((r) => r.id === noName.id));

      const afterStats = await server.stats();
      assert.deepEqual(statsDelta(before, afterStats), { events_received: 4, events_stored: 2, duplicates: 0, quarantined: 2 });
      const reasonDelta = (reason) =>
        (afterStats.quarantined_by_reason[reason] ?? 0) - (before.quarantined_by_reason[reason] ?? 0);
      assert.equal(reasonDelta('missing_event_name'), 1);
      assert.equal(reasonDelta('wrong_field_type'), 1);
    });

    test('/metrics agrees with /v1/stats', async () => {
      const stats = await server.stats();
      const res = await server.fetch('/metrics');
      assert.equal(res.status, 200);
      const text = await res.text();
      const value = (name) => {
        const match = text.match(new RegExp(`^${name} (\\d+)$`, 'm'));
        assert.ok(match, `${name} in /metrics`);
        return Number(match[1]);
      };
      assert.equal(value('aidmp_events_stored_total'), stats.events_stored);
      assert.equal(value('aidmp_events_received_total'), stats.events_received);
      assert.equal(value('aidmp_events_duplicate_total'), stats.duplicates);
      assert.match(text, /^aidmp_events_quarantined_total\{reason="missing_event_name"\} \d+$/m);
    });

    test('SIGTERM stops the server promptly and cleanly, even with a client connection open', async () => {
      await assertStopsPromptly(server);
    });
  });
}
