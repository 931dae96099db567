import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CheckInputError, checkHistoryFile } from '../../../src/tools/verify/check-file.js';
import type { HistoryEvent } from '../../../src/tools/verify/history.js';
import { HistoryFormatError, parseEvent } from '../../../src/tools/verify/history.js';
import { forEachEvent, HistoryWriter } from '../../../src/tools/verify/history-file.js';

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'mq-history-'));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe('history files', () => {
  it('round-trips events through the writer and the streaming reader, across chunk boundaries', async () => {
    const file = path.join(tmp, 'h.jsonl');
    const w = await HistoryWriter.create(file);
    const events: HistoryEvent[] = [{ t: 'meta', v: 1, at: '2024-01-01T00:00:00Z' }];
    // Enough lines for several 1 MiB read chunks, with non-ASCII keys split anywhere.
    for (let i = 0; i < 40_000; i++) {
      events.push({ t: 'read', ts: i, c: 'c0', pt: i % 3, r: [i, 0, i], k: [`clé-${i}-ü`] });
    }
    for (const e of events) w.write(e);
    await w.close();
    const back: HistoryEvent[] = [];
    const lines = await forEachEvent(file, (e) => back.push(e));
    expect(lines).toBe(events.length);
    expect(back).toEqual(events);
  });

  it('names the line of a malformed event', async () => {
    expect(() => parseEvent('{"t":"ok","ts":1,"p":0,"s":0}', 7)).toThrow('line 7: ok needs integer pt and o');
    expect(() => parseEvent('{"t":"read","ts":1,"c":"c","pt":0,"r":[1,2]}', 2)).toThrow(HistoryFormatError);
    expect(() => parseEvent('{"t":"nope","ts":1}', 3)).toThrow('unknown event type "nope"');
    expect(() => parseEvent('not json', 4)).toThrow('line 4: not JSON');
    expect(() => parseEvent('{"t":"meta","v":99}', 1)).toThrow('unsupported history version 99');
    const file = path.join(tmp, 'bad.jsonl');
    await writeFile(file, '{"t":"meta","v":1,"at":"x"}\n{"t":"send","ts":1,"p":"zero","s":0}\n');
    await expect(checkHistoryFile(file)).rejects.toThrow(CheckInputError);
    await expect(checkHistoryFile(path.join(tmp, 'missing.jsonl'))).rejects.toThrow(/cannot read/);
  });
});
