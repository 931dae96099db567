/**
 * Runs the fault schedule (faults.ts) against the run's targets and records every fault in the
 * history (`fault` start, and end once the target is back). Broker faults never overlap: one
 * lock serialises them, so a kill never lands on a paused or restarting broker.
 */
import type { EmbeddedBroker } from '../embedded-broker.js';
import type { FaultSpec } from './faults.js';
import type { FaultKind } from './history.js';
import type { HistorySink } from './history-file.js';

export interface FaultTargets {
  broker: EmbeddedBroker | null;
  /** Crashes the next consumer in turn and starts its replacement; returns the crashed name. */
  crashConsumer(): Promise<string | null>;
  dropNextProduceResponse?(): void;
  failNextProduce?(): void;
}

export class FaultInjector {
  private stopped = false;
  private wakeAll = new Set<() => void>();
  private brokerLock: Promise<void> = Promise.resolve();
  private loops: { finite: boolean; done: Promise<void> }[] = [];
  injected = 0;

  constructor(
    private readonly specs: readonly FaultSpec[],
    private readonly targets: FaultTargets,
    private readonly sink: HistorySink,
    private readonly clock: () => number,
    private readonly log: (line: string) => void,
  ) {}

  start(): void {
    this.loops = this.specs.map((spec) => ({
      finite: Number.isFinite(spec.count),
      done: this.loop(spec).catch((err: Error) => this.log(`fault ${spec.kind} failed: ${err.message}`)),
    }));
  }

  /** Resolves when every fault with a count has happened that many times. */
  async finiteDone(): Promise<void> {
    await Promise.all(this.loops.filter((l) => l.finite).map((l) => l.done));
  }

  /** Stops repeating faults (one in progress completes) and waits for the loops to end. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const w of this.wakeAll) w();
    await Promise.all(this.loops.map((l) => l.done));
  }

  private sleep(ms: number): Promise<void> {
    if (this.stopped || ms <= 0) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wakeAll.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wakeAll.add(done);
    });
  }

  private async loop(spec: FaultSpec): Promise<void> {
    await this.sleep(spec.afterMs);
    for (let i = 0; i < spec.count && !this.stopped; i++) {
      await this.inject(spec);
      if (spec.everyMs === null) break;
      await this.sleep(spec.everyMs);
    }
  }

  private record(kind: FaultKind, phase: 'start' | 'end', target?: string): void {
    this.sink.write({ t: 'fault', ts: this.clock(), kind, phase, ...(target ? { target } : {}) });
  }

  private async inject(spec: FaultSpec): Promise<void> {
    const { kind } = spec;
    if (kind === 'consumer-crash') {
      this.injected++;
      const name = await this.targets.crashConsumer();
      if (name === null) this.log('consumer-crash: no consumer to crash');
      return;
    }
    if (kind === 'produce-response-drop' || kind === 'produce-error') {
      this.record(kind, 'start');
      this.injected++;
      if (kind === 'produce-error') this.targets.failNextProduce?.();
      else this.targets.dropNextProduceResponse?.();
      return;
    }
    const broker = this.targets.broker;
    if (!broker) throw new Error(`${kind} needs the embedded broker`);
    const run = this.brokerLock.then(async () => {
      this.record(kind, 'start', 'broker');
      this.injected++;
      if (kind === 'broker-pause') {
        broker.pause();
        await this.sleep(spec.forMs).finally(() => broker.resume());
      } else {
        if (kind === 'broker-kill') await broker.kill();
        else await broker.stop();
        await new Promise((r) => setTimeout(r, spec.forMs));
        await broker.restart();
      }
      this.record(kind, 'end', 'broker');
    });
    this.brokerLock = run.catch(() => {});
    await run;
  }
}
