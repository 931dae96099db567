/**
 * `mq topics create|list|describe|delete` end to end: the compiled CLI against a real broker
 * (an `mq serve` child process), the --json results, and the exit codes of refused operations (1)
 * and of an unreachable broker (2, with the hint to start `mq serve`).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EmbeddedBroker } from '../../src/tools/embedded-broker.js';
import { flat, lines, mq, requireBuild } from '../support/mq-cli.js';

let broker: EmbeddedBroker;
let b: string[];

beforeAll(async () => {
  requireBuild('topics/create');
  broker = await EmbeddedBroker.start({ flush: 'os', defaultPartitions: 2 });
  b = ['--brokers', broker.bootstrap];
});
afterAll(async () => {
  await broker?.close();
});

describe('mq topics', { timeout: 240_000 }, () => {
  it('create: --json result, exit 1 when it exists, --if-not-exists accepts it, broker default partitions', async () => {
    const created = await mq(['topics', 'create', 'orders', '--partitions', '3', '--json', ...b]);
    expect(created.exitCode, created.stderr).toBe(0);
    expect(JSON.parse(created.stdout)).toEqual({ topic: 'orders', partitions: 3, created: true });

    const again = await mq(['topics', 'create', 'orders', '--partitions', '3', ...b]);
    expect(again.exitCode).toBe(1);
    expect(flat(again.stderr)).toMatch(
      /topic orders already exists \(see it with `mq topics describe orders`/,
    );

    const tolerated = await mq(['topics', 'create', 'orders', '--if-not-exists', '--json', ...b]);
    expect(tolerated.exitCode, tolerated.stderr).toBe(0);
    expect(JSON.parse(tolerated.stdout)).toEqual({ topic: 'orders', partitions: 3, created: false });

    const plain = await mq(['topics', 'create', 'defaults', ...b]);
    expect(plain.exitCode, plain.stderr).toBe(0);
    expect(plain.stdout.trim()).toBe('created topic defaults (2 partitions)');
  });

  it('list: names with partition counts, as a table and as JSON', async () => {
    await mq(['topics', 'create', 'listed', '-p', '1', '--if-not-exists', ...b]);
    const json = await mq(['topics', 'list', '--json', ...b]);
    expect(json.exitCode, json.stderr).toBe(0);
    const { topics } = JSON.parse(json.stdout) as { topics: { topic: string; partitions: number }[] };
    expect(topics).toContainEqual({ topic: 'listed', partitions: 1 });
    expect(topics.map((t) => t.topic)).toEqual([...topics.map((t) => t.topic)].sort());

    const table = await mq(['topics', 'list', ...b]);
    expect(table.exitCode).toBe(0);
    const rows = lines(table.stdout);
    expect(rows[0]).toMatch(/^TOPIC\s+PARTITIONS$/);
    expect(rows).toContainEqual(expect.stringMatching(/^listed\s+1$/));
  });

  it('describe: leader, log start and end and message count per partition', async () => {
    await mq(['topics', 'create', 'described', '-p', '3', ...b]);
    const produced = await mq(['produce', '-t', 'described', '-p', '1', ...b], { input: 'a\nb\nc\n' });
    expect(produced.exitCode, produced.stderr).toBe(0);
    await mq(['produce', '-t', 'described', '-p', '2', ...b], { input: 'd\n' });

    const json = await mq(['topics', 'describe', 'described', '--json', ...b]);
    expect(json.exitCode, json.stderr).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual({
      topic: 'described',
      partitions: [
        { partition: 0, leader: 0, logStart: 0, logEnd: 0, messages: 0 },
        { partition: 1, leader: 0, logStart: 0, logEnd: 3, messages: 3 },
        { partition: 2, leader: 0, logStart: 0, logEnd: 1, messages: 1 },
      ],
      messages: 4,
    });

    const text = await mq(['topics', 'describe', 'described', ...b]);
    expect(lines(text.stdout)[0]).toBe('topic described: 3 partitions, 4 messages');
    expect(lines(text.stdout)).toContainEqual(expect.stringMatching(/^\s+1\s+0\s+0\s+3\s+3$/));
  });

  it('delete: removes the topic; unknown topics exit 1 saying how to find the right one', async () => {
    await mq(['topics', 'create', 'doomed', '-p', '1', ...b]);
    const deleted = await mq(['topics', 'delete', 'doomed', '--json', ...b]);
    expect(deleted.exitCode, deleted.stderr).toBe(0);
    expect(JSON.parse(deleted.stdout)).toEqual({ topic: 'doomed', deleted: true });

    for (const cmd of [
      ['topics', 'delete', 'doomed'],
      ['topics', 'describe', 'doomed'],
    ]) {
      const r = await mq([...cmd, ...b]);
      expect(r.exitCode, cmd.join(' ')).toBe(1);
      expect(flat(r.stderr)).toMatch(
        /topic doomed does not exist \(see the topics with `mq topics list`, create it with `mq topics create doomed`\)/,
      );
    }
    const list = await mq(['topics', 'list', '--json', ...b]);
    expect(JSON.parse(list.stdout).topics.map((t: { topic: string }) => t.topic)).not.toContain('doomed');
  });

  it('usage problems exit 2: a bad partition count, a bad broker address', async () => {
    const zero = await mq(['topics', 'create', 'x', '--partitions', '0', ...b]);
    expect(zero.exitCode).toBe(2);
    const badAddress = await mq(['topics', 'list', '--brokers', 'localhost:notaport']);
    expect(badAddress.exitCode).toBe(2);
    expect(flat(badAddress.stderr)).toMatch(/bad bootstrap address "localhost:notaport"/);
  });

  it('an unreachable broker exits 2 with the hint to start mq serve or pass --brokers', async () => {
    const cmds = [
      ['topics', 'list'],
      ['topics', 'create', 'x'],
      ['topics', 'describe', 'x'],
      ['topics', 'delete', 'x'],
    ];
    const results = await Promise.all(cmds.map((cmd) => mq([...cmd, '--brokers', '127.0.0.1:1'])));
    for (const [i, r] of results.entries()) {
      expect(r.exitCode, cmds[i].join(' ')).toBe(2);
      expect(flat(r.stderr)).toMatch(
        /cannot reach a broker at 127\.0\.0\.1:1 \(connect ECONNREFUSED 127\.0\.0\.1:1\)\. Is `mq serve` running\? Start it with `mq serve`, or pass --brokers host:port/,
      );
    }
  });

  it('takes the broker address from MQ_BROKERS when --brokers is not given', async () => {
    const r = await mq(['topics', 'list', '--json'], { env: { MQ_BROKERS: broker.bootstrap } });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).topics.length).toBeGreaterThan(0);
  });
  it('without --brokers or MQ_BROKERS the commands go to 127.0.0.1:9092, where mq serve listens by default', async (ctx) => {
    let local: EmbeddedBroker;
    try {
      local = await EmbeddedBroker.start({ flush: 'os', port: 9092, defaultPartitions: 1 });
    } catch (err) {
      ctx.skip(`port 9092 is taken here: ${(err as Error).message.split('\n')[0]}`);
      return;
    }
    try {
      const created = await mq(['topics', 'create', 'on-default-port', '--json']);
      expect(created.exitCode, created.stderr).toBe(0);
      const listed = await mq(['topics', 'list', '--json', '--brokers', local.bootstrap]);
      expect(JSON.parse(listed.stdout).topics).toContainEqual({ topic: 'on-default-port', partitions: 1 });
    } finally {
      await local.close();
    }
  });
});
