/**
 * A local Hugging Face Hub stand-in on 127.0.0.1 for download tests. It serves the API subset
 * inferd's client uses, the way huggingface.co does:
 *
 * - `GET /api/models/{repo}/revision/{rev}`: `sha` and `siblings` with size, blobId and `lfs.sha256`
 * - `HEAD|GET /{repo}/resolve/{rev}/{path}`: LFS files answer 302 to an absolute "CDN" URL with
 *   X-Repo-Commit, X-Linked-Etag (the sha256) and X-Linked-Size; small files answer directly
 *   with ETag = git blob sha1
 * - `GET /cdn/{sha256}`: the bytes, with Range (206, 416)
 * - gated repositories: 401 without a token, 403 with a wrong one (X-Error-Code: GatedRepo);
 *   unknown repositories 401 RepoNotFound; missing revisions and files 404
 *
 * Faults can be armed per file: cut the connection after N bytes, or flip a byte.
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One file of a fake repository. */
export interface HubFile {
  readonly path: string;
  readonly content: Uint8Array;
  /** Stored with LFS (default: files over 1 KiB and every .gguf). */
  readonly lfs?: boolean;
}

/** A fake repository. */
export interface HubRepoSpec {
  readonly id: string;
  readonly files: readonly HubFile[];
  /** Commit of `main`; random-looking but fixed when absent. */
  readonly commit?: string;
  readonly gated?: boolean;
}

/** One request as the server saw it. */
export interface HubRequestLog {
  readonly method: string;
  readonly path: string;
  readonly range?: string;
  readonly authorized: boolean;
}

/** A running fake Hub. */
export interface HubServer {
  readonly url: string;
  readonly requests: HubRequestLog[];
  /** Bodies started for `file` (repository path). */
  transfers(file: string): number;
  /** Cuts the next transfer of `file` after `bytes` bytes. */
  cutNext(file: string, bytes: number): void;
  /** Flips one byte in the next `times` transfers of `file`. */
  corruptNext(file: string, times?: number): void;
  /** Pauses this long between 64 KiB chunks (slows transfers down). */
  setChunkDelay(ms: number): void;
  close(): Promise<void>;
}

interface StoredFile extends HubFile {
  readonly sha256: string;
  readonly gitSha1: string;
  readonly isLfs: boolean;
}

const sha = (algo: string, ...parts: (string | Uint8Array)[]): string => {
  const h = createHash(algo);
  for (const p of parts) h.update(p);
  return h.digest('hex');
};

/** Starts the server on 127.0.0.1 and a free port. */
export async function startHubServer(options: { repos: readonly HubRepoSpec[]; token?: string }): Promise<HubServer> {
  const repos = new Map(options.repos.map((r) => [r.id, {
    ...r,
    commit: r.commit ?? sha('sha1', r.id).slice(0, 40),
    stored: r.files.map((f): StoredFile => ({
      ...f,
      sha256: sha('sha256', f.content),
      gitSha1: sha('sha1', `blob ${f.content.length}\0`, f.content),
      isLfs: f.lfs ?? (f.content.length > 1024 || f.path.endsWith('.gguf')),
    })),
  }]));
  const requests: HubRequestLog[] = [];
  const counts = new Map<string, number>();
  const cuts = new Map<string, number>();
  const corrupt = new Map<string, number>();
  let chunkDelay = 0;
  let origin = '';

  const fail = (res: ServerResponse, status: number, code?: string): void => {
    res.writeHead(status, code ? { 'x-error-code': code, 'content-type': 'application/json' } : {});
    res.end(JSON.stringify({ error: code ?? `HTTP ${status}` }));
  };

  function authorize(req: IncomingMessage, res: ServerResponse, repoId: string): ReturnType<typeof repos.get> | undefined {
    const repo = repos.get(repoId);
    if (!repo) return void fail(res, 401, 'RepoNotFound');
    if (!repo.gated) return repo;
    const auth = req.headers.authorization;
    if (!auth) return void fail(res, 401, 'GatedRepo');
    if (auth !== `Bearer ${options.token}`) return void fail(res, 403, 'GatedRepo');
    return repo;
  }

  async function sendBytes(req: IncomingMessage, res: ServerResponse, file: StoredFile, headers: Record<string, string>): Promise<void> {
    const size = file.content.length;
    const m = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? '');
    const start = m ? Number(m[1]) : 0;
    const end = m && m[2] ? Math.min(Number(m[2]), size - 1) : size - 1;
    if (m && start >= size) {
      res.writeHead(416, { ...headers, 'content-range': `bytes */${size}` });
      return void res.end();
    }
    const status = m ? 206 : 200;
    const h: Record<string, string> = { ...headers, 'accept-ranges': 'bytes', 'content-length': String(end - start + 1), 'content-type': 'application/octet-stream' };
    if (m) h['content-range'] = `bytes ${start}-${end}/${size}`;
    res.writeHead(status, h);
    if (req.method === 'HEAD') return void res.end();
    counts.set(file.path, (counts.get(file.path) ?? 0) + 1);
    let body = Buffer.from(file.content.subarray(start, end + 1));
    const flips = corrupt.get(file.path) ?? 0;
    if (flips > 0 && body.length > 0) {
      corrupt.set(file.path, flips - 1);
      body = Buffer.from(body);
      body[Math.floor(body.length / 2)]! ^= 0xff;
    }
    const cutAt = cuts.get(file.path);
    cuts.delete(file.path);
    const chunk = 64 * 1024;
    for (let off = 0; off < body.length; off += chunk) {
      if (cutAt !== undefined && off + chunk > cutAt) {
        res.write(body.subarray(off, Math.max(off, cutAt)));
        await new Promise((r) => setTimeout(r, 20));
        res.socket?.destroy();
        return;
      }
      if (!res.write(body.subarray(off, off + chunk))) await new Promise((r) => res.once('drain', r));
      if (chunkDelay > 0) await new Promise((r) => setTimeout(r, chunkDelay));
      if (res.destroyed) return;
    }
    res.end();
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', origin);
    const parts = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
    requests.push({ method: req.method ?? '', path: url.pathname, range: req.headers.range, authorized: !!req.headers.authorization });
    if (parts[0] === 'api' && parts[1] === 'models' && parts[4] === 'revision' && req.method === 'GET') {
      const repo = authorize(req, res, `${parts[2]}/${parts[3]}`);
      if (!repo) return;
      if (parts[5] !== 'main' && parts[5] !== repo.commit) return fail(res, 404, 'RevisionNotFound');
      res.writeHead(200, { 'content-type': 'application/json' });
      return void res.end(JSON.stringify({
        _id: repo.id, id: repo.id, sha: repo.commit, private: false, gated: repo.gated ? 'auto' : false,
        siblings: repo.stored.map((f) => ({
          rfilename: f.path, size: f.content.length, blobId: f.gitSha1,
          ...(f.isLfs ? { lfs: { sha256: f.sha256, size: f.content.length, pointerSize: 134 } } : {}),
        })),
      }));
    }
    if (parts[0] === 'cdn' && parts[1] && (req.method === 'GET' || req.method === 'HEAD')) {
      const file = [...repos.values()].flatMap((r) => r.stored).find((f) => f.sha256 === parts[1]);
      if (!file) return fail(res, 404);
      return sendBytes(req, res, file, { etag: `"${file.sha256}"` });
    }
    if (parts[2] === 'resolve' && parts.length >= 5 && (req.method === 'GET' || req.method === 'HEAD')) {
      const repo = authorize(req, res, `${parts[0]}/${parts[1]}`);
      if (!repo) return;
      if (parts[3] !== 'main' && parts[3] !== repo.commit) return fail(res, 404, 'RevisionNotFound');
      const file = repo.stored.find((f) => f.path === parts.slice(4).join('/'));
      if (!file) return fail(res, 404, 'EntryNotFound');
      const common = { 'x-repo-commit': repo.commit };
      if (!file.isLfs) return sendBytes(req, res, file, { ...common, etag: `"${file.gitSha1}"` });
      res.writeHead(302, {
        ...common, location: `${origin}/cdn/${file.sha256}`, etag: `"${file.gitSha1}"`,
        'x-linked-etag': `"${file.sha256}"`, 'x-linked-size': String(file.content.length), 'content-length': '0',
      });
      return void res.end();
    }
    fail(res, 404);
  }

  const server = createServer((req, res) => {
    handle(req, res).catch(() => res.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: origin,
    requests,
    transfers: (file) => counts.get(file) ?? 0,
    cutNext: (file, bytes) => void cuts.set(file, bytes),
    corruptNext: (file, times = 1) => void corrupt.set(file, times),
    setChunkDelay: (ms) => void (chunkDelay = ms),
    close: () => new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
