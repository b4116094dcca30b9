/**
 * TLS for HTTP and gRPC with certificates made at test time by `openssl` (skipped, visibly, when
 * it is absent): HTTPS infer (fast path included), plain HTTP refused on the TLS port, client
 * certificates none/request/require, gRPC over TLS, and start-up errors for bad TLS settings.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import path from 'node:path';
import { credentials, loadPackageDefinition, Metadata, status, type ServiceError } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Command } from 'commander';
import type { RunningServer } from '../../src/app.js';
import { addServeCommand } from '../../src/cli/serve-command.js';
import type { ServerOptions } from '../../src/config/server-options.js';
import { buildHttpServer } from '../../src/protocols/http/server.js';
import { loadInferencePackage } from '../../src/protocols/kserve-grpc/index.js';
import { loadTlsMaterial } from '../../src/security/tls.js';
import { fp32Infer, identityConfig, startTestServer, tempDir, writeModel } from '../support/server.js';
import { rawFp32, readRaw, type InferenceClient } from '../grpc/support/grpc-client.js';

function hasOpenssl(): boolean {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const OPENSSL = hasOpenssl();
if (!OPENSSL) console.warn('[tls.test] SKIPPED: `openssl` is not on PATH, so no test certificates can be made');

interface Pki {
  readonly dir: string;
  readonly file: (name: string) => string;
  readonly read: (name: string) => Buffer;
}

/** A CA, a server certificate for 127.0.0.1/localhost, a client certificate, and a client certificate from another CA. */
function makePki(dir: string): Pki {
  const file = (name: string) => path.join(dir, name);
  const ssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe', timeout: 20_000 });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  const ca = (name: string) =>
    ssl('req', '-x509', ...ec, '-keyout', `${name}.key`, '-out', `${name}.pem`, '-days', '2', '-subj', `/CN=${name}`,
      '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign');
  const leaf = (name: string, issuer: string, ext: string) => {
    writeFileSync(file(`${name}.ext`), ext);
    ssl('req', '-new', ...ec, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`);
    ssl('x509', '-req', '-in', `${name}.csr`, '-CA', `${issuer}.pem`, '-CAkey', `${issuer}.key`, '-CAcreateserial', '-out', `${name}.pem`, '-days', '2', '-extfile', `${name}.ext`);
  };
  ca('ca');
  ca('rogue-ca');
  leaf('server', 'ca', 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
  leaf('client', 'ca', 'extendedKeyUsage=clientAuth\n');
  leaf('rogue-client', 'rogue-ca', 'extendedKeyUsage=clientAuth\n');
  return { dir, file, read: (name) => readFileSync(file(name)) };
}

interface ClientCert {
  readonly cert: Buffer;
  readonly key: Buffer;
}

/** One HTTPS request trusting the test CA; resolves with status and body, rejects on TLS/socket errors. */
function httpsRequest(port: number, pki: Pki, opts: { method?: string; path?: string; body?: string; client?: ClientCert } = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      {
        host: '127.0.0.1',
        port,
        method: opts.method ?? 'GET',
        path: opts.path ?? '/v2/health/ready',
        ca: pki.read('ca.pem'),
        servername: 'localhost',
        ...(opts.client ? { cert: opts.client.cert, key: opts.client.key } : {}),
        agent: false,
        timeout: 5_000,
        headers: opts.body ? { 'content-type': 'application/json' } : {},
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
    req.end(opts.body);
  });
}

function plainHttpRequest(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: '/v2/health/ready', agent: false, timeout: 5_000 }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
    req.end();
  });
}

function grpcClient(port: number, pki: Pki | undefined, client?: ClientCert): InferenceClient {
  const pkg = loadPackageDefinition(loadInferencePackage()) as unknown as {
    inference: { GRPCInferenceService: new (address: string, creds: unknown) => InferenceClient };
  };
  const creds = pki ? credentials.createSsl(pki.read('ca.pem'), client?.key ?? null, client?.cert ?? null) : credentials.createInsecure();
  return new pkg.inference.GRPCInferenceService(`127.0.0.1:${port}`, creds);
}

function grpcInfer(client: InferenceClient, values: number[]): Promise<number[]> {
  const x = rawFp32('INPUT0', values, [1, values.length]);
  return new Promise((resolve, reject) => {
    client['ModelInfer']!({ model_name: 'echo', inputs: [x.input], raw_input_contents: [x.raw] }, new Metadata(), { deadline: new Date(Date.now() + 5_000) }, (err: ServiceError | null, res: any) =>
      err ? reject(err) : resolve(readRaw(res.raw_output_contents[0], Float32Array)),
    );
  });
}

const INFER_BODY = JSON.stringify(fp32Infer([1.5, 2.5], 1));

describe.skipIf(!OPENSSL)('TLS', () => {
  let pki: Pki;
  let repo: string;
  let cleanup: () => Promise<void>;
  const servers: RunningServer[] = [];
  const clients: InferenceClient[] = [];
  let clientCert: ClientCert;
  let rogueCert: ClientCert;

  async function start(clientAuth: 'none' | 'request' | 'require'): Promise<RunningServer> {
    const server = await startTestServer({
      modelRepository: repo,
      tlsCertFile: pki.file('server.pem'),
      tlsKeyFile: pki.file('server.key'),
      ...(clientAuth !== 'none' ? { tlsCaFile: pki.file('ca.pem') } : {}),
      tlsClientAuth: clientAuth,
    });
    servers.push(server);
    return server;
  }

  function track(client: InferenceClient): InferenceClient {
    clients.push(client);
    return client;
  }

  beforeAll(async () => {
    const t = await tempDir('inferd-tls-');
    cleanup = t.cleanup;
    pki = makePki(t.dir);
    repo = path.join(t.dir, 'repo');
    await writeModel(repo, 'echo', identityConfig('echo'));
    clientCert = { cert: pki.read('client.pem'), key: pki.read('client.key') };
    rogueCert = { cert: pki.read('rogue-client.pem'), key: pki.read('rogue-client.key') };
  });
  afterAll(async () => {
    for (const c of clients) c.close();
    await Promise.all(servers.map((s) => s.close()));
    await cleanup?.();
  });

  describe('server certificate only', () => {
    let server: RunningServer;
    beforeAll(async () => {
      server = await start('none');
    });

    it('serves KServe infer over HTTPS', async () => {
      const res = await httpsRequest(server.httpPort, pki, { method: 'POST', path: '/v2/models/echo/infer', body: INFER_BODY });
      expect(res.status).toBe(200);
      expect(JSON.parse(res.body).outputs[0].data).toEqual([1.5, 2.5]);
    });

    it('refuses plain HTTP on the TLS port', async () => {
      await expect(plainHttpRequest(server.httpPort)).rejects.toThrow();
    });

    it('serves gRPC over TLS to a client trusting the CA, and refuses a plaintext client', async () => {
      expect(await grpcInfer(track(grpcClient(server.grpcPort as number, pki)), [7, 8])).toEqual([7, 8]);
      await expect(grpcInfer(track(grpcClient(server.grpcPort as number, undefined)), [1])).rejects.toMatchObject({ code: status.UNAVAILABLE });
    });

    it('keeps the infer fast path (no Fastify hooks) over TLS', async () => {
      const material = loadTlsMaterial({ certFile: pki.file('server.pem'), keyFile: pki.file('server.key'), clientAuth: 'none' })!;
      const app = buildHttpServer({ inference: server.inference, tls: material });
      const seen: string[] = [];
      app.addHook('onRequest', async (request) => {
        seen.push(request.url);
      });
      await app.listen({ host: '127.0.0.1', port: 0 });
      try {
        const port = (app.server.address() as { port: number }).port;
        const infer = await httpsRequest(port, pki, { method: 'POST', path: '/v2/models/echo/infer', body: INFER_BODY });
        expect(infer.status).toBe(200);
        expect((await httpsRequest(port, pki)).status).toBe(200);
        expect(seen).toEqual(['/v2/health/ready']);
      } finally {
        await app.close();
      }
    });
  });

  describe('--tls-client-auth require', () => {
    let server: RunningServer;
    beforeAll(async () => {
      server = await start('require');
    });

    it('refuses HTTPS clients without a certificate or with one from another CA', async () => {
      await expect(httpsRequest(server.httpPort, pki)).rejects.toThrow();
      await expect(httpsRequest(server.httpPort, pki, { client: rogueCert })).rejects.toThrow();
    });

    it('serves HTTPS clients with a certificate from the CA', async () => {
      const res = await httpsRequest(server.httpPort, pki, { method: 'POST', path: '/v2/models/echo/infer', body: INFER_BODY, client: clientCert });
      expect(res.status).toBe(200);
    });

    it('applies the same rule to gRPC', async () => {
      await expect(grpcInfer(track(grpcClient(server.grpcPort as number, pki)), [1])).rejects.toMatchObject({ code: status.UNAVAILABLE });
      expect(await grpcInfer(track(grpcClient(server.grpcPort as number, pki, clientCert)), [3])).toEqual([3]);
    });
  });

  describe('--tls-client-auth request', () => {
    let server: RunningServer;
    beforeAll(async () => {
      server = await start('request');
    });

    it('serves clients with a valid certificate or none, and closes on an unverifiable one', async () => {
      expect((await httpsRequest(server.httpPort, pki)).status).toBe(200);
      expect((await httpsRequest(server.httpPort, pki, { client: clientCert })).status).toBe(200);
      await expect(httpsRequest(server.httpPort, pki, { client: rogueCert })).rejects.toThrow();
    });

    it('serves gRPC clients without a certificate', async () => {
      expect(await grpcInfer(track(grpcClient(server.grpcPort as number, pki)), [4])).toEqual([4]);
      expect(await grpcInfer(track(grpcClient(server.grpcPort as number, pki, clientCert)), [5])).toEqual([5]);
    });
  });

  describe('start-up checks', () => {
    it('refuses missing files, a key that does not match, a CA without a mode and a mode without a CA', async () => {
      const base = { modelRepository: repo, tlsCertFile: pki.file('server.pem'), tlsKeyFile: pki.file('server.key') };
      await expect(startTestServer({ ...base, tlsKeyFile: pki.file('missing.key') })).rejects.toThrow(/--tls-key .*missing\.key.*cannot read/);
      await expect(startTestServer({ ...base, tlsKeyFile: pki.file('client.key') })).rejects.toThrow(/not usable together/);
      await expect(startTestServer({ ...base, tlsCaFile: pki.file('ca.pem') })).rejects.toThrow(/--tls-client-auth require/);
      await expect(startTestServer({ ...base, tlsClientAuth: 'require' })).rejects.toThrow(/needs --tls-ca/);
      await expect(startTestServer({ modelRepository: repo, tlsCertFile: pki.file('server.pem') })).rejects.toThrow(/both --tls-cert and --tls-key/);
    });
  });
});

describe('TLS flags', () => {
  it('parses --tls-* flags and their INFERD_TLS_* twins; --tls-client-auth defaults to none', async () => {
    const parse = async (args: string[]): Promise<ServerOptions> => {
      let parsed: ServerOptions | undefined;
      const quiet = { writeErr: () => undefined, writeOut: () => undefined };
      const program = new Command().exitOverride().configureOutput(quiet);
      addServeCommand(program, async (o) => {
        parsed = o;
      })
        .exitOverride()
        .configureOutput(quiet);
      await program.parseAsync(['node', 'inferd', 'serve', ...args]);
      return parsed as ServerOptions;
    };
    expect((await parse([])).tlsClientAuth).toBe('none');
    process.env.INFERD_TLS_CA = '/etc/ca.pem';
    try {
      expect(await parse(['--tls-cert', 'c.pem', '--tls-key', 'k.pem', '--tls-client-auth', 'require'])).toMatchObject({
        tlsCertFile: 'c.pem',
        tlsKeyFile: 'k.pem',
        tlsCaFile: '/etc/ca.pem',
        tlsClientAuth: 'require',
      });
    } finally {
      delete process.env.INFERD_TLS_CA;
    }
    await expect(parse(['--tls-client-auth', 'maybe'])).rejects.toThrow();
  });
});
