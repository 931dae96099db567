/**
 * Calls a broker handler through the RequestRouter with real frames: the request is encoded with
 * the protocol module (header + body), the response frame decoded the same way a client would.
 */
import type { Connection } from '../../../src/broker/connection.js';
import { type ApiHandler, RequestRouter } from '../../../src/broker/request-router.js';
import { silentLogger } from '../../../src/log.js';
import { isFlexible } from '../../../src/protocol/apis/api.js';
import { decodeResponseHeader, encodeRequestHeader } from '../../../src/protocol/header.js';
import { Reader } from '../../../src/protocol/reader.js';
import { Writer } from '../../../src/protocol/writer.js';

const conn = { id: 'test', socket: { remoteAddress: '127.0.0.1' } } as unknown as Connection;

export class Wire {
  private readonly router = new RequestRouter(silentLogger(), () => {});
  private correlationId = 0;

  constructor(handlers: ApiHandler[]) {
    for (const h of handlers) this.router.register(h);
  }

  async call<Req, Res>(
    apiKey: number,
    version: number,
    encode: (w: Writer, v: number, req: Req) => void,
    req: Req,
    decode: (r: Reader, v: number) => Res,
    clientId = 'test-client',
  ): Promise<Res> {
    const spec = this.router.specs.find((s) => s.key === apiKey)!;
    const flexible = isFlexible(spec, version);
    const correlationId = ++this.correlationId;
    const w = new Writer();
    encodeRequestHeader(w, { apiKey, apiVersion: version, correlationId, clientId }, flexible);
    encode(w, version, req);
    const chunks = await this.router.dispatch(w.toBuffer(), conn);
    const frame = Buffer.concat(chunks!);
    const r = new Reader(frame, 4);
    if (frame.readInt32BE(0) !== frame.length - 4) throw new Error('bad frame size');
    if (decodeResponseHeader(r, apiKey, flexible) !== correlationId) throw new Error('bad correlation id');
    const res = decode(r, version);
    if (r.remaining !== 0) throw new Error(`${r.remaining} bytes left after the response`);
    return res;
  }
}
