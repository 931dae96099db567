/**
 * Local RabbitMQ and Redis servers for tests and `mq peers`: start one (attached to this
 * process, or detached under a state root so a later `mq peers stop` finds it), list and stop
 * the detached ones.
 *
 * State root: `$MQ_PEERS_DIR`, else `<tmp>/mq-peers`; each detached peer gets
 * `<root>/<kind>-<port>/` holding its data, logs and peer.json.
 */
import { readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { PEER_FILE, PEER_KINDS, Peer, type PeerInfo, type PeerKind, type PeerOptions } from './peer.js';
import { freePort } from './ports.js';
import { rabbitmqLauncher } from './rabbitmq-peer.js';
import { redisLauncher } from './redis-peer.js';
import { isProcessOf, PeerStartError, stopGroup } from './server-process.js';

export { PEER_KINDS, Peer, type PeerInfo, type PeerKind, type PeerOptions } from './peer.js';
export { PeerStartError } from './server-process.js';

const LAUNCHERS = { rabbitmq: rabbitmqLauncher, redis: redisLauncher } as const;

export function isPeerKind(s: string): s is PeerKind {
  return (PEER_KINDS as readonly string[]).includes(s);
}

/** Starts a server attached to this process (tests, tools): close() stops it and removes its dir. */
export function startPeer(kind: PeerKind, opts: PeerOptions = {}): Promise<Peer> {
  return Peer.start(LAUNCHERS[kind], opts);
}

export function peersRoot(): string {
  return process.env.MQ_PEERS_DIR || path.join(os.tmpdir(), 'mq-peers');
}

/** Starts a server that outlives this process, with its dir under the state root. */
export async function startDetachedPeer(
  kind: PeerKind,
  opts: { port?: number; root?: string; readyTimeoutMs?: number } = {},
): Promise<PeerInfo> {
  const port = opts.port ?? (await freePort());
  const dir = path.join(opts.root ?? peersRoot(), `${kind}-${port}`);
  const existing = await readPeer(dir);
  if (existing && isProcessOf(existing.pid, LAUNCHERS[existing.kind].needle)) {
    throw new PeerStartError(
      `a ${kind} started by mq peers is already running on port ${port} (pid ${existing.pid}); stop it first: mq peers stop ${kind}`,
    );
  }
  await rm(dir, { recursive: true, force: true });
  const peer = await Peer.start(LAUNCHERS[kind], {
    port,
    dir,
    detached: true,
    readyTimeoutMs: opts.readyTimeoutMs,
  });
  return peer.info;
}

async function readPeer(dir: string): Promise<PeerInfo | null> {
  try {
    return JSON.parse(await readFile(path.join(dir, PEER_FILE), 'utf8')) as PeerInfo;
  } catch {
    return null;
  }
}

/** Detached peers recorded under the state root, with whether each is still running. */
export async function listPeers(root = peersRoot()): Promise<(PeerInfo & { running: boolean })[]> {
  const names = await readdir(root).catch(() => [] as string[]);
  const out: (PeerInfo & { running: boolean })[] = [];
  for (const name of names.sort()) {
    const info = await readPeer(path.join(root, name));
    if (!info || !isPeerKind(info.kind)) continue;
    out.push({ ...info, running: isProcessOf(info.pid, LAUNCHERS[info.kind].needle) });
  }
  return out;
}

export interface StoppedPeer {
  kind: PeerKind;
  url: string;
  pid: number;
  dir: string;
  /** stopped: exited on SIGTERM; killed: needed SIGKILL; gone: was not running. */
  outcome: 'stopped' | 'killed' | 'gone';
  removed: boolean;
}

/** Stops detached peers (all, or of one kind / on one port) and removes their dirs. */
export async function stopPeers(
  filter: { kind?: PeerKind; port?: number; keepData?: boolean; root?: string; timeoutMs?: number } = {},
): Promise<StoppedPeer[]> {
  const out: StoppedPeer[] = [];
  for (const p of await listPeers(filter.root)) {
    if (filter.kind && p.kind !== filter.kind) continue;
    if (filter.port !== undefined && p.port !== filter.port) continue;
    const outcome = p.running ? await stopGroup(p.pid, filter.timeoutMs ?? 30_000) : 'gone';
    if (!filter.keepData) await rm(p.dir, { recursive: true, force: true });
    out.push({ kind: p.kind, url: p.url, pid: p.pid, dir: p.dir, outcome, removed: !filter.keepData });
  }
  return out;
}
