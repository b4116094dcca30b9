/**
 * gRPC server credentials from the shared TLS material (security/tls.ts): plaintext without it,
 * grpc-js `createSsl` for `none` and `require`, and for `request` credentials that ask for a
 * client certificate without demanding one (`createSsl` can only demand it).
 */
import { ServerCredentials } from '@grpc/grpc-js';
import type { SecureServerOptions } from 'node:http2';
import type { SecureContextOptions } from 'node:tls';
import type { TlsMaterial } from '../../security/tls.js';

/** TLS credentials with explicit Node server options; grpc-js passes them to `http2.createSecureServer`. */
class OptionalClientCertCredentials extends ServerCredentials {
  constructor(server: SecureServerOptions, context: SecureContextOptions) {
    super(server, context);
  }

  _equals(other: ServerCredentials): boolean {
    return other === this;
  }
}

/**
 * Credentials for `bindAsync`. In `request` mode grpc-js exposes no hook to refuse a certificate
 * that fails verification, so such a client is served as one without a certificate; inferd grants
 * nothing by certificate, so this equals sending none (use `require` to refuse it).
 */
export function grpcServerCredentials(material: TlsMaterial | undefined): ServerCredentials {
  if (!material) return ServerCredentials.createInsecure();
  const pair = { private_key: material.key, cert_chain: material.cert };
  if (material.clientAuth === 'request') {
    return new OptionalClientCertCredentials(
      { requestCert: true, rejectUnauthorized: false },
      { cert: material.cert, key: material.key, ...(material.ca ? { ca: material.ca } : {}) },
    );
  }
  return ServerCredentials.createSsl(material.ca ?? null, [pair], material.clientAuth === 'require');
}
