/**
 * A client for the Hugging Face Hub API subset downloads need: repository info with file sizes
 * and LFS sha256 (`GET /api/models/{repo}/revision/{rev}?blobs=true`), file metadata from
 * `HEAD /{repo}/resolve/{rev}/{path}` (X-Repo-Commit, X-Linked-Etag, X-Linked-Size), and file
 * bodies with Range. Works against any compatible server (`HF_ENDPOINT`). The token goes only
 * in the Authorization header, is never sent to another origin on redirects, and never appears
 * in an error message.
 */
import { CatalogError } from '../catalog-errors.js';

/** Where the Hub is and how to talk to it. */
export interface HubClientOptions {
  /** Base URL; default `https://huggingface.co`. */
  readonly endpoint?: string;
  /** HF_TOKEN, sent as `Authorization: Bearer`. */
  readonly token?: string;
  /** Time limit for metadata requests and for headers of downloads, in ms (default 30 s). */
  readonly requestTimeoutMs?: number;
  readonly userAgent?: string;
}

/** One file of a repository as the model-info API lists it. */
export interface HubSibling {
  readonly path: string;
  readonly size?: number;
  /** sha256 of LFS files. */
  readonly sha256?: string;
}

/** Repository info at a revision. */
export interface HubModelInfo {
  /** The commit the revision points at. */
  readonly commit: string;
  readonly siblings: readonly HubSibling[];
}

/** What `HEAD .../resolve/...` says about one file. */
export interface HubFileMetadata {
  readonly commit: string;
  /** Blob id: sha256 for LFS files, git blob sha1 otherwise; names the blob in the cache. */
  readonly etag: string;
  readonly size: number;
  /** sha256 of the content when the etag is one (LFS files). */
  readonly sha256?: string;
}

/** Default Hub endpoint. */
export const DEFAULT_HUB_ENDPOINT = 'https://huggingface.co';
const MAX_REDIRECTS = 5;

/** Strips `W/` and quotes from an ETag. */
export function normalizeEtag(etag: string): string {
  return etag.trim().replace(/^W\//, '').replace(/^"(.*)"$/, '$1');
}

function encodePath(p: string): string {
  return p.split('/').map(encodeURIComponent).join('/');
}

/** A Hub client; stateless apart from its options, safe to share. */
export class HubClient {
  readonly endpoint: string;
  private readonly token?: string;
  private readonly timeoutMs: number;
  private readonly userAgent: string;

  constructor(options: HubClientOptions = {}) {
    this.endpoint = (options.endpoint ?? DEFAULT_HUB_ENDPOINT).replace(/\/+$/, '');
    this.token = options.token || undefined;
    this.timeoutMs = options.requestTimeoutMs ?? 30_000;
    this.userAgent = options.userAgent ?? 'inferd';
  }

  /** URL of `path` in `repo` at `revision`. */
  resolveUrl(repo: string, revision: string, path: string): string {
    return `${this.endpoint}/${repo}/resolve/${encodeURIComponent(revision)}/${encodePath(path)}`;
  }

  /** Files of `repo` at `revision`, with sizes and LFS sha256. */
  async modelInfo(repo: string, revision: string, signal?: AbortSignal): Promise<HubModelInfo> {
    const url = `${this.endpoint}/api/models/${repo}/revision/${encodeURIComponent(revision)}?blobs=true`;
    const res = await this.request(url, 'GET', {}, signal, false);
    if (!res.ok) throw await hubError(res, { repo, revision, token: !!this.token, endpoint: this.endpoint });
    const body = (await res.json().catch(() => undefined)) as { sha?: unknown; siblings?: unknown } | undefined;
    if (!body || typeof body.sha !== 'string' || !Array.isArray(body.siblings)) {
      throw new CatalogError('PROTOCOL', `${this.endpoint} answered the model-info request for ${repo} without sha and siblings`);
    }
    const siblings = body.siblings.flatMap((s: { rfilename?: unknown; size?: unknown; lfs?: { sha256?: unknown; size?: unknown } }) =>
      typeof s?.rfilename === 'string'
        ? [{
            path: s.rfilename,
            size: typeof s.lfs?.size === 'number' ? s.lfs.size : typeof s.size === 'number' ? s.size : undefined,
            sha256: typeof s.lfs?.sha256 === 'string' ? s.lfs.sha256.toLowerCase() : undefined,
          }]
        : [],
    );
    return { commit: body.sha, siblings };
  }

  /** Commit, blob id, size and sha256 of one file, from a HEAD request (relative redirects only, as huggingface_hub does). */
  async fileMetadata(repo: string, revision: string, path: string, signal?: AbortSignal): Promise<HubFileMetadata> {
    let url = this.resolveUrl(repo, revision, path);
    for (let hop = 0; ; hop++) {
      const res = await this.request(url, 'HEAD', { 'accept-encoding': 'identity' }, signal, true);
      const location = res.headers.get('location');
      if (res.status >= 300 && res.status < 400 && location && !/^[a-z][a-z0-9+.-]*:/i.test(location) && hop < MAX_REDIRECTS) {
        url = new URL(location, url).toString();
        continue;
      }
      if (res.status >= 400) throw await hubError(res, { repo, revision, path, token: !!this.token, endpoint: this.endpoint });
      const commit = res.headers.get('x-repo-commit');
      const rawEtag = res.headers.get('x-linked-etag') ?? res.headers.get('etag');
      const size = Number(res.headers.get('x-linked-size') ?? res.headers.get('content-length'));
      if (!commit || !rawEtag || !Number.isSafeInteger(size)) {
        throw new CatalogError('PROTOCOL', `${this.endpoint} is not a Hugging Face-compatible Hub: HEAD ${repo}/${path} has no X-Repo-Commit, ETag or size`);
      }
      const etag = normalizeEtag(rawEtag);
      return { commit, etag, size, sha256: /^[0-9a-f]{64}$/i.test(etag) ? etag.toLowerCase() : undefined };
    }
  }

  /**
   * Opens `path`'s bytes from `offset`, following redirects itself so the token never reaches
   * another origin (CDNs get signed URLs). The caller reads and cancels the body.
   */
  async openFile(repo: string, revision: string, path: string, offset: number, signal?: AbortSignal): Promise<Response> {
    let url = this.resolveUrl(repo, revision, path);
    const origin = new URL(url).origin;
    const range: Record<string, string> = offset > 0 ? { range: `bytes=${offset}-` } : {};
    for (let hop = 0; ; hop++) {
      const res = await this.request(url, 'GET', { ...range, 'accept-encoding': 'identity' }, signal, true, new URL(url).origin === origin);
      const location = res.headers.get('location');
      if (res.status >= 300 && res.status < 400 && location) {
        await res.body?.cancel().catch(() => undefined);
        if (hop >= MAX_REDIRECTS) throw new CatalogError('PROTOCOL', `too many redirects downloading ${repo}/${path}`);
        url = new URL(location, url).toString();
        continue;
      }
      if (res.status >= 400 && res.status !== 416) throw await hubError(res, { repo, revision, path, token: !!this.token, endpoint: this.endpoint });
      return res;
    }
  }

  private async request(url: string, method: string, headers: Record<string, string>, signal: AbortSignal | undefined, manual: boolean, withToken = true): Promise<Response> {
    const all: Record<string, string> = { 'user-agent': this.userAgent, ...headers };
    if (this.token && withToken) all.authorization = `Bearer ${this.token}`;
    // NOTE: the time limit covers the wait for headers only; a download's body is bounded by the caller's idle timeout.
    const ctl = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      ctl.abort();
    }, this.timeoutMs);
    try {
      return await fetch(url, { method, headers: all, redirect: manual ? 'manual' : 'follow', signal: signal ? AbortSignal.any([signal, ctl.signal]) : ctl.signal });
    } catch (err) {
      if (signal?.aborted) throw new CatalogError('ABORTED', `request to ${new URL(url).host} was aborted`, { cause: err });
      const why = timedOut ? `no answer within ${this.timeoutMs} ms` : describeFetchError(err);
      throw new CatalogError('NETWORK', `cannot reach ${new URL(url).origin}: ${why}`, { cause: err });
    } finally {
      clearTimeout(timer);
    }
  }
}

/** The most useful text of a fetch failure (undici hides the errno in `cause`). */
export function describeFetchError(err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (err as Error).message;
}

interface ErrorContext {
  readonly repo: string;
  readonly revision: string;
  readonly path?: string;
  readonly token: boolean;
  readonly endpoint: string;
}

/** Maps a failed Hub answer to a CatalogError that says what to do. */
export async function hubError(res: Response, ctx: ErrorContext): Promise<CatalogError> {
  const code = res.headers.get('x-error-code');
  await res.body?.cancel().catch(() => undefined);
  const what = ctx.path ? `${ctx.repo}/${ctx.path}@${ctx.revision}` : `${ctx.repo}@${ctx.revision}`;
  if (code === 'GatedRepo' || ((res.status === 401 || res.status === 403) && code !== 'RepoNotFound')) {
    const fix = ctx.token
      ? 'the token in HF_TOKEN has no access to it: accept the model terms on its Hub page with that account'
      : `it needs HF_TOKEN: accept the model terms at ${ctx.endpoint}/${ctx.repo}, then set HF_TOKEN to a read token`;
    return new CatalogError('GATED', `${ctx.repo} is gated or private (HTTP ${res.status}); ${fix}`);
  }
  if (code === 'RepoNotFound') return new CatalogError('NOT_FOUND', `repository ${ctx.repo} not found on ${ctx.endpoint}${ctx.token ? '' : ' (if it is private, set HF_TOKEN)'}`);
  if (code === 'RevisionNotFound') return new CatalogError('NOT_FOUND', `revision ${ctx.revision} not found in ${ctx.repo}`);
  if (res.status === 404) return new CatalogError('NOT_FOUND', `${what} not found on ${ctx.endpoint}${code === 'EntryNotFound' ? ' (no such file at that revision)' : ''}`);
  if (res.status === 429 || res.status >= 500) return new CatalogError('NETWORK', `${ctx.endpoint} answered HTTP ${res.status} for ${what}`);
  return new CatalogError('PROTOCOL', `${ctx.endpoint} answered HTTP ${res.status} for ${what}`);
}
