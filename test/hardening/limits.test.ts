/**
 * The limits that protect the broker, each hit on purpose: the connection is refused or closed
 * (or reading pauses), the broker says so in one clear log line naming the flag, and a
 * well-behaved client is still served afterwards. Also the security defaults: loopback unless
 * --host says otherwise, and a warning when bound to every interface.
 */

import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WireClient } from '../../bench/hardening/wire-client.js';
import { createTopic, fetch, metadata } from '../../bench/hardening/wire-ops.js';
import { ErrorCode } from '../../src/protocol/errors.js';
import { EmbeddedBroker } from '../../src/tools/embedded-broker.js';
import { cliEntry } from '../../src/tools/package-root.js';
import { expectAliveAndClean, expectServes, waitForLog } from './support.js';

const MAX_REQUEST = 64 * 1024;
const MAX_CONNECTIONS = 12;
const MAX_IN_FLIGHT = 2;
const IDLE_MS = 400;

describe('broker limits', () => {
  let broker: EmbeddedBroker;

  beforeAll(async () => {
    broker = await EmbeddedBroker.start({
      flush: 'os',
      logLevel: 'info',
      extraArgs: [
        '--max-request-bytes',
        String(MAX_REQUEST),
        '--max-connections',
        String(MAX_CONNECTIONS),
        '--max-in-flight',
        String(MAX_IN_FLIGHT),
        '--idle-timeout',
        `${IDLE_MS}ms`,
      ],
    });
    const c = await WireClient.connect(broker.port);
    await createTopic(c, 'quiet', 1);
    c.close();
  });
  afterAll(async () => {
    await broker?.close();
  });

  it('--max-request-bytes: a larger frame is refused from its size alone and logged', async () => {
    const c = await WireClient.connect(broker.port);
    const head = Buffer.alloc(4);
    head.writeInt32BE(MAX_REQUEST + 1);
    c.write(head); // only the size: the broker must not wait for (or allocate) the body
    await c.whenClosed;
    const line = await waitForLog(broker, 'larger than --max-request-bytes', 'warn');
    expect(line).toMatchObject({ size: MAX_REQUEST + 1, maxRequestBytes: MAX_REQUEST });
    await expectServes(broker);
    expectAliveAndClean(broker);
  });

  it('--max-connections: one connection too many is refused and logged; freed slots are reusable', async () => {
    const held: WireClient[] = [];
    for (let i = 0; i < MAX_CONNECTIONS; i++) held.push(await WireClient.connect(broker.port));
    // Every held connection is served, so all of them count.
    for (const c of held) await fetch(c, 'quiet', [{ partition: 0, offset: 0 }]);
    const extra = await WireClient.connect(broker.port);
    await extra.whenClosed;
    const line = await waitForLog(broker, 'connection limit reached (--max-connections)', 'warn');
    expect(line.maxConnections).toBe(MAX_CONNECTIONS);
    for (const c of held) c.close();
    await Promise.all(held.map((c) => c.whenClosed));
    await expectServes(broker);
    expectAliveAndClean(broker);
  });

  it('--max-in-flight: reading pauses at the limit (logged), responses still come in order', async () => {
    const c = await WireClient.connect(broker.port);
    // Two long polls parked for 1 s fill the two slots; the CreateTopics behind them is not
    // even read until one finishes: another connection does not see its topic meanwhile.
    const waitMs = 1000;
    const order: string[] = [];
    const polls = [1, 2].map((n) =>
      fetch(c, 'quiet', [{ partition: 0, offset: 0 }], { maxWaitMs: waitMs, minBytes: 1 }).then(() =>
        order.push(`fetch ${n}`),
      ),
    );
    const created = createTopic(c, 'late', 1).then(() => order.push('create'));
    await new Promise((r) => setTimeout(r, waitMs / 4));
    const other = await WireClient.connect(broker.port);
    const early = await metadata(other, ['late']);
    other.close();
    expect(early.topics[0].errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    await Promise.all([...polls, created]);
    expect(order).toEqual(['fetch 1', 'fetch 2', 'create']);
    // A new connection: one left silent through the polls is closed by --idle-timeout (400 ms).
    const after = await WireClient.connect(broker.port);
    expect((await metadata(after, ['late'])).topics[0].errorCode).toBe(ErrorCode.NONE);
    after.close();
    const line = await waitForLog(broker, 'max in-flight requests reached (--max-in-flight)', 'info');
    expect(line.maxInFlight).toBe(MAX_IN_FLIGHT);
    c.close();
    await expectServes(broker);
  });

  it('--idle-timeout: a silent connection is closed and logged; a busy one is kept', async () => {
    const idle = await WireClient.connect(broker.port);
    const busy = await WireClient.connect(broker.port);
    const started = Date.now();
    let busyOk = true;
    const keepBusy = (async () => {
      while (Date.now() - started < IDLE_MS * 3) {
        await fetch(busy, 'quiet', [{ partition: 0, offset: 0 }]).catch(() => {
          busyOk = false;
        });
        await new Promise((r) => setTimeout(r, IDLE_MS / 4));
      }
    })();
    await idle.whenClosed;
    const closedAfter = Date.now() - started;
    expect(closedAfter).toBeGreaterThanOrEqual(IDLE_MS - 50);
    expect(closedAfter).toBeLessThan(IDLE_MS * 4);
    await keepBusy;
    expect(busyOk).toBe(true);
    expect(busy.closed).toBe(false);
    busy.close();
    const line = await waitForLog(broker, 'closing idle connection (--idle-timeout)', 'info');
    expect(line.idleTimeoutMs).toBe(IDLE_MS);
    await expectServes(broker);
    expectAliveAndClean(broker);
  });

  it('--idle-timeout: a connection waiting on a long poll is not idle', async () => {
    const c = await WireClient.connect(broker.port);
    // Nothing moves on the socket for 2.5 idle timeouts, but a request is in progress.
    const res = await fetch(c, 'quiet', [{ partition: 0, offset: 0 }], {
      maxWaitMs: IDLE_MS * 2.5,
      minBytes: 1,
    });
    expect(res.responses[0].partitions[0].errorCode).toBe(ErrorCode.NONE);
    expect(c.closed).toBe(false);
    // Once answered and silent, it is idle again.
    await c.whenClosed;
    c.close();
  });
});

/** Starts `mq serve` with exactly these args (no --host added) and returns its ready line and stderr. */
async function serveOnce(
  args: string[],
  wrap: string[] = [],
): Promise<{ ready: Record<string, unknown>; stderr: string }> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'mq-bind-'));
  const argv = [
    ...wrap,
    process.execPath,
    cliEntry(),
    'serve',
    '--json',
    '--port',
    '0',
    '--data-dir',
    dataDir,
    ...args,
  ];
  const proc = execa(argv[0], argv.slice(1), {
    stdin: 'ignore',
    reject: false,
    buffer: false,
    stderr: 'pipe',
  });
  let stderr = '';
  proc.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  try {
    const lines = createInterface({ input: proc.stdout! });
    const first = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ready line:\n${stderr}`)), 20_000);
      lines.once('line', (l) => {
        clearTimeout(timer);
        resolve(l);
      });
      proc.then((r) => reject(new Error(`exited ${r.exitCode}:\n${stderr}`)));
    });
    return { ready: JSON.parse(first) as Record<string, unknown>, stderr };
  } finally {
    proc.kill('SIGTERM');
    await proc;
    await rm(dataDir, { recursive: true, force: true });
  }
}

/** `unshare -n` gives a network namespace with only loopback, so binding "all interfaces" exposes nothing. */
async function privateNetwork(): Promise<string[] | null> {
  const r = await execa('unshare', ['-n', 'sh', '-c', 'ip link set lo up && echo ok'], { reject: false });
  return r.exitCode === 0 && r.stdout.trim() === 'ok'
    ? ['unshare', '-n', 'sh', '-c', 'ip link set lo up && exec "$0" "$@"']
    : null;
}

describe('security defaults', () => {
  it('binds loopback when --host is not given, without the all-interfaces warning', async () => {
    const { ready, stderr } = await serveOnce(['--log-level', 'info']);
    expect(ready.host).toBe('127.0.0.1');
    expect(stderr).not.toContain('listening on all interfaces');
  });

  it('warns when bound to all interfaces (run inside a private network namespace)', async (ctx) => {
    const wrap = await privateNetwork();
    if (!wrap) {
      console.warn(
        'skipping: `unshare -n` is not permitted here, and binding 0.0.0.0 outside a private network namespace would expose the broker',
      );
      ctx.skip();
      return;
    }
    const { ready, stderr } = await serveOnce(['--host', '0.0.0.0', '--log-level', 'warn'], wrap);
    expect(ready.host).toBe('0.0.0.0');
    expect(stderr).toContain('listening on all interfaces');
  });
});
