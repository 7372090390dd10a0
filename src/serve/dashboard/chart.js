// Chart arithmetic for the dashboard's hand-drawn SVG charts: scales, "nice" ticks on
// numbers and on UTC time, SVG path data, hover lookup. Pure functions, no DOM, tested
// by node (tests/chart.test.mjs); app.js draws with them.

// A linear map from `domain` [d0, d1] to `range` [r0, r1]. An empty domain (d0 == d1)
// maps everything to the middle of the range.
export function linearScale([d0, d1], [r0, r1]) {
  const span = d1 - d0;
  return (value) => (span === 0 ? (r0 + r1) / 2 : r0 + ((value - d0) / span) * (r1 - r0));
}

// The smallest of 1, 2, 5 x 10^k that is >= `rough`.
export function niceStep(rough) {
  if (!(rough > 0) || !Number.isFinite(rough)) return 1;
  const magnitude = 10 ** Math.floor(Math.log10(rough));
  for (const factor of [1, 2, 5, 10]) {
    const step = factor * magnitude;
    // Compare with a tolerance: 0.3 / 0.1 is 2.9999999999999996.
    if (step >= rough * (1 - 1e-9)) return step;
  }
  return 10 * magnitude;
}

// Axis ticks covering [min, max] with at most about `maxTicks` intervals on round
// numbers: { min, max, step, ticks } where min and max are widened to whole steps.
// A flat series (min == max) gets a range around it; `integer` keeps steps >= 1
// (counts of people never read 0.5).
export function niceTicks(min, max, { maxTicks = 5, integer = false } = {}) {
  if (!Number.isFinite(min) || !Number.isFinite(max)) return { min: 0, max: 1, step: 1, ticks: [0, 1] };
  if (min > max) [min, max] = [max, min];
  if (min === max) {
    if (min === 0) {
      max = 1;
    } else if (min > 0) {
      min = 0;
    } else {
      max = 0;
    }
  }
  let step = niceStep((max - min) / Math.max(1, maxTicks));
  if (integer) step = Math.max(1, step);
  const lo = Math.floor(min / step + 1e-9) * step;
  const hi = Math.ceil(max / step - 1e-9) * step;
  const ticks = [];
  const count = Math.round((hi - lo) / step);
  for (let tick_idx = 0; tick_idx <= count; ++tick_idx) {
    // Round away binary fractions (0.30000000000000004).
    ticks.push(Number((lo + tick_idx * step).toPrecision(12)));
  }
  return { min: ticks[0], max: ticks[ticks.length - 1], step, ticks };
}

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const kTimeSteps = [
  SECOND, 5 * SECOND, 15 * SECOND, 30 * SECOND,
  MINUTE, 5 * MINUTE, 15 * MINUTE, 30 * MINUTE,
  HOUR, 3 * HOUR, 6 * HOUR, 12 * HOUR,
  DAY, 2 * DAY, 7 * DAY, 14 * DAY, 30 * DAY, 90 * DAY, 365 * DAY,
];

// Ticks on a time axis from t0 to t1 (epoch ms): the smallest step from a fixed list
// (1 s ... 1 year) giving at most `maxTicks` ticks, at whole multiples of the step in
// UTC (midnights for days). { step, ticks }; ticks lie within [t0, t1].
export function timeTicks(t0, t1, { maxTicks = 6 } = {}) {
  if (!Number.isFinite(t0) || !Number.isFinite(t1) || t1 < t0) return { step: DAY, ticks: [] };
  const span = Math.max(t1 - t0, 1);
  const step = kTimeSteps.find((candidate) => span / candidate <= maxTicks) ?? kTimeSteps[kTimeSteps.length - 1];
  const ticks = [];
  for (let tick = Math.ceil(t0 / step) * step; tick <= t1; tick += step) ticks.push(tick);
  return { step, ticks };
}

function pad2(n) {
  return String(n).padStart(2, '0');
}

// A time tick's label for its step: "13:45:10" under a minute, "13:45" under a day
// ("05-01" at midnight so the day shows), "05-01" from a day up (all UTC).
export function formatTimeTick(ms, step) {
  const d = new Date(ms);
  const date = `${pad2(d.getUTCMonth() + 1)}-${pad2(d.getUTCDate())}`;
  if (step >= DAY) return date;
  if (step < MINUTE) return `${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}:${pad2(d.getUTCSeconds())}`;
  if (d.getUTCHours() === 0 && d.getUTCMinutes() === 0) return date;
  return `${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}`;
}

function round2(value) {
  return Math.round(value * 100) / 100;
}

// SVG path data through `points` ({x, y} in data units) mapped by `xScale`, `yScale`.
export function linePath(points, xScale, yScale) {
  return points
    .map((point, point_idx) => `${point_idx === 0 ? 'M' : 'L'}${round2(xScale(point.x))},${round2(yScale(point.y))}`)
    .join('');
}

// Like linePath, but each value holds until the next point (a segment's size stays what
// it was until it changes): horizontal, then vertical.
export function stepPath(points, xScale, yScale) {
  let path = '';
  points.forEach((point, point_idx) => {
    const x = round2(xScale(point.x));
    const y = round2(yScale(point.y));
    path += point_idx === 0 ? `M${x},${y}` : `H${x}V${y}`;
  });
  return path;
}

// The index in ascending `xs` nearest to `x` (ties go left); -1 when `xs` is empty.
export function nearestIndex(xs, x) {
  if (xs.length === 0) return -1;
  let lo = 0;
  let hi = xs.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (xs[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  if (lo > 0 && x - xs[lo - 1] <= xs[lo] - x) return lo - 1;
  return lo;
}

// For a step series (value holds until the next point): the index of the point in force
// at `x`, i.e. the last with xs[i] <= x; -1 before the first.
export function stepIndexAt(xs, x) {
  let lo = 0;
  let hi = xs.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (xs[mid] <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo - 1;
}

// The series a segment's size chart draws over [from, to] (epoch ms): the points the
// server recorded (one per minute with a change), followed by `currentSize` at `to` so
// the line reaches now. The size before the first point in the window is not in the
// answer, so the line starts there. With no point in the window the size did not change
// in it: a flat line at `currentSize`. Points that were not recorded carry `edge`:
// 'before' (the size held since before `from`) or 'now'.
export function segmentSizeSeries(sizes, from, to, currentSize) {
  const points = sizes
    .map((point) => ({ x: Date.parse(point.at), y: point.size }))
    .filter((point) => Number.isFinite(point.x) && Number.isFinite(point.y))
    .sort((a, b) => a.x - b.x);
  if (!Number.isFinite(currentSize)) return points;
  if (points.length === 0) return [{ x: from, y: currentSize, edge: 'before' }, { x: to, y: currentSize, edge: 'now' }];
  if (points[points.length - 1].x < to) points.push({ x: to, y: currentSize, edge: 'now' });
  return points;
}

// The time span a chart shows for points from t0 to t1: at least `minSpan` ms, widened
// into the past (never past t1: the right edge is the latest point, often now).
export function timeDomain(t0, t1, minSpan = 60_000) {
  return t1 - t0 < minSpan ? [t1 - minSpan, t1] : [t0, t1];
}

// The layout of a horizontal bar chart with a row per value (in the given order): names
// right-aligned left of `labelWidth`, bars from there, scaled so the largest value fills
// the width left after the value labels (`valueWidth`), the values after the bars.
// Bars are for sizes: a value that is zero, negative or not a number gets a 1-unit
// sliver so that its row still shows. { width, height, rows: [{ y, middle, barY,
// barHeight, barWidth, valueX }] }, all in SVG units.
export function barLayout(values, { width = 520, labelWidth = 180, valueWidth = 70, rowHeight = 24, padding = 4 } = {}) {
  const sizes = values.map((value) => (Number.isFinite(value) && value > 0 ? value : 0));
  const max = Math.max(0, ...sizes);
  const x = linearScale([0, max === 0 ? 1 : max], [0, Math.max(1, width - labelWidth - valueWidth)]);
  const rows = sizes.map((size, row_idx) => {
    const y = padding + row_idx * rowHeight;
    const barWidth = Math.max(1, round2(x(size)));
    return {
      y,
      middle: y + rowHeight / 2,
      barY: y + 3,
      barHeight: Math.max(1, rowHeight - 8),
      barWidth,
      valueX: round2(labelWidth + barWidth + 6),
    };
  });
  return { width, height: values.length * rowHeight + 2 * padding, rows };
}
