/**
 * Request and response headers.
 *
 * Request header v1: api_key int16, api_version int16, correlation_id int32, client_id
 * nullable string (classic int16 length). v2 (flexible versions) adds a tagged-field section but
 * keeps client_id as a classic string. Response header v0: correlation_id; v1 adds tagged fields.
 * ApiVersions responses always use header v0, whatever the version, so a client can read one
 * before it knows what the broker speaks.
 */
import { Reader } from './reader.js';
import type { Writer } from './writer.js';

export const API_VERSIONS_KEY = 18;

export interface RequestHeader {
  apiKey: number;
  apiVersion: number;
  correlationId: number;
  clientId: string | null;
}

/** Reads the fixed part of a request header (api key, version, correlation id). */
export function peekRequestHeader(frame: Buffer): {
  apiKey: number;
  apiVersion: number;
  correlationId: number;
} {
  const r = new Reader(frame);
  return { apiKey: r.int16(), apiVersion: r.int16(), correlationId: r.int32() };
}

/** Decodes a request header; `flexible` says whether this (api, version) uses header v2. */
export function decodeRequestHeader(r: Reader, flexible: boolean): RequestHeader {
  const apiKey = r.int16();
  const apiVersion = r.int16();
  const correlationId = r.int32();
  const clientId = r.nullableString();
  if (flexible) r.taggedFields();
  return { apiKey, apiVersion, correlationId, clientId };
}

export function encodeRequestHeader(w: Writer, h: RequestHeader, flexible: boolean): void {
  w.int16(h.apiKey).int16(h.apiVersion).int32(h.correlationId).nullableString(h.clientId);
  w.tags(flexible);
}

/** Response header: v1 (tagged fields) for flexible versions except ApiVersions. */
export function encodeResponseHeader(
  w: Writer,
  correlationId: number,
  apiKey: number,
  flexible: boolean,
): void {
  w.int32(correlationId);
  if (flexible && apiKey !== API_VERSIONS_KEY) w.uvarint(0);
}

export function decodeResponseHeader(r: Reader, apiKey: number, flexible: boolean): number {
  const correlationId = r.int32();
  if (flexible && apiKey !== API_VERSIONS_KEY) r.taggedFields();
  return correlationId;
}
