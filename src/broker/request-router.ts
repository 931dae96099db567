/**
 * Request router: header → handler → response frame.
 *
 * A handler is the API's decode/encode pair plus the function that does the work, so the router
 * alone owns framing, header versions and the answer to requests it cannot serve:
 * - ApiVersions at a version we do not speak: the v0 body with UNSUPPORTED_VERSION and our
 *   ranges (what clients expect, so they can retry at a version we speak).
 * - Any other unknown API key or unsupported version: correlation id + UNSUPPORTED_VERSION, logged.
 * - A body that does not decode: MalformedFrameError, the connection is closed by the caller.
 *   So is a body whose arrays add up to more than maxRequestElements: counted while decoding,
 *   before any array is allocated or any handler builds a response from it.
 */
import type { Logger } from '../log.js';
import type { ApiSpec } from '../protocol/apis/api.js';
import { isFlexible } from '../protocol/apis/api.js';
import { ErrorCode } from '../protocol/errors.js';
import {
  decodeRequestHeader,
  encodeResponseHeader,
  peekRequestHeader,
  type RequestHeader,
} from '../protocol/header.js';
import { MalformedFrameError, Reader } from '../protocol/reader.js';
import { Writer } from '../protocol/writer.js';
import type { Connection, Response } from './connection.js';

export interface RequestContext {
  header: RequestHeader;
  version: number;
  conn: Connection;
}

export interface ApiHandler<Req = unknown, Res = unknown> {
  spec: ApiSpec;
  decode(r: Reader, version: number): Req;
  encode(w: Writer, version: number, res: Res): void;
  /** Returns the response, or null when the request gets none (Produce with acks=0). */
  handle(req: Req, ctx: RequestContext): Promise<Res | null> | Res | null;
}

export type UnsupportedVersionBody = (w: Writer) => void;

export class RequestRouter {
  private readonly handlers = new Map<number, ApiHandler>();

  constructor(
    private readonly log: Logger,
    /** Writes the ApiVersions v0 error body (error 35 + supported ranges). */
    private readonly apiVersionsFallback: UnsupportedVersionBody,
    private readonly maxRequestElements = Number.MAX_SAFE_INTEGER,
  ) {}

  register<Req, Res>(handler: ApiHandler<Req, Res>): void {
    this.handlers.set(handler.spec.key, handler as ApiHandler);
  }

  get specs(): ApiSpec[] {
    return [...this.handlers.values()].map((h) => h.spec).sort((a, b) => a.key - b.key);
  }

  dispatch(frame: Buffer, conn: Connection): Promise<Response> | Response {
    const { apiKey, apiVersion, correlationId } = peekRequestHeader(frame);
    const handler = this.handlers.get(apiKey);
    if (!handler || apiVersion < handler.spec.minVersion || apiVersion > handler.spec.maxVersion) {
      this.log.warn(
        { conn: conn.id, apiKey, apiVersion, api: handler?.spec.name },
        'unsupported API key or version',
      );
      const w = new Writer(64).frame();
      w.int32(correlationId);
      if (apiKey === 18) this.apiVersionsFallback(w);
      else w.int16(ErrorCode.UNSUPPORTED_VERSION);
      return w.finishFrame();
    }
    const flexible = isFlexible(handler.spec, apiVersion);
    const r = new RequestReader(frame, this.maxRequestElements);
    const header = decodeRequestHeader(r, flexible);
    const req = handler.decode(r, apiVersion);
    const ctx: RequestContext = { header, version: apiVersion, conn };
    const result = handler.handle(req, ctx);
    if (result instanceof Promise) return result.then((res) => this.respond(handler, ctx, flexible, res));
    return this.respond(handler, ctx, flexible, result);
  }

  private respond(handler: ApiHandler, ctx: RequestContext, flexible: boolean, res: unknown): Response {
    if (res === null) return null;
    const w = new Writer(256).frame();
    encodeResponseHeader(w, ctx.header.correlationId, handler.spec.key, flexible);
    handler.encode(w, ctx.version, res);
    return w.finishFrame();
  }
}

/** A Reader that refuses a request once its arrays add up to more than `maxElements`. */
class RequestReader extends Reader {
  private elements = 0;

  constructor(
    buf: Buffer,
    private readonly maxElements: number,
  ) {
    super(buf);
  }

  override arrayLength(flexible: boolean): number {
    const n = super.arrayLength(flexible);
    if (n > 0) {
      this.elements += n;
      if (this.elements > this.maxElements) {
        throw new MalformedFrameError(
          `request has more than ${this.maxElements} array elements (--max-request-elements)`,
        );
      }
    }
    return n;
  }
}
