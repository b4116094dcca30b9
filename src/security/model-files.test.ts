import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { identityOnnx } from '../examples/index.js';
import { validateOnnxFile } from './model-headers.js';
import { inspectModelVersion } from './model-files.js';
import { isSafeModelName, relativePathProblem } from './model-paths.js';
import { pickleSignature } from './pickle-detect.js';
import { parseSha256Manifest } from './sha256-manifest.js';

let dir = '';
afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = '';
});

async function modelDir(files: Readonly<Record<string, string>>): Promise<string> {
  dir = await mkdtemp(path.join(tmpdir(), 'inferd-model-files-'));
  for (const [rel, content] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(dir, 'm', rel)), { recursive: true });
    await writeFile(path.join(dir, 'm', rel), content);
  }
  return path.join(dir, 'm');
}

describe('path rules', () => {
  it('accepts plain model names and refuses traversal, hidden, control and over-long ones', () => {
    for (const ok of ['simple', 'a.b-c_d', '_x', '9']) expect(isSafeModelName(ok)).toBe(true);
    for (const bad of ['', '.', '..', '../x', 'a/b', '.git', '-rf', 'a\u0000b', 'a b', 'x'.repeat(256), 'caf\u00e9']) expect(isSafeModelName(bad)).toBe(false);
  });

  it('names the problem with a relative path', () => {
    expect(relativePathProblem('1/model.onnx')).toBeUndefined();
    expect(relativePathProblem('%2e%2e/x')).toBeUndefined();
    expect(relativePathProblem('../x')).toMatch(/'\.\.'/);
    expect(relativePathProblem('a/../../x')).toMatch(/'\.\.'/);
    expect(relativePathProblem('/etc/passwd')).toMatch(/absolute/);
    expect(relativePathProblem('C:/x')).toMatch(/absolute/);
    expect(relativePathProblem('a\\..\\b')).toMatch(/backslash/);
    expect(relativePathProblem('a\nb')).toMatch(/control/);
    expect(relativePathProblem(`${'x'.repeat(256)}/y`)).toMatch(/longer than 255/);
    expect(relativePathProblem('')).toMatch(/empty/);
  });
});

describe('sha256sums parsing', () => {
  const h = 'ab'.repeat(32);
  it('reads text and binary lines and CRLF; unescapes sha256sum names and then applies the path rules', () => {
    const m = parseSha256Manifest(`${h}  config.pbtxt\r\n${h.toUpperCase()} *./1/model.onnx\n`);
    expect([...m.keys()]).toEqual(['config.pbtxt', '1/model.onnx']);
    expect(m.get('1/model.onnx')).toBe(h);
    expect(() => parseSha256Manifest(`\\${h}  1/a\\nb\n`)).toThrow(/control character/);
    expect(() => parseSha256Manifest(`\\${h}  1/back\\\\slash\n`)).toThrow(/backslash/);
  });
  it('refuses duplicates, short hashes and escaping paths', () => {
    expect(() => parseSha256Manifest(`${h}  a\n${h}  ./a\n`)).toThrow(/twice/);
    expect(() => parseSha256Manifest('abc  a\n')).toThrow(/line 1/);
    expect(() => parseSha256Manifest(`${h}  /etc/passwd\n`)).toThrow(/absolute/);
  });
});

describe('pickle signatures', () => {
  it('recognizes protocol 2-5 pickles and torch zips, not raw floats or plain zips', () => {
    expect(pickleSignature(Uint8Array.from([0x80, 0x04, 0x95, 0, 0]))).toMatch(/protocol 4/);
    expect(pickleSignature(Uint8Array.from([0x80, 0x02, 0x8a, 0x0a]))).toMatch(/protocol 2/);
    expect(pickleSignature(new Uint8Array(new Float32Array([1.5, -2]).buffer))).toBeUndefined();
    expect(pickleSignature(Uint8Array.from([0x80, 0x02, 0x00, 0x00]))).toBeUndefined();
    expect(pickleSignature(Buffer.concat([Buffer.from([0x50, 0x4b, 0x03, 0x04]), Buffer.from('x/data.pkl')]))).toMatch(/zip/);
    expect(pickleSignature(Buffer.concat([Buffer.from([0x50, 0x4b, 0x03, 0x04]), Buffer.from('readme.txt')]))).toBeUndefined();
  });
});

describe('inspectModelVersion limits', () => {
  it('refuses a tree with too many entries or too deep', async () => {
    const files: Record<string, string> = { 'config.pbtxt': '' };
    for (let i = 0; i < 30; i++) files[`1/f${i}`] = '';
    const m = await modelDir(files);
    const spec = { root: path.dirname(m), modelDir: m, version: 1, modelFile: undefined, format: undefined } as const;
    await expect(inspectModelVersion({ ...spec, scanLimits: { maxEntries: 10, maxDepth: 8 } })).rejects.toThrow(/more than 10 entries/);
    await expect(inspectModelVersion({ ...spec, scanLimits: { maxEntries: 100, maxDepth: 8 } })).resolves.toBeUndefined();
    await mkdir(path.join(m, '1', 'a', 'b', 'c'), { recursive: true });
    await expect(inspectModelVersion({ ...spec, scanLimits: { maxEntries: 100, maxDepth: 2 } })).rejects.toThrow(/nested deeper than 2/);
  });

  it('refuses FIFOs and device-like entries', async () => {
    const m = await modelDir({ 'config.pbtxt': '' });
    await mkdir(path.join(m, '1'));
    execFileSync('mkfifo', [path.join(m, '1', 'pipe')]);
    await expect(inspectModelVersion({ root: path.dirname(m), modelDir: m, version: 1, modelFile: undefined, format: undefined })).rejects.toThrow(/not a regular file/);
  });

  it('skips the folders of other versions entirely', async () => {
    const m = await modelDir({ 'config.pbtxt': '', '1/model.pt': 'pickle', '2/ok.txt': '' });
    await expect(inspectModelVersion({ root: path.dirname(m), modelDir: m, version: 2, modelFile: undefined, format: undefined })).resolves.toBeUndefined();
    await expect(inspectModelVersion({ root: path.dirname(m), modelDir: m, version: 1, modelFile: undefined, format: undefined })).rejects.toThrow(/pickle/);
  });
});

describe('linked folders', () => {
  it('walks a folder linked from the version, even another version, and does not loop', async () => {
    const m = await modelDir({ 'config.pbtxt': '', '1/model.pt': 'pickle', '3/ok.txt': '' });
    await symlink('../1', path.join(m, '3', 'old'));
    await symlink('..', path.join(m, '3', 'loop'));
    const spec = { root: path.dirname(m), modelDir: m, version: 3, modelFile: undefined, format: undefined } as const;
    await expect(inspectModelVersion(spec)).rejects.toThrow(/'3\/old\/model\.pt' is a pickle-based format/);
  });

  it('accepts a manifest that lists a file under one of the names it is reachable by', async () => {
    const m = await modelDir({ 'config.pbtxt': '', 'shared/w.txt': 'w', '1/a.txt': 'a' });
    await symlink('../shared', path.join(m, '1', 'shared'));
    const sha = (t: string): string => createHash('sha256').update(t).digest('hex');
    const spec = { root: path.dirname(m), modelDir: m, version: 1, modelFile: undefined, format: undefined } as const;
    await writeFile(path.join(m, 'sha256sums'), `${sha('')}  config.pbtxt\n${sha('w')}  shared/w.txt\n${sha('a')}  1/a.txt\n`);
    await expect(inspectModelVersion(spec)).resolves.toBeUndefined();
    await writeFile(path.join(m, 'sha256sums'), `${sha('')}  config.pbtxt\n${sha('w')}  shared/w.txt\n${sha('a')}  1/a.txt\n${sha('x')}  1/shared/w.txt\n`);
    await expect(inspectModelVersion(spec)).rejects.toThrow(/sha256 of '1\/shared\/w\.txt' does not match/);
  });
});

describe('ONNX size limit', () => {
  it('refuses a file above the limit before reading it', async () => {
    const m = await modelDir({});
    await mkdir(m, { recursive: true });
    const file = path.join(m, 'model.onnx');
    await writeFile(file, identityOnnx('FP32'));
    await expect(validateOnnxFile(file, 'model.onnx', m, { maxOnnxBytes: 16 })).rejects.toThrow(/more than the 16-byte ONNX limit/);
    await expect(validateOnnxFile(file, 'model.onnx', m)).resolves.toBeUndefined();
  });
});
