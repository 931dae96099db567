/**
 * Shared checks for the group/offset/producer-id API schemas: per-version round trips, tagged
 * fields skipped, and malformed input (random, mutated, truncated) rejected only with
 * MalformedFrameError. Each API's test file supplies arbitraries and a `project` function that
 * says what a value looks like after a trip through one version (absent fields defaulted).
 */
import { createRequire } from 'node:module';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ApiSpec } from '../../src/protocol/apis/api.js';
import { MalformedFrameError, Reader } from '../../src/protocol/reader.js';
import { Writer } from '../../src/protocol/writer.js';

type Decode<T> = (r: Reader, version: number) => T;
type Encode<T> = (w: Writer, version: number, value: T) => void;

export interface Codec<Req, Res> {
  spec: ApiSpec;
  decodeRequest: Decode<Req>;
  encodeRequest: Encode<Req>;
  decodeResponse: Decode<Res>;
  encodeResponse: Encode<Res>;
}

export interface Side<T> {
  arbitrary: fc.Arbitrary<T>;
  /** The value as it comes back from `version`: fields the version lacks set to their defaults. */
  project: (value: T, version: number) => T;
  /** Values a version cannot carry at all (encoding them is the caller's error). */
  encodable?: (value: T, version: number) => boolean;
}

export function versionsOf(spec: ApiSpec): number[] {
  const out: number[] = [];
  for (let v = spec.minVersion; v <= spec.maxVersion; v++) out.push(v);
  return out;
}

export function encode<T>(fn: Encode<T>, version: number, value: T): Buffer {
  const w = new Writer();
  fn(w, version, value);
  return w.toBuffer();
}

/** Decodes and insists every byte was used: a schema that reads too little is as wrong as one that reads too much. */
export function decodeAll<T>(fn: Decode<T>, buf: Buffer, version: number): T {
  const r = new Reader(buf);
  const value = fn(r, version);
  expect(r.remaining).toBe(0);
  return value;
}

/** Runs `fn`; anything thrown other than MalformedFrameError fails the property. */
function onlyMalformed(fn: () => unknown): void {
  try {
    fn();
  } catch (err) {
    if (!(err instanceof MalformedFrameError)) throw err;
  }
}

/** One unknown tagged field (tag 7, two bytes) in place of the empty top-level tag section. */
function withUnknownTopLevelTag(buf: Buffer): Buffer {
  expect(buf[buf.length - 1]).toBe(0);
  return Buffer.concat([buf.subarray(0, buf.length - 1), Buffer.from([1, 7, 2, 0xab, 0xcd])]);
}

export const int8 = fc.integer({ min: -128, max: 127 });
export const int16 = fc.integer({ min: -32768, max: 32767 });
export const int32 = fc.integer({ min: -2147483648, max: 2147483647 });
export const int64 = fc.maxSafeInteger();
export const str = fc.string({ unit: 'grapheme', maxLength: 6 });
export const nullableStr = fc.option(str, { nil: null });
export const bytes = fc.uint8Array({ maxLength: 12 }).map((a) => Buffer.from(a));
export const list = <T>(a: fc.Arbitrary<T>) => fc.array(a, { maxLength: 3 });

function sideSuite<T>(
  label: string,
  spec: ApiSpec,
  encodeFn: Encode<T>,
  decodeFn: Decode<T>,
  side: Side<T>,
): void {
  const canEncode = side.encodable ?? (() => true);
  describe(label, () => {
    it.each(versionsOf(spec))('v%i round-trips, absent fields defaulted', (version) => {
      fc.assert(
        fc.property(side.arbitrary, (value) => {
          fc.pre(canEncode(value, version));
          const decoded = decodeAll(decodeFn, encode(encodeFn, version, value), version);
          expect(decoded).toEqual(side.project(value, version));
        }),
      );
    });

    const flexible = versionsOf(spec).filter((v) => v >= spec.flexibleFrom);
    if (flexible.length > 0) {
      it.each(flexible)('v%i skips unknown tagged fields', (version) => {
        fc.assert(
          fc.property(side.arbitrary, (value) => {
            fc.pre(canEncode(value, version));
            const buf = withUnknownTopLevelTag(encode(encodeFn, version, value));
            expect(decodeAll(decodeFn, buf, version)).toEqual(side.project(value, version));
          }),
          { numRuns: 20 },
        );
      });
    }

    it.each(versionsOf(spec))('v%i rejects every truncation with MalformedFrameError', (version) => {
      fc.assert(
        fc.property(side.arbitrary, (value) => {
          fc.pre(canEncode(value, version));
          const buf = encode(encodeFn, version, value);
          for (let n = 0; n < buf.length; n++) {
            expect(() => decodeFn(new Reader(buf.subarray(0, n)), version)).toThrow(MalformedFrameError);
          }
        }),
        { numRuns: 20 },
      );
    });

    it.each(versionsOf(spec))('v%i survives random and mutated bytes', (version) => {
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 80 }), (raw) => {
          onlyMalformed(() => decodeFn(new Reader(Buffer.from(raw)), version));
        }),
      );
      fc.assert(
        fc.property(
          side.arbitrary,
          fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }),
          (value, edits) => {
            fc.pre(canEncode(value, version));
            const buf = Buffer.from(encode(encodeFn, version, value));
            if (buf.length === 0) return;
            for (const [at, byte] of edits) buf[at % buf.length] = byte;
            onlyMalformed(() => decodeFn(new Reader(buf), version));
          },
        ),
      );
    });
  });
}

/** The standard suite for one API: request and response, every version. */
export function codecSuite<Req, Res>(codec: Codec<Req, Res>, request: Side<Req>, response: Side<Res>): void {
  sideSuite('request', codec.spec, codec.encodeRequest, codec.decodeRequest, request);
  sideSuite('response', codec.spec, codec.encodeResponse, codec.decodeResponse, response);
}

/** Hex with spaces and `#` comments allowed, for hand-written golden frames. */
export function hex(text: string): Buffer {
  return Buffer.from(
    text
      .split('\n')
      .map((line) => line.replace(/#.*/, ''))
      .join('')
      .replace(/\s+/g, ''),
    'hex',
  );
}

type KafkajsRequestBuilder = (args: Record<string, unknown>) => {
  request: { encode(): Promise<{ buffer: Buffer }> };
};

const requireCjs = createRequire(import.meta.url);

/**
 * kafkajs's own codec for one (api, version): `encodeRequest(args)` gives the request body bytes
 * kafkajs would send, `decodeResponse(body)` what kafkajs makes of a response body.
 */
export function kafkajs(api: string, version: number) {
  const base = `kafkajs/src/protocol/requests/${api}`;
  const index = requireCjs(`${base}/index.js`) as { protocol(o: { version: number }): KafkajsRequestBuilder };
  const response = requireCjs(`${base}/v${version}/response.js`) as {
    decode(body: Buffer): Promise<unknown>;
  };
  return {
    async encodeRequest(args: Record<string, unknown>): Promise<Buffer> {
      return (await index.protocol({ version })(args).request.encode()).buffer;
    },
    async decodeResponse<T>(body: Buffer): Promise<T> {
      return (await response.decode(body)) as T;
    },
  };
}

/** kafkajs reports throttle time as `throttleTime` before the version where it moved to `clientSideThrottleTime`. */
export function kafkajsThrottle(decoded: Record<string, unknown>): unknown {
  return decoded.clientSideThrottleTime ?? decoded.throttleTime;
}
