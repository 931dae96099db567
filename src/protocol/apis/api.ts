/** What mq implements of one Kafka API: its key, the versions it speaks, and where flexible versions start. */
export interface ApiSpec {
  key: number;
  name: string;
  /** Lowest and highest version mq accepts and advertises. */
  minVersion: number;
  maxVersion: number;
  /** First flexible version per the Kafka message spec (Infinity if none is implemented). */
  flexibleFrom: number;
}

export function isFlexible(spec: ApiSpec, version: number): boolean {
  return version >= spec.flexibleFrom;
}
