import { describe, expect, it } from 'vitest';
import { GroupCommit } from '../../src/storage/group-commit.js';

function controllableSync() {
  const pending: { resolve: () => void; reject: (e: Error) => void }[] = [];
  let started = 0;
  const sync = () =>
    new Promise<void>((resolve, reject) => {
      started++;
      pending.push({ resolve, reject });
    });
  return { sync, pending, started: () => started };
}

const tick = () => new Promise((r) => setImmediate(r));

describe('GroupCommit', () => {
  it('answers all requests of one turn with one sync', async () => {
    const c = controllableSync();
    const gc = new GroupCommit(c.sync);
    const done = Array.from({ length: 100 }, () => gc.request());
    await tick();
    expect(c.started()).toBe(1);
    c.pending[0].resolve();
    await Promise.all(done);
    expect(gc.syncs).toBe(1);
  });

  it('a request made during a sync waits for the next sync, which all such requests share', async () => {
    const c = controllableSync();
    const gc = new GroupCommit(c.sync);
    let firstDone = false;
    gc.request().then(() => {
      firstDone = true;
    });
    await tick();
    let laterDone = 0;
    const later = Array.from({ length: 10 }, () => gc.request().then(() => laterDone++));
    c.pending[0].resolve();
    await tick();
    expect(firstDone).toBe(true);
    expect(laterDone).toBe(0); // the first sync started before them: it does not cover them
    expect(c.started()).toBe(2);
    c.pending[1].resolve();
    await Promise.all(later);
    expect(laterDone).toBe(10);
    expect(c.started()).toBe(2);
  });

  it('passes a failed sync to its requesters without unhandled rejections', async () => {
    const c = controllableSync();
    const gc = new GroupCommit(c.sync);
    const ignored = gc.request(); // an acks=0 producer never looks
    const watched = gc.request();
    await tick();
    c.pending[0].reject(new Error('EIO'));
    await expect(watched).rejects.toThrow('EIO');
    expect(ignored).toBe(watched);
    await gc.drain();
  });
});
