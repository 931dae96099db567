/**
 * Drivers by name. Tools make a driver from a name and plain options (`DriverSpec`), so a
 * worker thread can make its own from the same spec.
 */
import type { Driver, DriverCapabilities, DriverOptions } from './driver.js';
import { createKafkajsDriver, KAFKAJS_CAPABILITIES } from './kafkajs.js';
import { createMemoryDriver, MEMORY_CAPABILITIES } from './memory.js';
import { createMqDriver, MQ_CAPABILITIES } from './mq.js';
import { createRabbitmqDriver, RABBITMQ_CAPABILITIES } from './rabbitmq.js';
import { createRedisDriver, REDIS_CAPABILITIES } from './redis.js';

export * from './driver.js';

export interface DriverSpec {
  name: string;
  options: DriverOptions;
}

interface DriverEntry {
  description: string;
  capabilities: DriverCapabilities;
  create: (opts: DriverOptions) => Driver;
}

const DRIVERS: Readonly<Record<string, DriverEntry>> = {
  mq: {
    description: "mq's own Kafka client (default)",
    capabilities: MQ_CAPABILITIES,
    create: createMqDriver,
  },
  kafkajs: {
    description: 'kafkajs 2, for comparison',
    capabilities: KAFKAJS_CAPABILITIES,
    create: createKafkajsDriver,
  },
  memory: {
    description: 'an in-process queue, for tests (one thread only)',
    capabilities: MEMORY_CAPABILITIES,
    create: createMemoryDriver,
  },
  rabbitmq: {
    description: 'RabbitMQ over AMQP 0-9-1 (amqplib); --brokers amqp://host:port[?queue-type=quorum]',
    capabilities: RABBITMQ_CAPABILITIES,
    create: createRabbitmqDriver,
  },
  redis: {
    description: 'Redis Streams (ioredis); --brokers redis://host:port',
    capabilities: REDIS_CAPABILITIES,
    create: createRedisDriver,
  },
};

export const DRIVER_NAMES = Object.keys(DRIVERS);

/** An unknown driver name: the user picks one of DRIVER_NAMES. */
export class UnknownDriverError extends Error {
  override name = 'UnknownDriverError';
}

function entry(name: string): DriverEntry {
  const e = DRIVERS[name];
  if (!e) throw new UnknownDriverError(`unknown driver "${name}" (available: ${DRIVER_NAMES.join(', ')})`);
  return e;
}

export function createDriver(name: string, opts: DriverOptions): Driver {
  return entry(name).create(opts);
}

/** Capabilities without connecting: for checking a workload before anything starts. */
export function driverCapabilities(name: string): DriverCapabilities {
  return entry(name).capabilities;
}

export function describeDrivers(): { name: string; description: string }[] {
  return Object.entries(DRIVERS).map(([name, e]) => ({ name, description: e.description }));
}
