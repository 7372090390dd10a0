// node --test: the dashboard's chart arithmetic (../chart.js).
import { test } from 'node:test';
import assert from 'node:assert/strict';

import {
  barLayout, formatTimeTick, linePath, linearScale, nearestIndex, niceStep, niceTicks, segmentSizeSeries, stepIndexAt,
  stepPath, timeDomain, timeTicks,
} from '../chart.js';

test('linearScale maps a domain onto a range, and an empty domain to the middle', () => {
  const y = linearScale([0, 100], [200, 0]);
  assert.equal(y(0), 200);
  assert.equal(y(100), 0);
  assert.equal(y(25), 150);
  assert.equal(linearScale([5, 5], [0, 10])(5), 5);
});

test('niceStep picks 1, 2 or 5 times a power of ten', () => {
  assert.equal(niceStep(0.3), 0.5);
  assert.equal(niceStep(3), 5);
  assert.equal(niceStep(20), 20);
  assert.equal(niceStep(21), 50);
  assert.equal(niceStep(0.1 * 3), 0.5);
  assert.equal(niceStep(0.2), 0.2);
  assert.equal(niceStep(0), 1);
});

test('niceTicks covers the data with round steps', () => {
  assert.deepEqual(niceTicks(0, 97), { min: 0, max: 100, step: 20, ticks: [0, 20, 40, 60, 80, 100] });
  assert.deepEqual(niceTicks(3, 7, { maxTicks: 4 }).ticks, [3, 4, 5, 6, 7]);
  const small = niceTicks(0, 0.3);
  assert.deepEqual(small.ticks, [0, 0.1, 0.2, 0.3]);
  // Reversed input is accepted.
  assert.deepEqual(niceTicks(10, 0).ticks, niceTicks(0, 10).ticks);
});

test('niceTicks gives a flat series a range that includes zero', () => {
  assert.deepEqual(niceTicks(0, 0).ticks, [0, 0.2, 0.4, 0.6, 0.8, 1]);
  assert.deepEqual(niceTicks(0, 0, { integer: true }).ticks, [0, 1]);
  assert.deepEqual(niceTicks(42, 42).ticks, [0, 10, 20, 30, 40, 50]);
  assert.deepEqual(niceTicks(-3, -3).ticks, [-3, -2, -1, 0]);
});

test('niceTicks with integer never steps by fractions', () => {
  const ticks = niceTicks(0, 3, { maxTicks: 10, integer: true });
  assert.equal(ticks.step, 1);
  assert.deepEqual(ticks.ticks, [0, 1, 2, 3]);
});

test('niceTicks survives bad input', () => {
  assert.deepEqual(niceTicks(NaN, 5).ticks, [0, 1]);
});

test('timeTicks picks a step and aligns ticks in UTC', () => {
  const t0 = Date.UTC(2024, 0, 1, 10, 7);
  const hour = timeTicks(t0, t0 + 5 * 3600e3);
  assert.equal(hour.step, 3600e3);
  assert.equal(hour.ticks[0], Date.UTC(2024, 0, 1, 11));
  assert.ok(hour.ticks.length <= 6);
  const week = timeTicks(Date.UTC(2024, 0, 1, 5), Date.UTC(2024, 0, 8, 5));
  assert.equal(week.step, 2 * 86400e3);
  for (const tick of week.ticks) assert.equal(tick % 86400e3, 0, 'day ticks fall on UTC midnight');
  assert.deepEqual(timeTicks(10, 5).ticks, []);
  // A zero-length span still gets a step.
  assert.equal(timeTicks(t0, t0).step, 1000);
});

test('time tick labels suit their step', () => {
  const t = Date.UTC(2024, 4, 1, 13, 45, 10);
  assert.equal(formatTimeTick(t, 5000), '13:45:10');
  assert.equal(formatTimeTick(t, 15 * 60e3), '13:45');
  assert.equal(formatTimeTick(Date.UTC(2024, 4, 2), 3600e3), '05-02');
  assert.equal(formatTimeTick(t, 86400e3), '05-01');
});

test('line and step paths', () => {
  const x = linearScale([0, 10], [0, 100]);
  const y = linearScale([0, 10], [100, 0]);
  const points = [{ x: 0, y: 0 }, { x: 5, y: 10 }, { x: 10, y: 5 }];
  assert.equal(linePath(points, x, y), 'M0,100L50,0L100,50');
  assert.equal(stepPath(points, x, y), 'M0,100H50V0H100V50');
  assert.equal(linePath([], x, y), '');
  assert.equal(linePath([{ x: 1 / 3, y: 0 }], x, y), 'M3.33,100');
});

test('hover lookup', () => {
  const xs = [0, 10, 20, 30];
  assert.equal(nearestIndex(xs, -5), 0);
  assert.equal(nearestIndex(xs, 4), 0);
  assert.equal(nearestIndex(xs, 5), 0);
  assert.equal(nearestIndex(xs, 6), 1);
  assert.equal(nearestIndex(xs, 99), 3);
  assert.equal(nearestIndex([], 1), -1);
  assert.equal(stepIndexAt(xs, -1), -1);
  assert.equal(stepIndexAt(xs, 0), 0);
  assert.equal(stepIndexAt(xs, 19), 1);
  assert.equal(stepIndexAt(xs, 30), 3);
  assert.equal(stepIndexAt(xs, 31), 3);
});

test('segment size series spans the window, and is flat when nothing changed', () => {
  const from = Date.UTC(2024, 0, 1);
  const to = Date.UTC(2024, 0, 8);
  const sizes = [
    { at: '2024-01-03T00:00:00Z', size: 5 },
    { at: '2024-01-02T00:00:00Z', size: 2 },
    { at: 'garbage', size: 9 },
  ];
  assert.deepEqual(segmentSizeSeries(sizes, from, to, 7), [
    { x: Date.UTC(2024, 0, 2), y: 2 },
    { x: Date.UTC(2024, 0, 3), y: 5 },
    { x: to, y: 7, edge: 'now' },
  ]);
  assert.deepEqual(segmentSizeSeries([], from, to, 7), [{ x: from, y: 7, edge: 'before' }, { x: to, y: 7, edge: 'now' }]);
  assert.deepEqual(segmentSizeSeries([], from, to, undefined), []);
  // A point recorded at `to` itself needs no 'now' point after it.
  assert.deepEqual(segmentSizeSeries([{ at: new Date(to).toISOString(), size: 3 }], from, to, 3), [{ x: to, y: 3 }]);
});

test('time domains are at least a minute wide, widened into the past', () => {
  assert.deepEqual(timeDomain(1000, 5000), [5000 - 60_000, 5000]);
  assert.deepEqual(timeDomain(0, 120_000), [0, 120_000]);
  assert.deepEqual(timeDomain(0, 10, 100), [-90, 10]);
});

test('bar layout: the largest value fills the bar space, rows stack, nothing vanishes', () => {
  const layout = barLayout([10, 5, 2.5], { width: 300, labelWidth: 100, valueWidth: 40, rowHeight: 20, padding: 4 });
  assert.equal(layout.width, 300);
  assert.equal(layout.height, 3 * 20 + 8);
  assert.deepEqual(layout.rows.map((row) => row.barWidth), [160, 80, 40]);
  assert.deepEqual(layout.rows.map((row) => row.y), [4, 24, 44]);
  assert.deepEqual(layout.rows[0], { y: 4, middle: 14, barY: 7, barHeight: 12, barWidth: 160, valueX: 266 });
  // Bars stay inside the chart, with room for the value label.
  for (const row of layout.rows) assert.ok(100 + row.barWidth <= 300 - 40);
  // Zero, negative and missing values keep a sliver; all zero is not a division by zero.
  assert.deepEqual(barLayout([0, -3, NaN, 4], { width: 300, labelWidth: 100, valueWidth: 40 }).rows.map((row) => row.barWidth),
    [1, 1, 1, 160]);
  assert.deepEqual(barLayout([0, 0]).rows.map((row) => row.barWidth), [1, 1]);
  // Fractional scores scale like counts.
  assert.deepEqual(barLayout([0.5, 0.25], { width: 300, labelWidth: 100, valueWidth: 40 }).rows.map((row) => row.barWidth), [160, 80]);
  assert.deepEqual(barLayout([]), { width: 520, height: 8, rows: [] });
});
