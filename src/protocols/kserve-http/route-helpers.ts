/**
 * Small pieces every KServe route shares: reading the model/version from the URL, reading an
 * optional JSON body, and sending JSON or empty replies.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { invalidArgument } from '../../core/errors.js';
import { parseJson } from './exact-json.js';

/** URL parameters of the per-model routes. */
export interface ModelParams {
  readonly model: string;
  readonly version?: string;
}

/** Parses a URL model version: a positive integer, or undefined for "the server's choice". */
export function parseVersion(version: string | undefined): number | undefined {
  if (version === undefined) return undefined;
  const n = /^\d{1,16}$/.test(version) ? Number(version) : NaN;
  if (!Number.isSafeInteger(n) || n <= 0) {
    throw invalidArgument(
      `failed to get model version from specified version string '${version}', version should be an integral value > 0`,
    );
  }
  return n;
}

/** The model and version a per-model route addresses. */
export function targetOf(request: FastifyRequest): { name: string; version?: number } {
  const params = request.params as ModelParams;
  return { name: params.model, version: parseVersion(params.version) };
}

/**
 * Parses an optional JSON object body (repository routes): an empty body gives an empty object.
 * Bodies arrive as Buffers because the KServe plugin parses every content type itself.
 */
export function jsonObjectBody(request: FastifyRequest): Record<string, unknown> {
  const body = request.body;
  if (!Buffer.isBuffer(body) || body.length === 0) return {};
  const doc = parseJson(body.toString('utf8'));
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
    throw invalidArgument('Unable to parse the request body: expected a JSON object');
  }
  return doc as Record<string, unknown>;
}

/** Sends `value` as a JSON body with one JSON.stringify. */
export function sendJson(reply: FastifyReply, value: unknown): FastifyReply {
  return reply.type('application/json').send(JSON.stringify(value));
}

/** Sends a bodiless reply with `status`, as Triton's health and control endpoints do. */
export function sendEmpty(reply: FastifyReply, status: number): FastifyReply {
  return reply.code(status).send();
}
