// node --test: the dashboard's formatting helpers (../format.js).
import { test } from 'node:test';
import assert from 'node:assert/strict';

import {
  byteColumnToIndex, describeLagBound, describeReason, describeSource, displayText, errorCaret, eventLabel, formatBytes, formatCompact,
  formatCount, formatDateTime, formatMillis, formatPrice, formatScore, parseErrorLocation, queryString,
} from '../format.js';

test('displayText keeps ordinary text, including markup, as it is', () => {
  assert.equal(displayText('Order Completed'), 'Order Completed');
  // Markup is harmless as text: the page inserts it with textContent.
  assert.equal(displayText('<img src=x onerror=alert(1)>'), '<img src=x onerror=alert(1)>');
  assert.equal(displayText('Zoë 東京 🎉'), 'Zoë 東京 🎉');
});

test('displayText makes invisible and direction-changing characters visible', () => {
  assert.equal(displayText('admin\u202Egnp.exe'), 'admin\\u202Egnp.exe');
  assert.equal(displayText('a\u0000b\u0007c\u009Bd'), 'a\\u0000b\\u0007c\\u009Bd');
  assert.equal(displayText('zero\u200Bwidth\uFEFF'), 'zero\\u200Bwidth\\uFEFF');
  assert.equal(displayText('x\u2066y\u2069'), 'x\\u2066y\\u2069');
  assert.equal(displayText('line\u2028sep'), 'line\\u2028sep');
});

test('displayText shows line breaks as escapes unless multiline', () => {
  assert.equal(displayText('a\nb\tc\r'), 'a\\nb\\tc\\r');
  assert.equal(displayText('a\nb\tc', { multiline: true }), 'a\nb\tc');
});

test('displayText turns any value into a string', () => {
  assert.equal(displayText(null), '');
  assert.equal(displayText(undefined), '');
  assert.equal(displayText(42), '42');
  assert.equal(displayText(false), 'false');
  assert.equal(displayText({ a: [1, '<b>'] }), '{"a":[1,"<b>"]}');
});

test('displayText cuts long text on code points, never inside a surrogate pair', () => {
  assert.equal(displayText('abcdef', { maxLength: 4 }), 'abc\u2026');
  assert.equal(displayText('abcd', { maxLength: 4 }), 'abcd');
  const cut = displayText('🎉🎉🎉🎉🎉', { maxLength: 3 });
  assert.equal(cut, '🎉🎉\u2026');
  assert.ok(!/[\uD800-\uDBFF](?![\uDC00-\uDFFF])/.test(cut), 'no lone high surrogate');
});

test('numbers read as people read them', () => {
  assert.equal(formatCount(1234567), '1,234,567');
  assert.equal(formatCount(0), '0');
  assert.equal(formatCount(undefined), '\u2013');
  assert.equal(formatCount(NaN), '\u2013');
  assert.equal(formatCompact(950), '950');
  assert.equal(formatCompact(1200), '1.2k');
  assert.equal(formatCompact(1000), '1k');
  assert.equal(formatCompact(250000), '250k');
  assert.equal(formatCompact(3400000), '3.4M');
  assert.equal(formatCompact(0.25), '0.25');
  assert.equal(formatCompact(-1500), '-1.5k');
  assert.equal(formatMillis(0.0123), '0.012 ms');
  assert.equal(formatMillis(63.291), '63.3 ms');
  assert.equal(formatMillis(1520), '1.52 s');
  assert.equal(formatMillis(5), '5 ms');
});

test('times are shown in UTC', () => {
  assert.equal(formatDateTime(Date.UTC(2024, 4, 1, 13, 45, 7)), '2024-05-01 13:45:07 UTC');
  assert.equal(formatDateTime(NaN), '\u2013');
});

test('expression errors: location, byte columns, caret', () => {
  const message = 'line 2, column 16: expected \')\' or \'and\' or \'or\', found the end';
  assert.deepEqual(parseErrorLocation(message), { line: 2, column: 16 });
  assert.equal(parseErrorLocation('no segment named x'), null);
  assert.equal(parseErrorLocation(undefined), null);

  // Columns count UTF-8 bytes: 'é' is two, '東' three, '🎉' four (two UTF-16 units).
  assert.equal(byteColumnToIndex('abc', 1), 0);
  assert.equal(byteColumnToIndex('abc', 3), 2);
  assert.equal(byteColumnToIndex('abc', 4), 3);
  assert.equal(byteColumnToIndex('é=1', 3), 1);
  assert.equal(byteColumnToIndex('東=1', 4), 1);
  assert.equal(byteColumnToIndex('🎉=1', 5), 2);

  const text = 'traits.country = "CN"\n  and interest("x" >= 1';
  assert.deepEqual(errorCaret(text, { line: 2, column: 20 }),
    { lineText: '  and interest("x" >= 1', caret: '                   ^' });
  assert.deepEqual(errorCaret('a\tb', { line: 1, column: 3 }), { lineText: 'a\tb', caret: ' \t^' });
  assert.equal(errorCaret(text, { line: 5, column: 1 }), null);
  assert.equal(errorCaret(text, null), null);
});

test('event labels and query strings', () => {
  assert.equal(eventLabel({ type: 'track', event: 'Order Completed' }), 'Order Completed');
  assert.equal(eventLabel({ type: 'page', name: 'Home' }), 'Home');
  assert.equal(eventLabel({ type: 'identify' }), 'identify');
  assert.equal(eventLabel(null), '');
  assert.equal(queryString({ userId: 'a b&c', event: '', type: null, limit: 50 }), '?userId=a+b%26c&limit=50');
  assert.equal(queryString({}), '');
});

test('scores, prices and sizes', () => {
  assert.equal(formatScore(0.619123), '0.619');
  assert.equal(formatScore(-0.0532), '-0.0532');
  assert.equal(formatScore(12), '12');
  assert.equal(formatScore(1234), '1,234');
  assert.equal(formatScore(2.5), '2.5');
  assert.equal(formatScore(undefined), '\u2013');
  assert.equal(formatPrice(19.99), '19.99');
  assert.equal(formatPrice(5), '5.00');
  assert.equal(formatPrice(undefined), '');
  assert.equal(formatBytes(812), '812 B');
  assert.equal(formatBytes(20480), '20 KiB');
  assert.equal(formatBytes(1572864), '1.5 MiB');
  assert.equal(formatBytes(300 * 1024 * 1024), '300 MiB');
  assert.equal(formatBytes(-1), '\u2013');
});

test('recommendation sources and reasons read as sentences', () => {
  assert.deepEqual(describeSource('model'), { name: 'model', known: true, description: 'the model\u2019s best unseen items for this person' });
  assert.deepEqual(describeSource('<b>new</b>'), { name: '<b>new</b>', known: false, description: '' });
  assert.equal(describeSource('toString').known, false, 'no inherited names');
  assert.equal(describeSource(undefined).name, '');

  assert.equal(describeReason({ kind: 'model', algo: 'ease', weight: 0.619 }), 'model score 0.619 (ease)');
  assert.equal(describeReason({ kind: 'interacted', item: 'prod-00023', weight: 0.486 }),
    'interacted with prod-00023, similar to it (similarity 0.486)');
  assert.equal(describeReason({ kind: 'interacted', item: 'prod-00023', weight: 0.486 }, { forItem: true }),
    'similar to prod-00023 (similarity 0.486)');
  assert.equal(describeReason({ kind: 'interest', tag: 'video games', weight: 1.0 }), 'interest tag "video games" (score 1)');
  assert.equal(describeReason({ kind: 'category', tag: 'books', weight: 1 }), 'shares the category "books"');
  assert.equal(describeReason({ kind: 'popular', weight: 12 }), 'popular: 12 people interacted with it');
  assert.equal(describeReason({ kind: 'popular', weight: 1 }), 'popular: 1 person interacted with it');
  assert.equal(describeReason({ kind: 'novel', tag: 'x', weight: 0.5 }), 'novel x weight 0.5');
  assert.equal(describeReason({ weight: 2 }), 'reason weight 2');
  assert.equal(describeReason(null), '');
  // Data in a reason stays as it is here; displayText makes it safe to show.
  assert.equal(displayText(describeReason({ kind: 'interacted', item: 'a\u202Eb', weight: 1 }, { forItem: true })),
    'similar to a\\u202Eb (similarity 1)');
});

test('describeLagBound says whether and how long acknowledgements waited for the processors', () => {
  assert.equal(describeLagBound(undefined), '');
  assert.equal(describeLagBound({ lag_bound_ms: 0, held_back_ms: 0 }),
    'No lag bound: acknowledgements never wait for the processors.');
  assert.equal(describeLagBound({ lag_bound_ms: 30000, held_back_ms: 0 }),
    'Lag bound 30 s: acknowledgements wait while a processor is further behind; they have not had to wait since the server started.');
  assert.equal(describeLagBound({ lag_bound_ms: 30000, held_back_ms: 11250.5 }),
    'Lag bound 30 s: acknowledgements wait while a processor is further behind; they have waited 11.25 s in all since the server started.');
  assert.equal(describeLagBound({ lag_bound_ms: 'x' }), 'No lag bound: acknowledgements never wait for the processors.');
});
