/**
 * TLS settings shared by the HTTP and gRPC front-ends: PEM files read and checked once at
 * start-up (a wrong path, a key that does not match the certificate or a missing CA fails there,
 * not on the first connection), and the Node `https` server built from them. Client-certificate
 * verification has three modes:
 *   none     no client certificate is asked for;
 *   request  one is asked for; clients without one are served, a certificate that does not chain
 *            to the CA closes the connection (HTTP);
 *   require  connections without a certificate that chains to the CA are refused in the handshake.
 * Nothing in inferd grants rights by certificate: API keys stay the authorization mechanism.
 */
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { createSecureContext, type TLSSocket } from 'node:tls';

/** Client-certificate verification modes. */
export const CLIENT_AUTH_MODES = ['none', 'request', 'require'] as const;

/** One of CLIENT_AUTH_MODES. */
export type ClientAuthMode = (typeof CLIENT_AUTH_MODES)[number];

/** File paths and mode, as given on the command line. */
export interface TlsSettings {
  /** PEM certificate chain of the server (leaf first). */
  readonly certFile: string;
  /** PEM private key of the server certificate. */
  readonly keyFile: string;
  /** PEM bundle of CAs that client certificates must chain to; required unless clientAuth is none. */
  readonly caFile?: string;
  readonly clientAuth: ClientAuthMode;
}

/** The loaded, checked PEM material; front-ends build their servers from it. */
export interface TlsMaterial {
  readonly cert: Buffer;
  readonly key: Buffer;
  readonly ca?: Buffer;
  readonly clientAuth: ClientAuthMode;
}

function read(file: string, flag: string): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    throw new Error(`${flag} ${file}: cannot read the file (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
}

/**
 * Checks the flag combination, reads the files and builds a secure context once to prove the
 * key matches the certificate. Error messages name files and flags, never file contents.
 */
export function loadTlsMaterial(settings: Partial<TlsSettings>): TlsMaterial | undefined {
  const { certFile, keyFile, caFile, clientAuth = 'none' } = settings;
  if (!certFile && !keyFile) {
    if (caFile || clientAuth !== 'none') throw new Error('--tls-ca and --tls-client-auth need --tls-cert and --tls-key');
    return undefined;
  }
  if (!certFile || !keyFile) throw new Error('TLS needs both --tls-cert and --tls-key');
  if (!CLIENT_AUTH_MODES.includes(clientAuth)) throw new Error(`--tls-client-auth: expected ${CLIENT_AUTH_MODES.join(', ')}, got '${String(clientAuth)}'`);
  if (clientAuth !== 'none' && !caFile) throw new Error(`--tls-client-auth ${clientAuth} needs --tls-ca, the CA that client certificates must chain to`);
  if (clientAuth === 'none' && caFile) {
    // NOTE: a CA given without a mode most likely means mutual TLS was intended; refusing beats serving everyone.
    throw new Error('--tls-ca only verifies client certificates: add --tls-client-auth require (or request)');
  }
  const material: TlsMaterial = {
    cert: read(certFile, '--tls-cert'),
    key: read(keyFile, '--tls-key'),
    ...(caFile ? { ca: read(caFile, '--tls-ca') } : {}),
    clientAuth,
  };
  try {
    createSecureContext({ cert: material.cert, key: material.key, ...(material.ca ? { ca: material.ca } : {}) });
  } catch (err) {
    throw new Error(`TLS: the certificate, key or CA files are not usable together: ${(err as Error).message}`);
  }
  return material;
}

/** Node TLS server options for `material` (certificate, key, client verification, handshake timeout). */
export function tlsServerOptions(material: TlsMaterial, handshakeTimeoutMs?: number): https.ServerOptions {
  return {
    cert: material.cert,
    key: material.key,
    ...(material.ca ? { ca: material.ca } : {}),
    requestCert: material.clientAuth !== 'none',
    // NOTE: in `request` mode Node must not refuse certificate-less clients; presented certificates are checked below.
    rejectUnauthorized: material.clientAuth === 'require',
    ...(handshakeTimeoutMs !== undefined && handshakeTimeoutMs > 0 ? { handshakeTimeout: handshakeTimeoutMs } : {}),
  };
}

/** True when the peer sent a certificate that did not verify against the CA. */
function presentedUnverified(socket: TLSSocket): boolean {
  if (socket.authorized) return false;
  const peer = socket.getPeerCertificate();
  return peer !== null && typeof peer === 'object' && Object.keys(peer).length > 0;
}

/**
 * An HTTPS server for `material`; `options` carries the plain HTTP server settings (timeouts).
 * In `request` mode a connection that presents an unverifiable certificate is closed at once.
 */
export function createHttpsServer(
  material: TlsMaterial,
  options: http.ServerOptions & { handshakeTimeoutMs?: number },
  listener: http.RequestListener,
): https.Server {
  const { handshakeTimeoutMs, ...serverOptions } = options;
  const server = https.createServer({ ...serverOptions, ...tlsServerOptions(material, handshakeTimeoutMs) }, listener);
  if (material.clientAuth === 'request') {
    server.on('secureConnection', (socket: TLSSocket) => {
      if (presentedUnverified(socket)) socket.destroy();
    });
  }
  return server;
}
