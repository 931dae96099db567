/**
 * InitProducerId (key 22), versions 0-4, flexible from 2.
 *
 * Request:
 *   transactional_id         nullable string  (null = idempotent producer, not transactional)
 *   transaction_timeout_ms   int32
 *   producer_id              int64  v3+  (absent: -1; an existing id to resume after an epoch error)
 *   producer_epoch           int16  v3+  (absent: -1)
 * Response:
 *   throttle_time_ms         int32
 *   error_code               int16
 *   producer_id              int64
 *   producer_epoch           int16
 */
import type { Reader } from '../reader.js';
import type { Writer } from '../writer.js';
import type { ApiSpec } from './api.js';

export const InitProducerIdApi: ApiSpec = {
  key: 22,
  name: 'InitProducerId',
  minVersion: 0,
  maxVersion: 4,
  flexibleFrom: 2,
};

export interface InitProducerIdRequest {
  transactionalId: string | null;
  transactionTimeoutMs: number;
  producerId: number;
  producerEpoch: number;
}

export interface InitProducerIdResponse {
  throttleTimeMs: number;
  errorCode: number;
  producerId: number;
  producerEpoch: number;
}

const flex = (version: number) => version >= InitProducerIdApi.flexibleFrom;

export function decodeInitProducerIdRequest(r: Reader, version: number): InitProducerIdRequest {
  const f = flex(version);
  const transactionalId = r.nullableStr(f);
  const transactionTimeoutMs = r.int32();
  const producerId = version >= 3 ? r.int64() : -1;
  const producerEpoch = version >= 3 ? r.int16() : -1;
  r.tags(f);
  return { transactionalId, transactionTimeoutMs, producerId, producerEpoch };
}

export function encodeInitProducerIdRequest(w: Writer, version: number, req: InitProducerIdRequest): void {
  const f = flex(version);
  w.nullableStr(req.transactionalId, f).int32(req.transactionTimeoutMs);
  if (version >= 3) w.int64(req.producerId).int16(req.producerEpoch);
  w.tags(f);
}

export function encodeInitProducerIdResponse(w: Writer, version: number, res: InitProducerIdResponse): void {
  const f = flex(version);
  w.int32(res.throttleTimeMs).int16(res.errorCode).int64(res.producerId).int16(res.producerEpoch).tags(f);
}

export function decodeInitProducerIdResponse(r: Reader, version: number): InitProducerIdResponse {
  const f = flex(version);
  const res = {
    throttleTimeMs: r.int32(),
    errorCode: r.int16(),
    producerId: r.int64(),
    producerEpoch: r.int16(),
  };
  r.tags(f);
  return res;
}
