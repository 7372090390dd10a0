// The aidmp dashboard: one page over the admin JSON API (docs/dashboard.md).
//
// Every string that came from the server reaches the page through h() / svg() as a text
// node (after displayText), never as HTML: event names, user ids and quarantined
// payloads are written by whoever sends events. tests/no_html_sinks.test.mjs keeps it so.
import {
  barLayout, formatTimeTick, linePath, linearScale, nearestIndex, niceTicks, segmentSizeSeries, stepIndexAt, stepPath,
  timeDomain, timeTicks,
} from './chart.js';
import {
  describeLagBound, describeReason, describeSource, displayText, errorCaret, eventLabel, formatBytes, formatCompact, formatCount,
  formatDateTime, formatMillis, formatPrice, formatScore, parseErrorLocation, parseTime, queryString,
} from './format.js';

const kKeyStorage = 'aidmp.adminKey';
const kSvgNs = 'http://www.w3.org/2000/svg';
const kStatsPollMs = 5000;
const kMaxSamples = 720;  // an hour of 5-second samples

// ---------------------------------------------------------------------------------------
// DOM building: strings and numbers become text nodes; props set properties or, for
// names starting with "data-" / "aria-", attributes. No HTML parsing anywhere.

function append(node, children) {
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

function h(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(props)) {
    if (name.startsWith('on')) node.addEventListener(name.slice(2), value);
    else if (name.startsWith('data-') || name.startsWith('aria-')) node.setAttribute(name, value);
    else node[name] = value;
  }
  return append(node, children);
}

function svg(tag, attrs = {}, ...children) {
  const node = document.createElementNS(kSvgNs, tag);
  for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, String(value));
  return append(node, children);
}

function $(id) {
  return document.getElementById(id);
}

// Text from the API, made safe to look at (format.js), as a node.
function text(value, options) {
  return document.createTextNode(displayText(value, options));
}

// ---------------------------------------------------------------------------------------
// The API.

class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

function adminKey() {
  return sessionStorage.getItem(kKeyStorage) ?? '';
}

async function api(path, { method = 'GET', body } = {}) {
  const headers = { Authorization: `Bearer ${adminKey()}` };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let response;
  try {
    response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch (error) {
    throw new ApiError(0, 'unreachable', `the server did not answer (${error.message})`);
  }
  let json = null;
  try {
    json = await response.json();
  } catch {
    // Not JSON: reported below by status.
  }
  if (response.status === 401) {
    showLogin('The server refused the key; enter the admin key again.');
    throw new ApiError(401, 'unauthenticated', 'the admin key was refused');
  }
  if (!response.ok || json === null) {
    const error = json?.error ?? {};
    throw new ApiError(response.status, error.code ?? 'http_' + response.status,
      error.message ?? `HTTP ${response.status} from ${path}`);
  }
  return json;
}

function showStatus(error) {
  const status = $('status');
  if (!error) {
    status.hidden = true;
    return;
  }
  status.hidden = false;
  status.textContent = displayText(error.message ?? error);
}

// Runs an async view action, showing its failure at the bottom of the page.
async function guarded(action) {
  try {
    await action();
    showStatus(null);
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) return;
    showStatus(error);
  }
}

// ---------------------------------------------------------------------------------------
// Charts (hand-drawn SVG; arithmetic in chart.js).

const kChart = { width: 720, height: 240, left: 60, right: 18, top: 14, bottom: 30 };

// A time series chart in `container`: `points` ascending by x (epoch ms). Options:
// step (value holds until the next point), integer (counts), label (for the tooltip),
// xDomain ([t0, t1] to show; default: the points' own span), empty (what to say
// without points).
function drawTimeChart(container, points, { step = false, integer = true, label = 'value', xDomain = null, empty = 'No data yet.' } = {}) {
  container.replaceChildren();
  if (points.length === 0) {
    container.append(h('p', { className: 'muted' }, empty));
    return;
  }
  const { width, height, left, right, top, bottom } = kChart;
  const [t0, t1] = timeDomain(...(xDomain ?? [points[0].x, points[points.length - 1].x]));
  const values = points.map((point) => point.y);
  const yTicks = niceTicks(Math.min(0, ...values), Math.max(...values), { integer });
  const x = linearScale([t0, t1], [left, width - right]);
  const y = linearScale([yTicks.min, yTicks.max], [height - bottom, top]);
  const xTicks = timeTicks(t0, t1, { maxTicks: 7 });

  const root = svg('svg', { viewBox: `0 0 ${width} ${height}`, class: 'time-chart', role: 'img', 'aria-label': label });
  const grid = svg('g', { class: 'grid' });
  for (const tick of yTicks.ticks) {
    grid.append(svg('line', { x1: left, x2: width - right, y1: y(tick), y2: y(tick) }));
    grid.append(svg('text', { x: left - 6, y: y(tick), class: 'y-label' }, formatCompact(tick)));
  }
  for (const tick of xTicks.ticks) {
    grid.append(svg('line', { x1: x(tick), x2: x(tick), y1: top, y2: height - bottom, class: 'x-grid' }));
    grid.append(svg('text', { x: x(tick), y: height - bottom + 18, class: 'x-label' }, formatTimeTick(tick, xTicks.step)));
  }
  root.append(grid);
  root.append(svg('line', { x1: left, x2: width - right, y1: height - bottom, y2: height - bottom, class: 'axis' }));
  root.append(svg('line', { x1: left, x2: left, y1: top, y2: height - bottom, class: 'axis' }));
  root.append(svg('path', { d: (step ? stepPath : linePath)(points, x, y), class: 'series' }));
  // Few points: mark each (a single sample would otherwise draw nothing).
  if (points.length <= 40) {
    for (const point of points) {
      if (!point.edge) root.append(svg('circle', { cx: x(point.x), cy: y(point.y), r: 2.5, class: 'marker' }));
    }
  }

  // Hover: a guide, a dot on the series and a label with time and value.
  const guide = svg('line', { y1: top, y2: height - bottom, class: 'guide', visibility: 'hidden' });
  const dot = svg('circle', { r: 4, class: 'dot', visibility: 'hidden' });
  const tipBox = svg('rect', { rx: 4, class: 'tip-box' });
  const tipValue = svg('text', { class: 'tip-value' });
  const tipTime = svg('text', { class: 'tip-time' });
  const tip = svg('g', { visibility: 'hidden', 'pointer-events': 'none' }, tipBox, tipValue, tipTime);
  const overlay = svg('rect', { x: left, y: top, width: width - left - right, height: height - top - bottom, class: 'overlay' });
  root.append(guide, dot, tip, overlay);

  const xs = points.map((point) => point.x);
  const hide = () => [guide, dot, tip].forEach((node) => node.setAttribute('visibility', 'hidden'));
  overlay.addEventListener('pointerleave', hide);
  overlay.addEventListener('pointermove', (event) => {
    const box = root.getBoundingClientRect();
    const px = ((event.clientX - box.left) / box.width) * width;
    const t = t0 + ((px - left) / (width - left - right)) * (t1 - t0);
    const index = step ? Math.max(0, stepIndexAt(xs, t)) : nearestIndex(xs, t);
    const point = points[index];
    const at = step ? Math.min(Math.max(t, xs[0]), xs[xs.length - 1]) : point.x;
    const gx = x(at);
    const gy = y(point.y);
    guide.setAttribute('x1', gx);
    guide.setAttribute('x2', gx);
    dot.setAttribute('cx', gx);
    dot.setAttribute('cy', gy);
    tipValue.textContent = `${label}: ${formatCount(point.y)}`;
    tipTime.textContent = point.edge === 'before' ? `unchanged since before ${formatDateTime(point.x)}`
      : point.edge === 'now' ? `now, ${formatDateTime(point.x)}`
        : step ? `since ${formatDateTime(point.x)}` : formatDateTime(point.x);
    const tipWidth = 12 + Math.max(tipValue.getComputedTextLength(), tipTime.getComputedTextLength());
    const tx = gx + 12 + tipWidth > width - right ? gx - 12 - tipWidth : gx + 12;
    const ty = Math.min(Math.max(gy - 22, top), height - bottom - 40);
    tipBox.setAttribute('x', tx);
    tipBox.setAttribute('y', ty);
    tipBox.setAttribute('width', tipWidth);
    tipBox.setAttribute('height', 40);
    tipValue.setAttribute('x', tx + 6);
    tipValue.setAttribute('y', ty + 16);
    tipTime.setAttribute('x', tx + 6);
    tipTime.setAttribute('y', ty + 32);
    [guide, dot, tip].forEach((node) => node.setAttribute('visibility', 'visible'));
  });
  container.append(root);
}

// Horizontal bars for `entries` [{label, value}], largest first (layout in chart.js).
// `format` writes a value; `title` is a bar's tooltip (default: label and value); names
// longer than `maxLength` are cut to fit `labelWidth` (about 6.5 units a character).
function drawBarChart(container, entries, {
  empty = 'Nothing to show.', format = formatCount, label = 'bar chart', title, labelWidth = 180, maxLength = 26,
} = {}) {
  container.replaceChildren();
  if (entries.length === 0) {
    container.append(h('p', { className: 'muted' }, empty));
    return;
  }
  entries = [...entries].sort((a, b) => b.value - a.value);
  const layout = barLayout(entries.map((entry) => entry.value), { labelWidth, width: labelWidth + 340 });
  const root = svg('svg', { viewBox: `0 0 ${layout.width} ${layout.height}`, class: 'bar-chart', role: 'img', 'aria-label': label });
  entries.forEach((entry, entry_idx) => {
    const row = layout.rows[entry_idx];
    const name = displayText(entry.label, { maxLength });
    const tooltip = title ? title(entry) : `${displayText(entry.label)}: ${format(entry.value)}`;
    const bar = svg('rect', { x: labelWidth, y: row.barY, height: row.barHeight, width: row.barWidth, class: 'bar' },
      svg('title', {}, tooltip));
    root.append(
      svg('text', { x: labelWidth - 8, y: row.middle, class: 'bar-label' }, name),
      bar,
      svg('text', { x: row.valueX, y: row.middle, class: 'bar-value' }, format(entry.value)));
  });
  container.append(root);
}

// A table from rows of cells (nodes or strings); `onRow(row, tr)` makes rows clickable.
function table(headers, rows, { onRow, className = '' } = {}) {
  const body = h('tbody');
  for (const row of rows) {
    const tr = h('tr', {}, row.cells.map((cell) => h('td', cell.className ? { className: cell.className } : {}, cell.node ?? cell)));
    if (onRow) {
      tr.className = 'clickable';
      tr.tabIndex = 0;
      tr.addEventListener('click', () => onRow(row, tr));
      tr.addEventListener('keydown', (event) => {
        if (event.key === 'Enter') onRow(row, tr);
      });
    }
    body.append(tr);
  }
  return h('table', { className }, h('thead', {}, h('tr', {}, headers.map((name) => h('th', {}, name)))), body);
}

function num(value) {
  return { node: formatCount(value), className: 'num' };
}

function millis(value) {
  return { node: formatMillis(value), className: 'num' };
}

// Toggles a row below `tr` showing `value` as pretty JSON.
function toggleDetail(tr, value, columns) {
  const next = tr.nextElementSibling;
  if (next?.classList.contains('detail')) {
    next.remove();
    return;
  }
  const pretty = typeof value === 'string' ? value : JSON.stringify(value, null, 2);
  tr.after(h('tr', { className: 'detail' },
    h('td', { colSpan: columns }, h('pre', { className: 'code' }, text(pretty, { multiline: true, maxLength: 20000 })))));
}

// ---------------------------------------------------------------------------------------
// Overview: /v1/stats, sampled while shown.

const samples = [];
const lagSamples = [];  // the largest processor lag, in seconds
let statsTimer = null;

async function loadOverview() {
  const stats = await api('/v1/stats');
  const now = Date.now();
  samples.push({ x: now, y: stats.events_stored });
  if (samples.length > kMaxSamples) samples.shift();
  const lagMs = Object.values(stats.processors ?? {}).map((p) => Number(p.lag_ms)).filter(Number.isFinite);
  lagSamples.push({ x: now, y: Math.max(0, ...lagMs) / 1000 });
  if (lagSamples.length > kMaxSamples) lagSamples.shift();

  const identity = stats.identity ?? {};
  const cards = [
    ['Events received', stats.events_received],
    ['Events stored', stats.events_stored],
    ['Duplicates dropped', stats.duplicates],
    ['Quarantined', stats.quarantined],
    ['Replayed from quarantine', stats.quarantine_replayed],
    ['Suppressed (erased people)', stats.suppressed],
    ['Persons', (identity.persons_created ?? 0) - (identity.merges ?? 0)],
    ['Merges', identity.merges],
    ['Merges refused', identity.merges_blocked],
    ['Erasures', stats.erasures],
  ];
  $('overview-cards').replaceChildren(...cards.map(([name, value]) =>
    h('div', { className: 'card' }, h('div', { className: 'card-value' }, formatCount(value)), h('div', { className: 'card-name' }, name))));
  $('overview-updated').textContent = `updated ${formatDateTime(now)}`;

  drawTimeChart($('overview-chart'), samples, { label: 'events stored', empty: 'Waiting for the first sample.' });
  if (samples.length === 1) {
    $('overview-chart').append(h('p', { className: 'muted' }, 'One sample so far; the next comes in 5 seconds.'));
  }
  const reasons = Object.entries(stats.quarantined_by_reason ?? {}).map(([label, value]) => ({ label, value }));
  drawBarChart($('overview-reasons'), reasons, { empty: 'Nothing quarantined.' });
  const processors = Object.entries(stats.processors ?? {});
  $('overview-processors').replaceChildren(table(['processor', 'applied up to', 'lag (events)', 'lag'],
    processors.map(([name, p]) => ({ cells: [text(name), num(p.applied_seq), num(p.lag_events), millis(p.lag_ms)] }))));
  $('overview-lag-bound').textContent = describeLagBound(stats.ingest);
  drawTimeChart($('overview-lag-chart'), lagSamples,
    { integer: false, label: 'largest processor lag (seconds)', empty: 'Waiting for the first sample.' });
  fillReasons(Object.keys(stats.quarantined_by_reason ?? {}));
}

function startOverview() {
  stopOverview();
  guarded(loadOverview);
  statsTimer = setInterval(() => guarded(loadOverview), kStatsPollMs);
}

function stopOverview() {
  if (statsTimer !== null) clearInterval(statsTimer);
  statsTimer = null;
}

// ---------------------------------------------------------------------------------------
// Segments: the list with sizes, one segment's size over time and its entries and exits.

let selectedSegment = null;
let segmentHours = 168;
const kChangesLimit = 5000;

async function loadSegments() {
  const { segments } = await api('/v1/segments');
  // GET /v1/segments answers definitions without sizes (only GET /v1/segments/{name} adds
  // the size), so ask for each one the list does not size.
  await Promise.all(segments.filter((segment) => segment.size === undefined).map(async (segment) => {
    segment.size = (await api(`/v1/segments/${encodeURIComponent(segment.name)}`)).size;
  }));
  segments.sort((a, b) => a.name.localeCompare(b.name));
  const list = $('segments-list');
  if (segments.length === 0) {
    list.replaceChildren(h('p', { className: 'muted' },
      'No saved segments yet. Save one with POST /v1/segments {"name": ..., "expression": ...} or aidmp segment save.'));
    $('segment-detail').hidden = true;
    return;
  }
  list.replaceChildren(table(['name', 'size', 'expression', 'updated'],
    segments.map((segment) => ({
      segment,
      cells: [
        { node: h('a', { href: `#segments/${encodeURIComponent(segment.name)}` }, text(segment.name, { maxLength: 80 })) },
        num(segment.size),
        { node: text(segment.expression, { maxLength: 120 }), className: 'code-cell' },
        formatDateTime(segment.updated_us / 1000),
      ],
    })),
    { onRow: (row) => { location.hash = `#segments/${encodeURIComponent(row.segment.name)}`; } }));
  const chosen = segments.find((segment) => segment.name === selectedSegment);
  if (chosen) await loadSegmentDetail(chosen);
  else $('segment-detail').hidden = true;
}

async function loadSegmentDetail(segment) {
  const to = Date.now();
  const from = to - segmentHours * 3600_000;
  const history = await api(`/v1/segments/${encodeURIComponent(segment.name)}/history` +
    queryString({ from: new Date(from).toISOString(), to: new Date(to).toISOString(), limit: kChangesLimit }));
  $('segment-detail').hidden = false;
  $('segment-title').textContent = displayText(segment.name);
  $('segment-expression').textContent = displayText(segment.expression, { multiline: true, maxLength: 10000 });
  const series = segmentSizeSeries(history.sizes ?? [], from, to, segment.size);
  // The window, or from the first point in it: before that the answer has no size (a
  // segment saved a minute ago gets a minute-wide chart, not a sliver at the right).
  const xDomain = [Math.max(from, series[0]?.x ?? from), to];
  drawTimeChart($('segment-chart'), series, { step: true, label: 'members', xDomain, empty: 'No size recorded.' });

  const changes = (history.changes ?? []).filter((change) => parseTime(change.at) <= to);
  const entered = changes.filter((change) => change.change === 'entered').length;
  const exited = changes.length - entered;
  const atLeast = changes.length >= kChangesLimit ? 'at least ' : '';
  $('segment-summary').replaceChildren(
    `Now ${formatCount(segment.size)} members. In the window: ${atLeast}${formatCount(entered)} entered, `,
    `${atLeast}${formatCount(exited)} exited`,
    (history.sizes ?? []).length === 0 ? ' (the size did not change in it).' : '.');
  const recent = changes.slice(-100).reverse();
  $('segment-changes').replaceChildren(recent.length === 0 ? '' : h('div', {},
    h('h3', {}, `Latest ${recent.length} entries and exits`),
    h('div', { className: 'scroll' }, table(['time', 'change', 'person'], recent.map((change) => ({
      cells: [formatDateTime(parseTime(change.at)),
        { node: text(change.change), className: change.change === 'entered' ? 'entered' : 'exited' },
        num(change.person)],
    }))))));
}

// ---------------------------------------------------------------------------------------
// Segment explorer: POST /v1/segments/count with the plan.

async function runExplorer() {
  const textarea = $('explorer-text');
  const expression = textarea.value;
  const out = $('explorer-result');
  out.replaceChildren(h('p', { className: 'muted' }, 'Counting…'));
  let result;
  try {
    result = await api('/v1/segments/count', { method: 'POST', body: { expression, explain: true } });
  } catch (error) {
    if (!(error instanceof ApiError) || error.status === 401) throw error;
    const location = parseErrorLocation(error.message);
    const caret = errorCaret(expression, location);
    out.replaceChildren(
      h('p', { className: 'error' }, text(error.message, { maxLength: 2000 })),
      caret ? h('pre', { className: 'code caret' }, text(caret.lineText, { multiline: true }), '\n', caret.caret) : '');
    if (location) selectErrorLocation(textarea, expression, location);
    return;
  }
  const plan = result.plan ?? [];
  out.replaceChildren(
    h('p', { className: 'count' }, h('strong', {}, formatCount(result.count)), ` of ${formatCount(result.persons)} persons match`,
      h('span', { className: 'muted' }, ` · ${formatMillis(result.milliseconds)} · evaluated at `, text(result.evaluated_at))),
    h('p', {}, 'As the server reads it: ', h('code', {}, text(result.expression, { maxLength: 4000 }))),
    plan.length === 0 ? '' : table(['step', 'candidates', 'kept', 'checked one by one', 'time', 'answered by'],
      plan.map((step) => ({
        cells: [
          { node: h('span', { className: `depth depth-${Math.min(step.depth, 8)}` }, text(step.node, { maxLength: 300 })), className: 'code-cell' },
          num(step.candidates), num(step.result), num(step.checked_one_by_one), millis(step.milliseconds), text(step.how),
        ],
      })), { className: 'plan' }));
}

// Selects the character the parser complained about in the text box.
function selectErrorLocation(textarea, expression, location) {
  const lines = expression.split('\n');
  if (location.line < 1 || location.line > lines.length) return;
  const caret = errorCaret(expression, location);
  let offset = 0;
  for (let line_idx = 0; line_idx < location.line - 1; ++line_idx) offset += lines[line_idx].length + 1;
  offset += caret.caret.length - 1;
  textarea.focus();
  textarea.setSelectionRange(offset, Math.min(offset + 1, expression.length));
}

// ---------------------------------------------------------------------------------------
// Events: GET /v1/events with filters, paged by next_cursor.

const eventsPaging = { cursors: [''], page: 0, request: 0 };

function eventsFilter() {
  const form = $('events-form');
  return Object.fromEntries(['userId', 'anonymousId', 'event', 'type', 'limit'].map((name) => [name, form.elements[name].value.trim()]));
}

async function loadEvents() {
  const filter = eventsFilter();
  const cursor = eventsPaging.cursors[eventsPaging.page];
  const request = ++eventsPaging.request;
  const { events, next_cursor: next } = await api('/v1/events' + queryString({ ...filter, cursor }));
  // A newer search was started while this one ran: its answer wins.
  if (request !== eventsPaging.request) return;
  if (next) eventsPaging.cursors[eventsPaging.page + 1] = next;
  else eventsPaging.cursors.length = eventsPaging.page + 1;
  const columns = 7;
  $('events-table').replaceChildren(events.length === 0 ? h('p', { className: 'muted' }, 'No events match.') :
    table(['seq', 'time', 'type', 'event / name', 'userId', 'anonymousId', 'messageId'], events.map((record) => ({
      record,
      cells: [num(record.seq), formatDateTime(parseTime(record.timestamp ?? record.receivedAt)),
        { node: text(record.type), className: 'nowrap' },
        text(eventLabel(record), { maxLength: 60 }), text(record.userId, { maxLength: 40 }),
        text(record.anonymousId, { maxLength: 40 }), text(record.messageId, { maxLength: 40 })],
    })), { onRow: (row, tr) => toggleDetail(tr, row.record, columns) }));
  drawPager($('events-pager'), eventsPaging, next !== null && next !== undefined, events.length, loadEvents);
}

function drawPager(container, paging, hasNext, shown, reload) {
  const previous = h('button', { type: 'button', disabled: paging.page === 0 }, '← Previous');
  const next = h('button', { type: 'button', disabled: !hasNext }, 'Next →');
  previous.addEventListener('click', () => { paging.page -= 1; guarded(reload); });
  next.addEventListener('click', () => { paging.page += 1; guarded(reload); });
  container.replaceChildren(previous, h('span', { className: 'muted' }, ` page ${paging.page + 1} · ${shown} shown `), next);
}

// ---------------------------------------------------------------------------------------
// Quarantine: GET /v1/quarantine with a reason filter, paged by next_after.

const quarantinePaging = { cursors: [''], page: 0, request: 0 };

function fillReasons(reasons) {
  const select = $('quarantine-reason');
  const known = new Set(Array.from(select.options, (option) => option.value));
  for (const reason of reasons) {
    if (!known.has(reason)) select.append(h('option', { value: reason }, text(reason)));
  }
}

async function loadQuarantine() {
  if ($('quarantine-reason').options.length <= 1) {
    fillReasons(Object.keys((await api('/v1/stats')).quarantined_by_reason ?? {}));
  }
  const form = $('quarantine-form');
  const limit = Number(form.elements.limit.value);
  const after = quarantinePaging.cursors[quarantinePaging.page];
  const request = ++quarantinePaging.request;
  const { quarantine, next_after: nextAfter } =
    await api('/v1/quarantine' + queryString({ reason: form.elements.reason.value, limit, after }));
  if (request !== quarantinePaging.request) return;
  // The API has no end marker: a full page may have more behind it.
  const hasNext = quarantine.length === limit && nextAfter !== null;
  if (hasNext) quarantinePaging.cursors[quarantinePaging.page + 1] = String(nextAfter);
  const columns = 5;
  $('quarantine-table').replaceChildren(quarantine.length === 0 ? h('p', { className: 'muted' }, 'Nothing quarantined here.') :
    table(['id', 'received', 'reason', 'message', 'source'], quarantine.map((record) => ({
      record,
      cells: [num(record.id), formatDateTime(parseTime(record.receivedAt)), { node: text(record.reason), className: 'nowrap' },
        text(record.message, { maxLength: 140 }), text(record.source, { maxLength: 40 })],
    })), { onRow: (row, tr) => toggleDetail(tr, rawPayload(row.record), columns) }));
  drawPager($('quarantine-pager'), quarantinePaging, hasNext, quarantine.length, loadQuarantine);
}

// A quarantined record's payload as the sender sent it: pretty JSON when it parses.
function rawPayload(record) {
  if (record.raw === undefined) return `(not UTF-8; base64)\n${record.raw_base64 ?? ''}`;
  try {
    return JSON.stringify(JSON.parse(record.raw), null, 2);
  } catch {
    return record.raw;
  }
}

// ---------------------------------------------------------------------------------------
// Recommendations: model versions (train, activate), a person's list, an item's similar
// items and the popular items.

// The message of a failed call as the JSON error body put it, with its code.
function errorNode(error) {
  const code = error instanceof ApiError ? error.code : '';
  return h('p', { className: 'error' }, text(error.message ?? error, { maxLength: 2000 }),
    code ? h('span', { className: 'muted' }, ' (', text(code), ')') : '');
}

// Runs `action`; an API failure is shown in `container` (it belongs to that panel),
// anything else at the bottom of the page. `isCurrent()` false: a newer request for the
// panel was made meanwhile, and its answer, not this failure, belongs there.
async function inPanel(container, action, isCurrent = () => true) {
  try {
    await action();
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    if (error.status === 401 || !isCurrent()) return;
    container.replaceChildren(errorNode(error));
  }
}

// Per panel, the number of the latest request: answers to older ones are dropped (a
// slow lookup must not overwrite the one asked for after it).
const panelRequests = { lookup: 0, similar: 0, popular: 0 };

async function loadModels() {
  const { active, models } = await api('/v1/recommender/models');
  const list = $('models-list');
  if (models.length === 0) {
    list.replaceChildren(h('p', { className: 'muted' }, 'No model trained yet: train one below.'));
    return null;
  }
  models.sort((a, b) => b.version - a.version);
  list.replaceChildren(table(
    ['version', '', 'algo', 'params', 'trained', 'persons', 'items', 'interactions', 'training', 'size'],
    models.map((model) => {
      const summary = model.summary ?? {};
      const isActive = model.active || model.version === active;
      const activate = h('button', { type: 'button', className: 'activate', 'data-version': model.version }, 'Activate');
      activate.addEventListener('click', () => activateModel(model.version, activate));
      return {
        cells: [
          num(model.version),
          { node: isActive ? h('strong', { className: 'active-model' }, '\u25CF active') : activate, className: 'nowrap' },
          text(summary.algo),
          { node: text(summary.params || '(defaults)', { maxLength: 200 }), className: 'code-cell' },
          { node: formatDateTime(parseTime(summary.trained_at)), className: 'nowrap' },
          num(summary.persons), num(summary.items), num(summary.interactions),
          millis(summary.train_seconds * 1000),
          { node: formatBytes(model.bytes), className: 'num' },
        ],
      };
    }), { className: 'models' }));
  return active;
}

async function activateModel(version, button) {
  const errors = $('models-error');
  errors.replaceChildren();
  button.disabled = true;
  await inPanel(errors, async () => {
    const summary = await api(`/v1/recommender/models/${version}/activate`, { method: 'POST' });
    $('train-status').textContent = `version ${summary.version} (${displayText(summary.algo)}) is active`;
  });
  button.disabled = false;
  await refreshModels();
}

async function trainModel() {
  const form = $('train-form');
  const button = form.querySelector('button');
  const status = $('train-status');
  const errors = $('models-error');
  errors.replaceChildren();
  button.disabled = true;
  status.textContent = 'Training\u2026';
  const started = Date.now();
  try {
    await inPanel(errors, async () => {
      const summary = await api('/v1/recommender/train', { method: 'POST', body: { algo: form.elements.algo.value } });
      status.textContent = `trained version ${summary.version} (${displayText(summary.algo)}) in ` +
        `${formatMillis(summary.train_seconds * 1000)}; it is active`;
    });
    if (errors.childElementCount > 0) status.textContent = `failed after ${formatMillis(Date.now() - started)}`;
  } finally {
    button.disabled = false;
  }
  await refreshModels();
}

// The versions, and the popular items of the active one (none without a model: the
// API would answer that there is no model yet).
async function refreshModels() {
  let active = null;
  await inPanel($('models-error'), async () => { active = await loadModels(); });
  if (active === null || active === undefined) {
    $('popular-chart').replaceChildren(h('p', { className: 'muted' }, 'Popular items appear once a model is active.'));
    $('popular-table').replaceChildren();
    return;
  }
  await loadPopular();
}

// Fills every segment select of the view from GET /v1/segments, keeping choices made.
async function loadSegmentChoices() {
  const { segments } = await api('/v1/segments');
  const names = segments.map((segment) => segment.name).sort((a, b) => a.localeCompare(b));
  for (const select of document.querySelectorAll('.segment-select')) {
    const chosen = select.value;
    select.replaceChildren(h('option', { value: '' }, 'any'),
      ...names.map((name) => h('option', { value: name }, text(name, { maxLength: 60 }))));
    if (names.includes(chosen)) select.value = chosen;
  }
}

// A list of recommended items as a table. `forItem`: the reasons are about an item,
// not a person.
function recommendationTable(items, { forItem = false } = {}) {
  if (items.length === 0) return h('p', { className: 'muted' }, 'No items.');
  return table(['#', 'item', 'title', 'categories', 'price', 'score', 'source', 'why'],
    items.map((item, item_idx) => {
      const source = describeSource(item.source);
      const similar = h('button', { type: 'button', className: 'link item-id', title: 'show its similar items' },
        text(item.id, { maxLength: 60 }));
      similar.addEventListener('click', () => showSimilar(item.id));
      const reasons = (item.reasons ?? []).map((reason) => h('li', {}, text(describeReason(reason, { forItem }), { maxLength: 300 })));
      return {
        cells: [
          num(item_idx + 1),
          { node: similar, className: 'nowrap' },
          { node: text(item.title, { maxLength: 120 }), className: 'item-title' },
          text((item.categories ?? []).join(', '), { maxLength: 120 }),
          { node: formatPrice(item.price), className: 'num' },
          { node: formatScore(item.score), className: 'num' },
          { node: h('span', { className: `source source-${source.known ? source.name : 'other'}`, title: source.description },
            text(source.name)), className: 'nowrap' },
          reasons.length === 0 ? '' : h('ul', { className: 'reasons' }, reasons),
        ],
      };
    }), { className: 'recommendations' });
}

function modelLine(model) {
  if (!model) return '';
  return h('span', { className: 'muted' }, ` \u00B7 model version ${formatCount(model.version)} (`, text(model.algo),
    `, trained ${formatDateTime(parseTime(model.trained_at))})`);
}

async function runLookup() {
  const form = $('lookup-form');
  const out = $('lookup-result');
  const params = {
    type: form.elements.type.value,
    value: form.elements.value.value,
    k: form.elements.k.value,
    category: form.elements.category.value.trim(),
    segment: form.elements.segment.value,
    explain: form.elements.explain.checked ? 'true' : '',
  };
  out.replaceChildren(h('p', { className: 'muted' }, 'Looking up\u2026'));
  const request = ++panelRequests.lookup;
  const isCurrent = () => request === panelRequests.lookup;
  await inPanel(out, async () => {
    const result = await api('/v1/recommendations/lookup' + queryString(params));
    if (!isCurrent()) return;
    const personal = result.personalized !== false;
    out.replaceChildren(
      h('p', { className: 'lookup-head' }, 'Person ', h('strong', {}, formatCount(result.person)), ` \u00B7 personalized: ${personal}`,
        modelLine(result.model)),
      personal && !result.note ? '' : h('p', { className: 'notice' }, h('strong', {}, `personalized: ${personal}`),
        result.note ? [' \u2014 ', text(result.note, { maxLength: 500 })] : ''),
      recommendationTable(result.items ?? []));
  }, isCurrent);
}

async function showSimilar(id) {
  const form = $('similar-form');
  form.elements.id.value = id;
  const out = $('similar-result');
  out.replaceChildren(h('p', { className: 'muted' }, 'Looking up\u2026'));
  const path = `/v1/items/${encodeURIComponent(id)}`;
  const request = ++panelRequests.similar;
  const isCurrent = () => request === panelRequests.similar;
  await inPanel(out, async () => {
    const [item, similar] = await Promise.all([
      api(path).catch(() => ({ id })),  // the similar list says why if the item is unknown
      api(`${path}/similar` + queryString({ k: 10, explain: 'true' })),
    ]);
    if (!isCurrent()) return;
    const facts = [(item.categories ?? []).join(', '), formatPrice(item.price)].filter((fact) => fact !== '');
    out.replaceChildren(
      h('p', { className: 'item-head' }, h('strong', {}, text(item.id, { maxLength: 120 })),
        item.title ? [' \u2014 ', h('span', { className: 'item-title' }, text(item.title, { maxLength: 200 }))] : '',
        facts.length ? h('span', { className: 'muted' }, ' \u00B7 ', text(facts.join(' \u00B7 '), { maxLength: 200 })) : '',
        modelLine(similar.model)),
      recommendationTable(similar.items ?? [], { forItem: true }));
  }, isCurrent);
  out.scrollIntoView?.({ block: 'nearest' });
}

async function loadPopular() {
  const form = $('popular-form');
  const chart = $('popular-chart');
  const list = $('popular-table');
  chart.replaceChildren();
  const request = ++panelRequests.popular;
  const isCurrent = () => request === panelRequests.popular;
  await inPanel(list, async () => {
    const result = await api('/v1/items/popular' + queryString({
      k: 10, segment: form.elements.segment.value, category: form.elements.category.value.trim(), explain: 'true',
    }));
    if (!isCurrent()) return;
    const items = result.items ?? [];
    drawBarChart(chart, items.map((item) => ({ label: item.title || item.id, value: item.score, item })), {
      empty: 'No popular items.', format: formatScore, label: 'popular items', labelWidth: 220, maxLength: 32,
      title: (entry) => `${displayText(entry.item.id)} \u2014 ${displayText(entry.item.title)}: ${formatScore(entry.value)}`,
    });
    list.replaceChildren(recommendationTable(items, { forItem: true }));
  }, isCurrent);
}

async function loadRecommendations() {
  $('models-error').replaceChildren();
  await Promise.all([refreshModels(), loadSegmentChoices()]);
}

// ---------------------------------------------------------------------------------------
// Navigation and the key.

const kViews = ['overview', 'segments', 'explorer', 'events', 'quarantine', 'recommendations'];
const loaded = new Set();

function showLogin(message = '') {
  stopOverview();
  sessionStorage.removeItem(kKeyStorage);
  loaded.clear();
  $('login').hidden = false;
  $('nav').hidden = true;
  $('sign-out').hidden = true;
  for (const view of kViews) $(`view-${view}`).hidden = true;
  $('login-error').textContent = message;
  $('login-key').focus();
}

function route() {
  if (adminKey() === '') {
    showLogin();
    return;
  }
  const [name, ...rest] = location.hash.replace(/^#/, '').split('/');
  const view = kViews.includes(name) ? name : 'overview';
  $('login').hidden = true;
  $('nav').hidden = false;
  $('sign-out').hidden = false;
  for (const other of kViews) $(`view-${other}`).hidden = other !== view;
  for (const link of document.querySelectorAll('#nav a')) {
    link.classList.toggle('active', link.dataset.view === view);
  }
  if (view === 'overview') startOverview();
  else stopOverview();
  if (view === 'segments') {
    selectedSegment = rest.length > 0 ? decodeURIComponent(rest.join('/')) : null;
    guarded(loadSegments);
  } else if (!loaded.has(view)) {
    if (view === 'events') guarded(loadEvents);
    if (view === 'quarantine') guarded(loadQuarantine);
    if (view === 'recommendations') guarded(loadRecommendations);
  }
  loaded.add(view);
}

function install() {
  $('login-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    sessionStorage.setItem(kKeyStorage, $('login-key').value);
    $('login-key').value = '';
    try {
      await api('/v1/stats');
    } catch (error) {
      if (error.status !== 401) showLogin(displayText(error.message));
      return;
    }
    route();
  });
  $('sign-out').addEventListener('click', () => showLogin('Key forgotten.'));
  window.addEventListener('hashchange', route);

  $('segments-refresh').addEventListener('click', () => guarded(loadSegments));
  for (const button of $('segment-range').querySelectorAll('button')) {
    button.addEventListener('click', () => {
      segmentHours = Number(button.dataset.hours);
      for (const other of $('segment-range').querySelectorAll('button')) other.classList.toggle('active', other === button);
      guarded(loadSegments);
    });
  }
  $('explorer-form').addEventListener('submit', (event) => {
    event.preventDefault();
    guarded(runExplorer);
  });
  $('explorer-text').addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      guarded(runExplorer);
    }
  });
  $('events-form').addEventListener('submit', (event) => {
    event.preventDefault();
    eventsPaging.cursors = [''];
    eventsPaging.page = 0;
    guarded(loadEvents);
  });
  $('quarantine-form').addEventListener('submit', (event) => {
    event.preventDefault();
    quarantinePaging.cursors = [''];
    quarantinePaging.page = 0;
    guarded(loadQuarantine);
  });
  $('models-refresh').addEventListener('click', () => guarded(loadRecommendations));
  $('train-form').addEventListener('submit', (event) => {
    event.preventDefault();
    guarded(trainModel);
  });
  $('lookup-form').addEventListener('submit', (event) => {
    event.preventDefault();
    guarded(runLookup);
  });
  $('similar-form').addEventListener('submit', (event) => {
    event.preventDefault();
    guarded(() => showSimilar($('similar-form').elements.id.value.trim()));
  });
  $('popular-form').addEventListener('submit', (event) => {
    event.preventDefault();
    guarded(loadPopular);
  });
  route();
}

install();
