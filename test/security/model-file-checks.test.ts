/**
 * Model files are untrusted input, checked before an engine opens them, through the public HTTP
 * load API and the repository index: pickle formats are refused, an optional `sha256sums`
 * manifest must match, and ONNX/GGUF headers (including ONNX external-data references) must be
 * valid. Every refusal leaves the model UNAVAILABLE with a reason and the server serving.
 */
import { createHash } from 'node:crypto';
import { symlink } from 'node:fs/promises';
import path from 'node:path';
import protobuf from 'protobufjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { identityOnnx } from '../../src/examples/index.js';
import { encodeGguf, tinyLlamaGguf } from '../../src/formats/gguf/index.js';
import { client, fp32Infer, identityConfig, postJson, writeModel } from '../support/server.js';
import { ggufConfig, indexRows, load, onnxConfig, startWorkspace, unavailableReason, writeTree, type Workspace } from './support/model-repo.js';

const ONNX = identityOnnx('FP32');
const GGUF = encodeGguf(tinyLlamaGguf({ name: 'tiny', vocabSize: 300, embeddingLength: 16, blockCount: 1, headCount: 2, feedForwardLength: 32, contextLength: 128 }));

/** The classic exploit pickle (protocol 2): `os.system("id")` on load. */
const EXPLOIT_PICKLE = Buffer.concat([Buffer.from([0x80, 0x02]), Buffer.from('cos\nsystem\nq\x00X\x02\x00\x00\x00idq\x01\x85q\x02Rq\x03.', 'latin1')]);

/** The start of a PyTorch zip checkpoint: a zip local header whose first entry is `archive/data.pkl`. */
function torchZipHead(): Buffer {
  const name = Buffer.from('archive/data.pkl');
  const header = Buffer.alloc(30);
  header.writeUInt32LE(0x04034b50, 0);
  header.writeUInt16LE(name.length, 26);
  return Buffer.concat([header, name, EXPLOIT_PICKLE]);
}

const EXT_ROOT = protobuf.parse(`syntax = "proto2";
  message M { optional G graph = 7; }
  message G { repeated T initializer = 5; }
  message T { repeated int64 dims = 1; optional int32 data_type = 2; optional string name = 8; repeated E external_data = 13; optional int32 data_location = 14; }
  message E { optional string key = 1; optional string value = 2; }`, { keepCase: true }).root;

/** A GraphProto fragment: one FP32[1] initializer whose data lives in an external file. */
function externalInitializer(entries: Readonly<Record<string, string>>): Uint8Array {
  const G = EXT_ROOT.lookupType('G');
  const external_data = Object.entries(entries).map(([key, value]) => ({ key, value }));
  return G.encode(G.fromObject({ initializer: [{ dims: [1], data_type: 1, name: 'ext_w', external_data, data_location: 1 }] })).finish();
}

/** `base` with the external initializer appended inside its one `graph` field (a well-formed model). */
function withExternalData(base: Uint8Array, entries: Readonly<Record<string, string>>): Uint8Array {
  const reader = protobuf.Reader.create(base);
  const parts: Uint8Array[] = [];
  while (reader.pos < reader.len) {
    const start = reader.pos;
    const tag = reader.uint32();
    if (tag >>> 3 === 7 && (tag & 7) === 2) {
      parts.push(protobuf.Writer.create().uint32(tag).bytes(Buffer.concat([reader.bytes(), externalInitializer(entries)])).finish());
    } else {
      reader.skipType(tag & 7);
      parts.push(base.subarray(start, reader.pos));
    }
  }
  return Buffer.concat(parts);
}

/** A model whose external initializer sits in an extra, earlier `graph` field: C++ protobuf merges both. */
function withHiddenGraph(base: Uint8Array, entries: Readonly<Record<string, string>>): Uint8Array {
  const hidden = protobuf.Writer.create().uint32((7 << 3) | 2).bytes(externalInitializer(entries)).finish();
  return Buffer.concat([hidden, base]);
}

function sha(content: string | Uint8Array): string {
  return createHash('sha256').update(content).digest('hex');
}

let ws: Workspace;

beforeAll(async () => {
  ws = await startWorkspace();
  await writeModel(ws.repo, 'good', identityConfig('good'));
  expect((await load(ws.server, 'good')).status).toBe(200);
});
afterAll(async () => {
  await ws?.close();
});

/** Writes a model, loads it, and returns the index reason (or 'READY'). */
async function loadOutcome(name: string, config: string, files: Readonly<Record<string, string | Uint8Array>>): Promise<string> {
  await writeModel(ws.repo, name, config);
  await writeTree(path.join(ws.repo, name), files);
  const res = await load(ws.server, name);
  if (res.status === 200) return (await indexRows(ws.server, name)).some((r) => r.state === 'READY') ? 'READY' : 'not ready';
  expect(res.status).toBe(400);
  return unavailableReason(ws.server, name);
}

async function stillServing(): Promise<void> {
  expect((await client(ws.server)('/v2/health/live')).status).toBe(200);
  expect((await postJson(ws.server, '/v2/models/good/infer', fp32Infer([9]))).body.outputs[0].data).toEqual([9]);
}

describe('pickle formats', () => {
  for (const file of ['model.pt', 'model.pth', 'weights.pkl', 'model.ckpt', 'model.joblib']) {
    it(`refuses a version folder holding ${file}`, async () => {
      const name = `pickle_${file.replace(/\W/g, '_')}`;
      const reason = await loadOutcome(name, identityConfig(name), { [`1/${file}`]: EXPLOIT_PICKLE });
      expect(reason).toMatch(new RegExp(`'1/${file.replace('.', '\\.')}' is a pickle-based format`));
      expect(reason).toMatch(/arbitrary code/);
    });
  }

  it('refuses .bin files that hold a pickle or a PyTorch zip, and accepts raw weight blobs', async () => {
    expect(await loadOutcome('bin_pickle', identityConfig('bin_pickle'), { '1/pytorch_model.bin': EXPLOIT_PICKLE })).toMatch(/'1\/pytorch_model\.bin' is a Python pickle \(protocol 2\)/);
    expect(await loadOutcome('bin_zip', identityConfig('bin_zip'), { '1/pytorch_model.bin': torchZipHead() })).toMatch(/PyTorch zip archive holding pickled data/);
    expect(await loadOutcome('bin_raw', identityConfig('bin_raw'), { '1/weights.bin': new Uint8Array(new Float32Array([0.5, -1, 2, 3]).buffer) })).toBe('READY');
    await stillServing();
  });

  it('refuses a pickle anywhere the version can read, also in a shared subfolder of the model', async () => {
    expect(await loadOutcome('nested_pickle', identityConfig('nested_pickle'), { 'extras/tokenizer.pkl': EXPLOIT_PICKLE })).toMatch(/'extras\/tokenizer\.pkl' is a pickle-based format/);
  });
});

describe('sha256sums manifest', () => {
  const weights = 'weights v1';

  it('loads when every file is listed and matches (text and binary mode lines)', async () => {
    const config = identityConfig('sums_ok');
    const manifest = `${sha(config)}  config.pbtxt\n${sha(weights)} *1/weights.txt\n`;
    expect(await loadOutcome('sums_ok', config, { '1/weights.txt': weights, sha256sums: manifest })).toBe('READY');
  });

  it('refuses a file whose hash does not match, naming it', async () => {
    const config = identityConfig('sums_bad');
    const manifest = `${sha(config)}  config.pbtxt\n${sha(weights)}  1/weights.txt\n`;
    const reason = await loadOutcome('sums_bad', config, { '1/weights.txt': 'weights tampered', sha256sums: manifest });
    expect(reason).toMatch(/sha256 of '1\/weights\.txt' does not match sha256sums/);
    expect((await postJson(ws.server, '/v2/models/sums_bad/infer', fp32Infer([1]))).status).not.toBe(200);
  });

  it('refuses unlisted files, listed files that are missing, malformed lines and paths that leave the folder', async () => {
    const c1 = identityConfig('sums_unlisted');
    expect(await loadOutcome('sums_unlisted', c1, { '1/weights.txt': weights, '1/extra.txt': 'x', sha256sums: `${sha(c1)}  config.pbtxt\n${sha(weights)}  1/weights.txt\n` })).toMatch(
      /'1\/extra\.txt' is not listed in sha256sums/,
    );
    const c2 = identityConfig('sums_missing');
    expect(await loadOutcome('sums_missing', c2, { sha256sums: `${sha(c2)}  config.pbtxt\n${sha(weights)}  1/weights.txt\n` })).toMatch(/'1\/weights\.txt' is listed in sha256sums but missing/);
    expect(await loadOutcome('sums_malformed', identityConfig('sums_malformed'), { sha256sums: 'not a checksum line\n' })).toMatch(/sha256sums line 1 is not/);
    const c4 = identityConfig('sums_escape');
    expect(await loadOutcome('sums_escape', c4, { sha256sums: `${sha(c4)}  config.pbtxt\n${sha('x')}  ../good/config.pbtxt\n` })).toMatch(/'\.\.' component/);
    await stillServing();
  });

  it('covers only the version being loaded: files of other versions need not be listed', async () => {
    const config = identityConfig('sums_scoped');
    await writeTree(path.join(ws.repo, 'sums_scoped'), { '1/old.txt': 'old, unlisted' });
    const manifest = `${sha(config)}  config.pbtxt\n${sha(weights)}  2/weights.txt\n`;
    expect(await loadOutcome('sums_scoped', config, { '2/weights.txt': weights, sha256sums: manifest })).toBe('READY');
    expect((await indexRows(ws.server, 'sums_scoped'))[0]).toMatchObject({ version: '2', state: 'READY' });
  });
});

describe('ONNX files are validated before onnxruntime sees them', () => {
  const cases: readonly [string, Uint8Array, RegExp][] = [
    ['garbage', new Uint8Array(Array.from({ length: 4096 }, (_, i) => (i * 131 + 7) & 0xff)), /'1\/model\.onnx': not a valid ONNX model/],
    ['truncated', ONNX.subarray(0, Math.floor(ONNX.length / 2)), /'1\/model\.onnx': not a valid ONNX model/],
    ['empty', new Uint8Array(0), /'1\/model\.onnx': not a valid ONNX model: the file is empty/],
    ['a pickle', EXPLOIT_PICKLE, /'1\/model\.onnx': not a valid ONNX model/],
  ];
  for (const [what, bytes, reason] of cases) {
    it(`a ${what} model.onnx is UNAVAILABLE with a reason and the server keeps serving`, async () => {
      const name = `onnx_${what.replace(/\W/g, '_')}`;
      expect(await loadOutcome(name, onnxConfig(name), { '1/model.onnx': bytes })).toMatch(reason);
      await stillServing();
    });
  }

  it('refuses external data that leaves the model folder, by path or by symlink, or lies past its file', async () => {
    const up = withExternalData(ONNX, { location: '../../outside/secret.bin' });
    expect(await loadOutcome('ext_up', onnxConfig('ext_up'), { '1/model.onnx': up })).toMatch(/external data of tensor 'ext_w' location '..\/..\/outside\/secret.bin' has a '..' component/);
    const abs = withExternalData(ONNX, { location: '/etc/passwd' });
    expect(await loadOutcome('ext_abs', onnxConfig('ext_abs'), { '1/model.onnx': abs })).toMatch(/location '\/etc\/passwd' is absolute/);
    await writeTree(ws.outside, { 'secret.bin': new Uint8Array(64) });
    await writeModel(ws.repo, 'ext_link', onnxConfig('ext_link'));
    await symlink(path.join(ws.outside, 'secret.bin'), path.join(ws.repo, 'ext_link', '1', 'w.bin'));
    expect(await loadOutcome('ext_link', onnxConfig('ext_link'), { '1/model.onnx': withExternalData(ONNX, { location: 'w.bin' }) })).toMatch(/resolves outside the model directory/);
    const past = withExternalData(ONNX, { location: 'w.bin', offset: '0', length: '4096' });
    expect(await loadOutcome('ext_past', onnxConfig('ext_past'), { '1/model.onnx': past, '1/w.bin': new Uint8Array(4) })).toMatch(/lie beyond the end of 'w.bin' \(4 bytes\)/);
    const hidden = withHiddenGraph(ONNX, { location: '../../outside/secret.bin' });
    expect(await loadOutcome('ext_hidden', onnxConfig('ext_hidden'), { '1/model.onnx': hidden })).toMatch(/location '..\/..\/outside\/secret.bin' has a '..' component/);
    const none = withExternalData(ONNX, { offset: '0' });
    expect(await loadOutcome('ext_none', onnxConfig('ext_none'), { '1/model.onnx': none })).toMatch(/has no location/);
    await stillServing();
  });

  it('accepts external data inside the version folder', async () => {
    const model = withExternalData(ONNX, { location: 'w.bin', offset: '0', length: '4' });
    expect(await loadOutcome('ext_ok', onnxConfig('ext_ok'), { '1/model.onnx': model, '1/w.bin': new Uint8Array(new Float32Array([1]).buffer) })).toBe('READY');
  });
});

describe('GGUF files are validated before llama.cpp sees them', () => {
  function header(version: number, tensors: bigint, entries: bigint): Uint8Array {
    const b = Buffer.alloc(64);
    b.write('GGUF', 0, 'latin1');
    b.writeUInt32LE(version, 4);
    b.writeBigUInt64LE(tensors, 8);
    b.writeBigUInt64LE(entries, 16);
    return b;
  }
  const cases: readonly [string, Uint8Array, RegExp][] = [
    ['garbage', new Uint8Array(256).fill(0x41), /'1\/model\.gguf' is not a GGUF file \(bad magic\)/],
    ['too short', Buffer.from('GGUF'), /shorter than the header/],
    ['version 1', header(1, 0n, 0n), /unsupported GGUF version 1/],
    ['a huge tensor count', header(3, 1n << 40n, 0n), /tensor count 1099511627776 cannot fit in a 64-byte file/],
    ['a huge metadata count', header(3, 0n, 1n << 50n), /metadata count \d+ cannot fit/],
    ['truncated', GGUF.subarray(0, Math.floor(GGUF.length * 0.6)), /'1\/model\.gguf' is not a valid GGUF file: .*(beyond the end|truncated|ends)/],
  ];
  for (const [what, bytes, reason] of cases) {
    it(`a GGUF with ${what} is UNAVAILABLE with a reason`, async () => {
      const name = `gguf_${what.replace(/\W/g, '_')}`;
      expect(await loadOutcome(name, ggufConfig(name), { '1/model.gguf': bytes })).toMatch(reason);
    });
  }

  it('a valid GGUF passes the checks and loads', async () => {
    expect(await loadOutcome('gguf_ok', ggufConfig('gguf_ok'), { '1/model.gguf': GGUF })).toBe('READY');
    await stillServing();
  }, 60_000);
});
