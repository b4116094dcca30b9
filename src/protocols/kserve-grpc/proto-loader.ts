/**
 * Finds and loads inferd's copy of Triton's `grpc_service.proto` at runtime. The .proto files
 * live in the source tree and are found from the package root, so the same lookup works when
 * running `src/` under tsx and `dist/src/` after a build (which does not copy them).
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as protoLoader from '@grpc/proto-loader';

/**
 * How messages become JavaScript objects, for the server and for test clients alike.
 * NOTE: `longs: String` keeps uint64 sequence ids, counts and INT64/UINT64 tensor elements
 * exact; numbers would silently round above 2^53.
 */
export const PROTO_LOADER_OPTIONS: protoLoader.Options = {
  keepCase: true,
  longs: String,
  enums: String,
  defaults: true,
  arrays: true,
  oneofs: true,
};

/** Fully qualified name of the service in the loaded package definition. */
export const SERVICE_NAME = 'inference.GRPCInferenceService';

/** Walks up from `start` to the nearest folder holding a package.json. */
export function findPackageRoot(start: string): string {
  let dir = start;
  for (;;) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`no package.json above ${start}`);
    dir = parent;
  }
}

/** Absolute path of the folder holding grpc_service.proto and model_config.proto. */
export function protoDir(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  return join(findPackageRoot(here), 'src', 'protocols', 'kserve-grpc', 'proto');
}

let cached: protoLoader.PackageDefinition | undefined;

/** Loads (once) the package definition of `inference.GRPCInferenceService`. */
export function loadInferencePackage(): protoLoader.PackageDefinition {
  cached ??= protoLoader.loadSync('grpc_service.proto', { ...PROTO_LOADER_OPTIONS, includeDirs: [protoDir()] });
  return cached;
}
