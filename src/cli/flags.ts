/**
 * Flags shared by the commands that talk to a broker: where it is and whether to print JSON.
 * The default address is the local `mq serve` (its default port), so the everyday case needs
 * no flag at all.
 */
import { Flags } from '@oclif/core';

export const DEFAULT_BROKERS = '127.0.0.1:9092';

export const brokersFlag = Flags.string({
  char: 'b',
  description: 'bootstrap servers host:port[,...]; the default is a local mq serve',
  default: DEFAULT_BROKERS,
  env: 'MQ_BROKERS',
});

export function jsonFlag(description = 'print the result as JSON') {
  return Flags.boolean({ description });
}
