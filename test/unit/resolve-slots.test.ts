import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Slots } from '../../src/resolve/index.js';

/** Whether a promise has settled after the microtasks queued so far have run. */
async function settled(promise: Promise<unknown>): Promise<boolean> {
  let done = false;
  promise.then(
    () => (done = true),
    () => (done = true),
  );
  await new Promise((resolve) => setImmediate(resolve));
  return done;
}

describe('Slots, the bound on resolves in flight', () => {
  it('hands out its slots at once, then one per release, first come first served', async () => {
    const slots = new Slots(2);
    await slots.acquire();
    await slots.acquire();
    const order: string[] = [];
    const third = slots.acquire().then(() => order.push('third'));
    const fourth = slots.acquire().then(() => order.push('fourth'));
    assert.equal(await settled(third), false);
    slots.release();
    await third;
    assert.equal(await settled(fourth), false);
    slots.release();
    await fourth;
    assert.deepEqual(order, ['third', 'fourth']);
  });

  it('drops a waiter whose signal aborts, rejecting it with the reason, and serves the next', async () => {
    const slots = new Slots(1);
    await slots.acquire();
    const controller = new AbortController();
    const abandoned = slots.acquire(controller.signal);
    const next = slots.acquire();
    controller.abort(new Error('deadline'));
    await assert.rejects(abandoned, { message: 'deadline' });
    slots.release();
    assert.equal(await settled(next), true);
  });

  it('keeps a slot already handed out when the signal aborts later', async () => {
    const slots = new Slots(1);
    const controller = new AbortController();
    await slots.acquire(controller.signal);
    controller.abort(new Error('late'));
    const next = slots.acquire();
    assert.equal(await settled(next), false);
    slots.release();
    assert.equal(await settled(next), true);
  });

  it('has at least one slot', async () => {
    const slots = new Slots(0);
    assert.equal(await settled(slots.acquire()), true);
  });
});
