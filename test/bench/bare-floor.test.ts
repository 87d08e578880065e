// The bare client (the physical floor of the network scenario) against the real registries and
// proxies of the bench, at a small size and no added latency: it must send exactly the requests
// the limit counts, and a digest that does not match the pushed one must fail it. No timing.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { planImages } from './generators.js';
import { runBareClient } from './scenarios/bare-floor.js';
import { startNetworkRig, type NetworkRig } from './scenarios/network-rig.js';

describe('bare client', () => {
  let rig: NetworkRig;
  before(async () => {
    rig = await startNetworkRig(0, planImages(12));
  });
  after(() => rig.close());

  it('resolves every image at each concurrency with one ping per registry, one token round and one HEAD per image', async () => {
    const results = await runBareClient(rig, 2, [1, 4]);
    assert.deepEqual(
      results.map((r) => [r.concurrency, r.wallMs.samples.length, r.limitMs]),
      // (2 pings + 1 token round + ceil(12 / concurrency)) × RTT 0.
      [
        [1, 2, 0],
        [4, 2, 0],
      ],
    );
    for (const r of results) assert.ok(r.wallMs.samples.every((ms) => ms > 0));
  });

  it('fails when a registry answers with another digest than the one pushed', async () => {
    const wrong = { ...rig, digests: rig.digests.map((digest, i) => (i === 3 ? `sha256:${'0'.repeat(64)}` : digest)) };
    await assert.rejects(runBareClient(wrong, 1, [2]), /bare client .*exited 1: .*HEAD answered 200, digest sha256:[0-9a-f]{64}, pushed sha256:0{64}/s);
  });
});
