/**
 * Authentication and authorization for every HTTP front-end: API keys with scopes and model
 * allow-lists, Triton's restricted API groups, and admin APIs limited to loopback clients when no
 * key is configured. Health endpoints stay open. Keys never reach logs or error messages.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { groupOfPath, isAdminGroup, modelOfPath, scopeOf } from '../../security/api-groups.js';
import { presentedKey, type ApiKeyEntry, type ApiKeys } from '../../security/api-keys.js';
import { restrictionsAllow, type Restriction } from '../../security/restricted-api.js';

/** Options of the access-control hook. */
export interface AccessControlOptions {
  readonly keys: ApiKeys;
  readonly restrictions: readonly Restriction[];
  /** When false (default), admin APIs answer 403 to non-loopback clients unless an admin key is used. */
  readonly allowRemoteAdmin: boolean;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The API key entry that authenticated this request, when keys are configured. */
    apiKey?: ApiKeyEntry;
  }
}

const LOOPBACK = /^(127\.|::1$|::ffff:127\.)/;

/** Installs the checks as an onRequest hook (before any body is read) plus a model check after parsing. */
export function installAccessControl(app: FastifyInstance, opts: AccessControlOptions): void {
  app.addHook('onRequest', async (request, reply) => {
    const path = request.url.split('?', 1)[0] as string;
    const group = groupOfPath(path);
    if (group === 'health') return;
    if (!restrictionsAllow(opts.restrictions, group, request.headers)) {
      return deny(reply, 403, `this API (${group}) is restricted: the required header is missing or wrong`);
    }
    const scope = scopeOf(group);
    if (opts.keys.enabled) {
      const entry = opts.keys.verify(presentedKey(request.headers));
      if (!entry) return deny(reply, 401, 'missing or invalid API key', true);
      if (scope && !entry.scopes.has(scope)) return deny(reply, 403, `this API key lacks the '${scope}' scope`);
      request.apiKey = entry;
      const model = modelOfPath(path);
      if (model !== undefined && entry.models && !entry.models.has(model)) return notFound(reply, model);
    } else if (isAdminGroup(group) && !opts.allowRemoteAdmin && !LOOPBACK.test(request.socket.remoteAddress ?? '')) {
      return deny(reply, 403, `${group} APIs are only available from loopback unless API keys are configured`);
    }
  });
  app.addHook('preHandler', async (request, reply) => {
    const allowed = request.apiKey?.models;
    if (!allowed) return;
    const model = bodyModel(request);
    if (model !== undefined && !allowed.has(model)) return notFound(reply, model);
  });
}

/** The OpenAI-style `model` field of a JSON body, if any. */
function bodyModel(request: FastifyRequest): string | undefined {
  const body = request.body as { model?: unknown } | undefined;
  return body && typeof body === 'object' && typeof body.model === 'string' ? body.model : undefined;
}

function deny(reply: FastifyReply, status: number, message: string, challenge = false): FastifyReply {
  if (challenge) void reply.header('www-authenticate', 'Bearer');
  return reply.code(status).header('content-type', 'application/json').send(JSON.stringify({ error: message }));
}

/** Models outside a key's allow-list look like unknown models, so keys cannot probe for names. */
function notFound(reply: FastifyReply, model: string): FastifyReply {
  return deny(reply, 404, `Request for unknown model: '${model.slice(0, 200)}' is not found`);
}
