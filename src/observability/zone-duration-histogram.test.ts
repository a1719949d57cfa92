import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Histogram, Registry } from 'prom-client';
import { ZoneDurationHistogram } from './zone-duration-histogram.ts';

const BUCKETS = [0.001, 0.01, 0.1, 1];

describe('ZoneDurationHistogram', () => {
  test("renders exactly what prom-client's Histogram renders for the same observations", async () => {
    const ours = new Registry();
    const theirs = new Registry();
    const histogram = new ZoneDurationHistogram({
      name: 'd_seconds',
      help: 'Duration',
      buckets: BUCKETS,
      registers: [ours],
      zoneName: (zone) => `${zone}.example`,
    });
    const reference = new Histogram({
      name: 'd_seconds',
      help: 'Duration',
      labelNames: ['zone', 'zone_name'],
      buckets: BUCKETS,
      registers: [theirs],
    });
    // On a bound, between bounds, above the last, zero, and a second zone.
    const observations: [string, number][] = [
      ['a', 0.001],
      ['a', 0.0005],
      ['a', 0.05],
      ['a', 7],
      ['a', 0],
      ['b', 0.01],
      ['b', 1],
    ];
    for (const [zone, value] of observations) {
      histogram.observe(zone, value);
      reference.observe({ zone, zone_name: `${zone}.example` }, value);
    }
    const text = await ours.metrics();
    assert.equal(text, await theirs.metrics());
    assert.match(text, /^d_seconds_bucket\{le="0.01",zone="a",zone_name="a.example"\} 3$/m);
    assert.match(text, /^d_seconds_bucket\{le="\+Inf",zone="a",zone_name="a.example"\} 5$/m);
    assert.match(text, /^d_seconds_count\{zone="b",zone_name="b.example"\} 2$/m);
  });

  test('values that are not finite are ignored; reset empties it; bounds must ascend', async () => {
    const registry = new Registry();
    const histogram = new ZoneDurationHistogram({
      name: 'e_seconds',
      help: 'E',
      buckets: BUCKETS,
      registers: [registry],
      zoneName: () => 'a.example',
    });
    histogram.observe('a', Number.NaN);
    histogram.observe('a', Number.POSITIVE_INFINITY);
    assert.doesNotMatch(await registry.metrics(), /e_seconds_count/);
    histogram.observe('a', 0.2);
    assert.match(await registry.metrics(), /^e_seconds_sum\{zone="a",zone_name="a.example"\} 0.2$/m);
    histogram.reset();
    assert.doesNotMatch(await registry.metrics(), /e_seconds_count/);
    assert.throws(
      () => new ZoneDurationHistogram({ name: 'f', help: 'F', buckets: [1, 1], registers: [], zoneName: () => '' }),
      /ascend/,
    );
  });

  test('a zone the configuration lacks, or past the cap, is folded into other for good', async () => {
    const registry = new Registry();
    const known = new Set(['a', 'b', 'c']);
    const histogram = new ZoneDurationHistogram({
      name: 'g_seconds',
      help: 'G',
      buckets: BUCKETS,
      registers: [registry],
      zoneName: (zone) => (known.has(zone) ? `${zone}.example` : undefined),
      maxSeries: 2,
    });
    histogram.observe('a', 0.5);
    histogram.observe('b', 0.5);
    histogram.observe('c', 0.5); // past the cap
    histogram.observe('deleted', 0.5);
    let text = await registry.metrics();
    assert.match(text, /^g_seconds_count\{zone="a",zone_name="a.example"\} 1$/m);
    assert.match(text, /^g_seconds_count\{zone="b",zone_name="b.example"\} 1$/m);
    assert.match(text, /^g_seconds_count\{zone="other",zone_name="other"\} 2$/m);
    assert.doesNotMatch(text, /zone="c"|zone="deleted"/);
    known.delete('a');
    histogram.observe('a', 0.5);
    text = await registry.metrics();
    assert.match(text, /^g_seconds_count\{zone="other",zone_name="other"\} 4$/m, 'a deleted zone adds to other');
    assert.match(text, /^g_seconds_bucket\{le="1",zone="other",zone_name="other"\} 4$/m);
    assert.doesNotMatch(text, /zone="a"/);
  });
});
