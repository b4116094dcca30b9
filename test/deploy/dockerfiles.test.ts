import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { arch, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkDockerfile, unpinnedReason, type DockerFinding } from '../../deploy/tools/dockerfile/check.js';
import { DockerIgnore } from '../../deploy/tools/dockerfile/dockerignore.js';
import { parseDockerfile } from '../../deploy/tools/dockerfile/parse.js';

const CPU = readFileSync('Dockerfile', 'utf8');
const CUDA = readFileSync('Dockerfile.cuda', 'utf8');

function check(text: string, contextDir = '.'): DockerFinding[] {
  return checkDockerfile(text, { contextDir });
}

function edit(text: string, from: string | RegExp, to: string): string {
  const out = text.replace(from, to);
  expect(out, `edit ${String(from)} did not apply`).not.toBe(text);
  return out;
}

function expectError(text: string, rule: string, message: RegExp, contextDir = '.'): void {
  const findings = check(text, contextDir).filter((f) => f.level === 'error');
  const summary = findings.map((f) => `${f.line} [${f.rule}] ${f.message}`).join('\n');
  expect(findings.some((f) => f.rule === rule && message.test(f.message)), `expected [${rule}] ${message}; got:\n${summary}`).toBe(true);
}

describe('the shipped Dockerfiles', () => {
  it.each([
    ['Dockerfile', CPU],
    ['Dockerfile.cuda', CUDA],
  ])('%s passes every check with no warnings', (_name, text) => {
    expect(check(text)).toEqual([]);
  });

  it('build in stages and run production dependencies as uid 1000 with a cache volume', () => {
    for (const text of [CPU, CUDA]) {
      const df = parseDockerfile(text);
      const final = df.stages.at(-1)!;
      const keywords = (k: string): string[] => final.instructions.filter((i) => i.keyword === k).map((i) => i.args);
      expect(df.stages.length).toBeGreaterThanOrEqual(3);
      expect(keywords('USER')).toEqual(['1000:1000']);
      expect(keywords('VOLUME')).toEqual(['["/var/cache/inferd"]']);
      expect(final.instructions.find((i) => i.keyword === 'ENTRYPOINT')?.exec).toEqual(['node', '/opt/inferd/dist/src/main.js']);
      expect(final.instructions.find((i) => i.keyword === 'HEALTHCHECK')?.exec?.[0]).toBe('node');
      expect(df.stages.find((s) => s.name === 'deps')!.instructions.some((i) => i.args.includes('npm ci --omit=dev'))).toBe(true);
    }
  });

  it('ship the data files the server reads from the package root (gRPC .proto files)', () => {
    const ignore = new DockerIgnore(readFileSync('.dockerignore', 'utf8'));
    for (const proto of ['src/protocols/kserve-grpc/proto/grpc_service.proto', 'src/protocols/kserve-grpc/proto/model_config.proto']) {
      if (!existsSync(proto)) continue;
      expect(ignore.ignores(proto), proto).toBe(false);
    }
    for (const text of [CPU, CUDA]) {
      const final = parseDockerfile(text).stages.at(-1)!;
      expect(final.instructions.filter((i) => i.keyword === 'COPY').map((i) => `${i.flags['from'] ?? ''} ${i.args}`)).toContain('build /app/assets/src ./src');
    }
  });

  it('the CUDA image keeps the GPU engines, the CPU image prunes them', () => {
    expect(CUDA).toMatch(/FROM nvidia\/cuda:\d+\.\d+\.\d+-cudnn-runtime-ubuntu\d+\.\d+ AS runtime/);
    expect(CUDA).toContain('ONNXRUNTIME_NODE_INSTALL=cuda12 npm ci --omit=dev');
    expect(CUDA).toContain('prune-node-modules node_modules cuda');
    expect(CPU).toContain('prune-node-modules node_modules cpu');
    const prune = readFileSync('deploy/docker/prune-node-modules.sh', 'utf8');
    expect(prune).toContain('keep="$keep linux-$arch-cuda linux-$arch-cuda-ext"');
  });
});

const nodeArch = arch() === 'x64' || arch() === 'arm64' ? arch() : undefined;
if (!nodeArch) console.warn(`SKIP prune-node-modules.sh test: no prebuilt binaries for ${arch()}`);

describe.skipIf(!nodeArch)('prune-node-modules.sh', () => {
  function prune(flavor: 'cpu' | 'cuda'): string[] {
    const dir = mkdtempSync(join(tmpdir(), 'inferd-prune-'));
    try {
      const packages = ['linux-x64', 'linux-x64-cuda', 'linux-x64-cuda-ext', 'linux-x64-vulkan', 'linux-arm64', 'linux-armv7l', 'mac-arm64-metal'];
      const ort = ['linux/x64', 'linux/arm64', 'darwin/arm64', 'win32/x64'];
      for (const p of packages) mkdirSync(join(dir, '@node-llama-cpp', p), { recursive: true });
      for (const p of ort) mkdirSync(join(dir, 'onnxruntime-node/bin/napi-v6', p), { recursive: true });
      const result = spawnSync('sh', ['deploy/docker/prune-node-modules.sh', dir, flavor], { encoding: 'utf8', timeout: 10_000 });
      expect(result.status, result.stderr).toBe(0);
      return [...packages.map((p) => `@node-llama-cpp/${p}`), ...ort.map((p) => `onnxruntime-node/bin/napi-v6/${p}`)].filter((p) => existsSync(join(dir, p)));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  it('keeps only this platform, and the CUDA builds only for the cuda flavour', () => {
    expect(prune('cpu')).toEqual([`@node-llama-cpp/linux-${nodeArch}`, `onnxruntime-node/bin/napi-v6/linux/${nodeArch}`]);
    const cuda = prune('cuda');
    expect(cuda).toContain(`onnxruntime-node/bin/napi-v6/linux/${nodeArch}`);
    const kept = nodeArch === 'x64' ? ['linux-x64', 'linux-x64-cuda', 'linux-x64-cuda-ext'] : [`linux-${String(nodeArch)}`];
    expect(cuda.filter((p) => p.startsWith('@node-llama-cpp/'))).toEqual(kept.map((p) => `@node-llama-cpp/${p}`));
  });
});

describe('deliberately broken Dockerfiles', () => {
  it('rejects floating, missing and latest base tags', () => {
    expectError(edit(CPU, 'FROM node:20.19.5-bookworm-slim AS runtime', 'FROM node:20-bookworm-slim AS runtime'), 'base-pinned', /not an exact version/);
    expectError(edit(CPU, 'FROM node:20.19.5-bookworm-slim AS runtime', 'FROM node AS runtime'), 'no-latest', /no tag/);
    expectError(edit(CPU, 'FROM node:20.19.5-bookworm-slim AS deps', 'FROM node:latest AS deps'), 'no-latest', /latest/);
    expectError(edit(CPU, 'FROM node:20.19.5-bookworm-slim AS build', 'ARG BASE\nFROM ${BASE} AS build'), 'base-pinned', /undefined ARG BASE/);
  });

  it('accepts digests and ARG defaults that resolve to a pinned image', () => {
    const digest = `node:20.19.5-bookworm-slim@sha256:${'a'.repeat(64)}`;
    expect(unpinnedReason(digest)).toBeUndefined();
    const viaArg = edit(CPU, 'FROM node:20.19.5-bookworm-slim AS build', `ARG NODE_IMAGE=${digest}\nFROM \${NODE_IMAGE} AS build`);
    expect(check(viaArg)).toEqual([]);
  });

  it('requires a numeric non-root USER in the final stage', () => {
    expectError(edit(CPU, /^USER 1000:1000$/m, ''), 'user', /never sets USER/);
    expectError(edit(CPU, /^USER 1000:1000$/m, 'USER node'), 'user', /numeric UID/);
    expectError(edit(CPU, /^USER 1000:1000$/m, 'USER 0'), 'user', /root/);
  });

  it('finds secrets in ENV, ARG and literal tokens', () => {
    const token = `hf_${'x'.repeat(34)}`;
    expectError(edit(CPU, 'ENV NODE_ENV=production', `ENV HF_TOKEN=${token} NODE_ENV=production`), 'secrets', /ENV HF_TOKEN/);
    expectError(edit(CPU, 'ENV NODE_ENV=production', `ENV HF_TOKEN=${token} NODE_ENV=production`), 'secrets', /Hugging Face token/);
    expectError(edit(CPU, 'WORKDIR /app\nENV NODE_LLAMA', 'WORKDIR /app\nARG NPM_TOKEN\nENV NODE_LLAMA'), 'secrets', /ARG NPM_TOKEN/);
    expectError(`ARG GITHUB_TOKEN\n${CPU}`, 'secrets', /ARG GITHUB_TOKEN/);
    expectError(edit(CPU, 'COPY package.json ./\n', 'COPY package.json ./\nCOPY id_rsa /home/node/.ssh/\n'), 'secrets', /credentials file/);
  });

  it('flags an .npmrc that carries registry credentials', () => {
    const dir = mkdtempSync(join(tmpdir(), 'inferd-docker-'));
    try {
      writeFileSync(join(dir, '.npmrc'), '//registry.npmjs.org/:_authToken=abc\n');
      writeFileSync(join(dir, 'package.json'), '{}');
      const text = 'FROM node:20.19.5-bookworm-slim\nCOPY package.json .npmrc ./\nUSER 1000\nHEALTHCHECK CMD ["node", "-e", "0"]\nENTRYPOINT ["node"]\n';
      expectError(text, 'secrets', /holds registry credentials/, dir);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('requires COPY sources that exist and that .dockerignore lets through', () => {
    expectError(edit(CPU, 'COPY src ./src', 'COPY srcs ./src'), 'copy-sources', /does not exist/);
    expectError(edit(CPU, 'COPY src ./src', 'COPY src ./src\nCOPY scripts ./scripts'), 'copy-sources', /excluded by .dockerignore/);
    expectError(edit(CPU, 'COPY --from=build /app/dist ./dist', 'COPY --from=builder /app/dist ./dist'), 'no-latest', /"builder" has no tag/);
    const deps = 'COPY deploy/docker/prune-node-modules.sh';
    expectError(edit(CPU, deps, `COPY --from=runtime /opt/inferd/dist ./dist\n${deps}`), 'copy-from', /later stage/);
    expectError(edit(CPU, 'COPY package.json ./\nRUN mkdir', 'COPY package.json ./\nADD https://example.com/x.tar.gz /tmp/\nRUN mkdir'), 'add-remote', /--checksum/);
  });

  it('requires a HEALTHCHECK that a slim image can run', () => {
    expectError(edit(CPU, /^HEALTHCHECK[^\n]*\\\n[^\n]*\n/m, ''), 'healthcheck', /no HEALTHCHECK/);
    expectError(edit(CPU, /^HEALTHCHECK[^\n]*\\\n[^\n]*\n/m, 'HEALTHCHECK CMD curl -fsS http://127.0.0.1:8000/v1/health/live\n'), 'healthcheck', /curl/);
  });

  it('requires exec-form entrypoints so SIGTERM reaches the server', () => {
    expectError(edit(CPU, 'ENTRYPOINT ["node", "/opt/inferd/dist/src/main.js"]', 'ENTRYPOINT node /opt/inferd/dist/src/main.js'), 'exec-form', /SIGTERM/);
  });
});

describe('Dockerfile parser', () => {
  it('joins continuations, skips comments inside them and reads heredocs', () => {
    const df = parseDockerfile('# syntax=docker/dockerfile:1.7\nFROM a:1.2.3 AS x\nRUN echo a \\\n  # note\n  && echo b\nRUN <<EOF\nset -e\necho c\nEOF\nCOPY --from=x --chown=1:1 ["a b", "/c"]\n');
    expect(df.directives).toEqual({ syntax: 'docker/dockerfile:1.7' });
    const [run1, run2, copy] = df.stages[0]!.instructions;
    expect(run1).toMatchObject({ keyword: 'RUN', args: 'echo a    && echo b', line: 3 });
    expect(run2?.heredocs).toEqual(['set -e\necho c']);
    expect(copy).toMatchObject({ flags: { from: 'x', chown: '1:1' }, exec: ['a b', '/c'], line: 10 });
  });

  it('honours the escape directive', () => {
    const df = parseDockerfile('# escape=`\nFROM a:1.2.3\nRUN a `\n  b\n');
    expect(df.stages[0]!.instructions[0]!.args).toBe('a    b');
  });
});

describe('.dockerignore', () => {
  it('applies the last matching pattern, parent directories and ** like BuildKit', () => {
    const ignore = new DockerIgnore('**\n!src/**\nsrc/**/*.test.ts\n!package.json\n');
    expect(ignore.ignores('src/core/types.ts')).toBe(false);
    expect(ignore.ignores('src/core/types.test.ts')).toBe(true);
    expect(ignore.ignores('package.json')).toBe(false);
    expect(ignore.ignores('node_modules/x/index.js')).toBe(true);
    expect(ignore.mayIncludeBelow('node_modules')).toBe(false);
    expect(ignore.mayIncludeBelow('src')).toBe(true);
    const denyList = new DockerIgnore('# comment\nnode_modules\n*.log\n!keep.log\n/dist/\n');
    expect(denyList.ignores('node_modules/a/b.js')).toBe(true);
    expect(denyList.ignores('x.log')).toBe(true);
    expect(denyList.ignores('keep.log')).toBe(false);
    expect(denyList.ignores('sub/x.log')).toBe(false);
    expect(denyList.ignores('dist/main.js')).toBe(true);
  });

  it('the project .dockerignore keeps credentials and local state out of the context', () => {
    const ignore = new DockerIgnore(readFileSync('.dockerignore', 'utf8'));
    for (const path of ['.env', '.git/config', 'node_modules/fastify/package.json', 'dist/src/main.js', 'test/e2e/x.test.ts', 'src/core/errors.test.ts']) {
      expect(ignore.ignores(path), path).toBe(true);
    }
    for (const path of ['package.json', 'package-lock.json', '.npmrc', 'src/core/types.ts', 'deploy/docker/prune-node-modules.sh']) {
      expect(ignore.ignores(path), path).toBe(false);
    }
  });
});

