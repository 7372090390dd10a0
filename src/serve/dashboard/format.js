// Formatting for the dashboard: pure functions, no DOM, tested by node
// (tests/format.test.mjs). Everything shown that came from the API goes through
// displayText and then into the page as text (textContent / text nodes, never HTML).

// Characters that would make a string look like something it is not: C0/C1 controls,
// bidirectional overrides and isolates, zero-width characters and the BOM. A hostile
// userId such as "admin\u202Egnp.exe" must show as what it is.
const kInvisible = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F\u061C\u180E\u200B-\u200F\u2028-\u202E\u2060-\u2069\uFEFF]/g;
const kLineBreaks = /[\t\n\r]/g;

function visibleEscape(ch) {
  return '\\u' + ch.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0');
}

// Any value as a string safe to show as text: null and undefined are empty, objects are
// JSON, invisible and direction-changing characters become visible \uXXXX escapes,
// and (unless `multiline`) tabs and line breaks become \t \n \r. Longer than
// `maxLength` code points: cut with an ellipsis (never inside a surrogate pair).
export function displayText(value, { maxLength = 500, multiline = false } = {}) {
  if (value === null || value === undefined) return '';
  let text = typeof value === 'string' ? value : typeof value === 'object' ? JSON.stringify(value) : String(value);
  text = text.replace(kInvisible, visibleEscape);
  if (!multiline) text = text.replace(kLineBreaks, (ch) => ({ '\t': '\\t', '\n': '\\n', '\r': '\\r' })[ch]);
  const codePoints = Array.from(text);
  if (codePoints.length > maxLength) return codePoints.slice(0, Math.max(0, maxLength - 1)).join('') + '\u2026';
  return text;
}

// 1234567 -> "1,234,567"; not a finite number -> "–".
export function formatCount(value) {
  if (typeof value !== 'number' || !Number.isFinite(value)) return '\u2013';
  return Math.round(value).toLocaleString('en-US');
}

// Short axis labels: 950 -> "950", 1200 -> "1.2k", 3400000 -> "3.4M", 0.25 -> "0.25".
export function formatCompact(value) {
  if (!Number.isFinite(value)) return '';
  const abs = Math.abs(value);
  const units = [[1e12, 'T'], [1e9, 'G'], [1e6, 'M'], [1e3, 'k']];
  for (const [size, suffix] of units) {
    if (abs >= size) return trimZeros((value / size).toFixed(abs >= size * 100 ? 0 : 1)) + suffix;
  }
  if (Number.isInteger(value)) return String(value);
  return trimZeros(value.toPrecision(3));
}

function trimZeros(text) {
  return text.includes('.') && !text.includes('e') ? text.replace(/\.?0+$/, '') : text;
}

// Milliseconds for people: 0.0123 -> "0.012 ms", 63.29 -> "63.3 ms", 1520 -> "1.52 s".
export function formatMillis(ms) {
  if (!Number.isFinite(ms)) return '\u2013';
  if (ms >= 1000) return trimZeros((ms / 1000).toFixed(2)) + ' s';
  if (ms >= 10) return trimZeros(ms.toFixed(1)) + ' ms';
  return trimZeros(ms.toPrecision(2)) + ' ms';
}

function pad2(n) {
  return String(n).padStart(2, '0');
}

// Epoch milliseconds as "2024-05-01 13:45:07 UTC" (the server's clock is UTC too).
export function formatDateTime(ms) {
  if (!Number.isFinite(ms)) return '\u2013';
  const d = new Date(ms);
  return `${d.getUTCFullYear()}-${pad2(d.getUTCMonth() + 1)}-${pad2(d.getUTCDate())} ` +
    `${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}:${pad2(d.getUTCSeconds())} UTC`;
}

// An ISO-8601 string from the API as epoch milliseconds; NaN when unreadable.
export function parseTime(iso) {
  return typeof iso === 'string' ? Date.parse(iso) : NaN;
}

// The location in an expression error ("line 2, column 16: expected ..."), or null.
export function parseErrorLocation(message) {
  const match = /line (\d+), column (\d+)/.exec(typeof message === 'string' ? message : '');
  return match ? { line: Number(match[1]), column: Number(match[2]) } : null;
}

// The parser counts columns in UTF-8 bytes from 1; this is the index in the JS string
// `lineText` of the character that byte falls in (lineText.length past the end).
export function byteColumnToIndex(lineText, column) {
  let bytes = 0;
  let index = 0;
  for (const ch of lineText) {
    if (bytes >= column - 1) return index;
    const cp = ch.codePointAt(0);
    bytes += cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
    if (bytes > column - 1) return index;
    index += ch.length;
  }
  return index;
}

// The line of `text` an error points at and a caret line under the column, e.g.
//   { lineText: 'traits.x = ', caret: '           ^' }; null if the line does not exist.
export function errorCaret(text, location) {
  if (!location) return null;
  const lines = String(text).split('\n');
  if (location.line < 1 || location.line > lines.length) return null;
  const lineText = lines[location.line - 1].replace(/\r$/, '');
  const index = byteColumnToIndex(lineText, location.column);
  // Tabs keep their width in the caret line so the caret lands under the character.
  const lead = Array.from(lineText.slice(0, index), (ch) => (ch === '\t' ? '\t' : ' ')).join('');
  return { lineText, caret: lead + '^' };
}

// What to call a stored event in a list: its event name (track), page or screen name,
// or its type.
export function eventLabel(record) {
  if (!record || typeof record !== 'object') return '';
  if (typeof record.event === 'string' && record.event !== '') return record.event;
  if (typeof record.name === 'string' && record.name !== '') return record.name;
  return typeof record.type === 'string' ? record.type : '';
}

// A query string from `params`, leaving out empty, null and undefined values.
export function queryString(params) {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value === null || value === undefined || value === '') continue;
    search.append(key, String(value));
  }
  const text = search.toString();
  return text === '' ? '' : '?' + text;
}

// A recommendation score or weight: counts as counts ("1,234"), fractions with three
// significant digits ("0.619", "-0.0532"); not a finite number -> "–".
export function formatScore(value) {
  if (typeof value !== 'number' || !Number.isFinite(value)) return '\u2013';
  if (Number.isInteger(value)) return formatCount(value);
  return trimZeros(value.toPrecision(3));
}

// A price as the catalogue has it, with two decimals; none -> "".
export function formatPrice(value) {
  return typeof value === 'number' && Number.isFinite(value) ? value.toFixed(2) : '';
}

// A file size: 812 -> "812 B", 20480 -> "20 KiB", 1572864 -> "1.5 MiB".
export function formatBytes(value) {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) return '\u2013';
  const units = [[1024 ** 3, 'GiB'], [1024 ** 2, 'MiB'], [1024, 'KiB']];
  for (const [size, suffix] of units) {
    if (value >= size) return trimZeros((value / size).toFixed(value >= size * 100 ? 0 : 1)) + ' ' + suffix;
  }
  return `${Math.round(value)} B`;
}

// Where a recommended item came from (the API's `source`), in words.
const kSources = {
  model: 'the model\u2019s best unseen items for this person',
  'similar-items': 'similar to what the person did',
  interests: 'in the categories of the person\u2019s interest tags',
  popular: 'one of the most popular items (within the segment, when one is chosen)',
  categories: 'shares categories with the item',
};

// { name, known, description } for a source; unknown sources keep their name.
export function describeSource(source) {
  const name = typeof source === 'string' ? source : '';
  const known = Object.hasOwn(kSources, name);
  return { name, known, description: known ? kSources[name] : '' };
}

// One reason of an explained recommendation as a sentence. `forItem` is true for an
// item's similar items, where an "interacted" reason names that item rather than
// something the person did.
export function describeReason(reason, { forItem = false } = {}) {
  if (!reason || typeof reason !== 'object') return '';
  const weight = formatScore(reason.weight);
  switch (reason.kind) {
    case 'model':
      return `model score ${weight}` + (reason.algo ? ` (${reason.algo})` : '');
    case 'interacted':
      return forItem ? `similar to ${reason.item} (similarity ${weight})`
        : `interacted with ${reason.item}, similar to it (similarity ${weight})`;
    case 'interest':
      return `interest tag "${reason.tag}" (score ${weight})`;
    case 'category':
      return `shares the category "${reason.tag}"`;
    case 'popular':
      return `popular: ${weight} ${reason.weight === 1 ? 'person' : 'people'} interacted with it`;
    default: {
      const what = reason.item ?? reason.tag ?? reason.algo;
      return [String(reason.kind ?? 'reason'), what, `weight ${weight}`].filter((part) => part !== undefined).join(' ');
    }
  }
}

// The lag bound of `/v1/stats`'s "ingest" member as a sentence: whether acknowledgements
// wait for the processors behind the log, and how long they have.
export function describeLagBound(ingest) {
  if (!ingest || typeof ingest !== 'object') return '';
  const bound = Number(ingest.lag_bound_ms);
  const heldBack = Number(ingest.held_back_ms);
  if (!Number.isFinite(bound) || bound <= 0) {
    return 'No lag bound: acknowledgements never wait for the processors.';
  }
  const held = Number.isFinite(heldBack) && heldBack > 0
    ? `they have waited ${formatMillis(heldBack)} in all since the server started`
    : 'they have not had to wait since the server started';
  return `Lag bound ${formatMillis(bound)}: acknowledgements wait while a processor is further behind; ${held}.`;
}
