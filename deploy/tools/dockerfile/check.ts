/**
 * Static Dockerfile checks for a project that cannot run a Docker engine in CI: base images pinned
 * to an exact version or digest (never `latest`), a numeric non-root USER in the final stage (so
 * Kubernetes can enforce runAsNonRoot), no secrets in ENV/ARG/copied files, COPY sources that exist
 * in the build context after .dockerignore (or in an earlier stage), a HEALTHCHECK that works in a
 * slim image, and exec-form entrypoints so SIGTERM reaches the server.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join, posix } from 'node:path';
import { DockerIgnore } from './dockerignore.js';
import { parseDockerfile, type Instruction, type Stage } from './parse.js';

/** One problem with its Dockerfile line. */
export interface DockerFinding {
  readonly level: 'error' | 'warning';
  readonly rule: string;
  readonly line: number;
  readonly message: string;
}

/** Where the build context is (the directory `docker build` is given). */
export interface DockerCheckOptions {
  readonly contextDir: string;
}

const SECRET_NAME = /(^|_)(TOKEN|SECRET|PASSWORD|PASSWD|API_?KEY|ACCESS_?KEY|PRIVATE_?KEY|CREDENTIALS?)($|_)/i;
const SECRET_VALUES: readonly [RegExp, string][] = [
  [/\bhf_[A-Za-z0-9]{30,}/, 'Hugging Face token'],
  [/\bgh[pousr]_[A-Za-z0-9]{36}/, 'GitHub token'],
  [/\bgithub_pat_[A-Za-z0-9_]{40,}/, 'GitHub token'],
  [/\bAKIA[0-9A-Z]{16}\b/, 'AWS access key'],
  [/\bnpm_[A-Za-z0-9]{36}\b/, 'npm token'],
  [/\bsk-[A-Za-z0-9_-]{32,}/, 'API secret key'],
  [/-----BEGIN [A-Z ]*PRIVATE KEY-----/, 'private key'],
];
const SECRET_FILES = /^(\.env(\..+)?|id_(rsa|dsa|ecdsa|ed25519)|.+\.(pem|key|p12|pfx)|\.netrc|\.git-credentials|credentials(\.json)?)$/;
const NPMRC_AUTH = /(_authToken|_auth|_password)\s*=/;
const EXACT_VERSION = /\d+\.\d+\.\d+/;
const MAX_WALK = 20_000;

/** Splits `repo[:tag][@digest]` into its parts. */
export function parseImageRef(ref: string): { name: string; tag: string | undefined; digest: string | undefined } {
  const [withTag = '', digest] = ref.split('@');
  const slash = withTag.lastIndexOf('/');
  const colon = withTag.lastIndexOf(':');
  if (colon > slash) return { name: withTag.slice(0, colon), tag: withTag.slice(colon + 1), digest };
  return { name: withTag, tag: undefined, digest };
}

/** Why an image reference is not pinned, or undefined when it is (exact version tag or sha256 digest). */
export function unpinnedReason(ref: string): string | undefined {
  const { tag, digest } = parseImageRef(ref);
  if (digest !== undefined) return /^sha256:[a-f0-9]{64}$/.test(digest) ? undefined : `"${ref}" has a malformed digest`;
  if (tag === undefined) return `"${ref}" has no tag, which means latest`;
  if (tag === 'latest') return `"${ref}" uses the latest tag`;
  if (!EXACT_VERSION.test(tag)) return `"${ref}" tag "${tag}" is not an exact version (major.minor.patch)`;
  return undefined;
}

function substitute(value: string, vars: ReadonlyMap<string, string>): { value: string; unresolved: string[] } {
  const unresolved: string[] = [];
  const out = value.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)(?::?-([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g, (_m, braced: string | undefined, dflt: string | undefined, bare: string | undefined) => {
    const name = (braced ?? bare)!;
    const v = vars.get(name) ?? dflt;
    if (v === undefined) unresolved.push(name);
    return v ?? '';
  });
  return { value: out, unresolved };
}

/** `KEY=value` pairs of ENV/ARG (legacy `ENV KEY value` too). */
function keyValues(ins: Instruction): [string, string | undefined][] {
  if (ins.keyword === 'ENV' && !/^\S+=/.test(ins.args)) {
    const [key = '', ...rest] = ins.args.split(/\s+/);
    return [[key, rest.join(' ')]];
  }
  return [...ins.args.matchAll(/([A-Za-z_][A-Za-z0-9_.-]*)(?:=("(?:[^"\\]|\\.)*"|'[^']*'|\S*))?/g)].map((m) => [m[1]!, m[2]?.replace(/^["']|["']$/g, '')]);
}

function sourcesOf(ins: Instruction): string[] {
  const parts = ins.exec ? [...ins.exec] : ins.args.split(/\s+/).filter((p) => p !== '');
  return parts.slice(0, -1).filter((p) => !p.startsWith('<<'));
}

class DockerfileChecker {
  readonly findings: DockerFinding[] = [];
  private readonly ignore: DockerIgnore;
  private readonly stages: readonly Stage[];
  private readonly globals = new Map<string, string>();

  constructor(
    private readonly text: string,
    private readonly contextDir: string,
  ) {
    const ignorePath = join(contextDir, '.dockerignore');
    this.ignore = new DockerIgnore(existsSync(ignorePath) ? readFileSync(ignorePath, 'utf8') : '');
    const df = parseDockerfile(text);
    this.stages = df.stages;
    for (const ins of df.globalArgs) {
      for (const [k, v] of keyValues(ins)) {
        if (v !== undefined) this.globals.set(k, v);
        if (SECRET_NAME.test(k)) this.add('error', 'secrets', ins.line, `ARG ${k}: build arguments are recorded in the image history; use RUN --mount=type=secret`);
      }
    }
  }

  private add(level: DockerFinding['level'], rule: string, line: number, message: string): void {
    this.findings.push({ level, rule, line, message });
  }

  run(): DockerFinding[] {
    if (this.stages.length === 0) {
      this.add('error', 'syntax', 1, 'no FROM instruction');
      return this.findings;
    }
    this.checkLiteralSecrets();
    this.stages.forEach((stage) => this.checkStage(stage));
    this.checkFinalStage(this.stages.at(-1)!);
    return this.findings.sort((a, b) => a.line - b.line);
  }

  private checkImageRef(ref: string, line: number, earlierStages: ReadonlySet<string>): void {
    const { value, unresolved } = substitute(ref, this.globals);
    if (unresolved.length > 0) return this.add('error', 'base-pinned', line, `image "${ref}" uses undefined ARG ${unresolved.join(', ')}`);
    if (value === 'scratch' || earlierStages.has(value)) return undefined;
    const reason = unpinnedReason(value);
    const { tag, digest } = parseImageRef(value);
    if (reason) this.add('error', digest === undefined && (tag === undefined || tag === 'latest') ? 'no-latest' : 'base-pinned', line, reason);
    return undefined;
  }

  private checkLiteralSecrets(): void {
    this.text.split('\n').forEach((line, i) => {
      for (const [re, what] of SECRET_VALUES) if (re.test(line)) this.add('error', 'secrets', i + 1, `looks like a ${what}: never bake credentials into an image`);
    });
  }

  private checkStage(stage: Stage): void {
    const earlier = new Set(this.stages.slice(0, stage.index).flatMap((s) => [s.name ?? '', String(s.index)]).filter((n) => n !== ''));
    this.checkImageRef(stage.base, stage.from.line, earlier);
    const vars = new Map(this.globals);
    for (const ins of stage.instructions) {
      if (ins.keyword === 'ARG' || ins.keyword === 'ENV') {
        for (const [key, value] of keyValues(ins)) {
          if (value !== undefined) vars.set(key, value);
          if (!SECRET_NAME.test(key)) continue;
          if (ins.keyword === 'ARG') this.add('error', 'secrets', ins.line, `ARG ${key}: build arguments are recorded in the image history; use RUN --mount=type=secret`);
          else if (value) this.add('error', 'secrets', ins.line, `ENV ${key} bakes a credential into the image; pass it at run time`);
        }
      }
      if (ins.keyword === 'COPY' || ins.keyword === 'ADD') this.checkCopy(ins, vars, earlier);
      if (ins.keyword === 'RUN') {
        const from = /(?:^|,)from=([^,\s]+)/.exec(ins.flags['mount'] ?? '')?.[1];
        if (from) this.checkImageRef(from, ins.line, earlier);
        if (/apt-get\s+(-\S+\s+)*install/.test(ins.args) && !ins.args.includes('--no-install-recommends')) {
          this.add('warning', 'apt', ins.line, 'apt-get install without --no-install-recommends pulls in unneeded packages');
        }
      }
      if (ins.keyword === 'WORKDIR' && !ins.args.startsWith('/') && !ins.args.startsWith('$')) this.add('warning', 'workdir', ins.line, 'use an absolute WORKDIR');
    }
  }

  private checkCopy(ins: Instruction, vars: ReadonlyMap<string, string>, earlier: ReadonlySet<string>): void {
    const from = ins.flags['from'];
    for (const raw of sourcesOf(ins)) {
      const { value: src, unresolved } = substitute(raw, vars);
      if (unresolved.length > 0) {
        this.add('error', 'copy-sources', ins.line, `source "${raw}" uses undefined ${unresolved.join(', ')}`);
        continue;
      }
      if (SECRET_FILES.test(basename(src))) this.add('error', 'secrets', ins.line, `copies "${src}", which looks like a credentials file`);
      if (from !== undefined) {
        this.checkStageSource(from, src, ins, earlier);
        continue;
      }
      if (/^https?:\/\//.test(src)) {
        if (ins.keyword === 'COPY') this.add('error', 'copy-sources', ins.line, 'COPY cannot fetch URLs');
        else if (ins.flags['checksum'] === undefined) this.add('error', 'add-remote', ins.line, `ADD ${src} without --checksum is not reproducible`);
        continue;
      }
      this.checkContextSource(src, ins.line);
    }
  }

  private checkStageSource(from: string, src: string, ins: Instruction, earlier: ReadonlySet<string>): void {
    if (!earlier.has(from)) {
      if (this.stages.some((s) => s.name === from)) this.add('error', 'copy-from', ins.line, `--from=${from} refers to a later stage`);
      else this.checkImageRef(from, ins.line, earlier);
      return;
    }
    const source = this.stages.find((s) => s.name === from || String(s.index) === from)!;
    const workdir = source.instructions.filter((i) => i.keyword === 'WORKDIR').at(-1)?.args ?? '/';
    const abs = posix.resolve(workdir, src);
    const produced = source.instructions
      .filter((i) => i.keyword === 'WORKDIR' || i.keyword === 'COPY' || i.keyword === 'ADD')
      .map((i) => posix.resolve(workdir, i.keyword === 'WORKDIR' ? i.args : (i.exec?.at(-1) ?? i.args.split(/\s+/).at(-1) ?? '/')));
    if (source.instructions.length > 0 && !produced.some((dir) => abs === dir || abs.startsWith(`${dir.replace(/\/$/, '')}/`))) {
      this.add('warning', 'copy-from', ins.line, `cannot tell that stage "${from}" creates ${abs}`);
    }
  }

  private checkContextSource(src: string, line: number): void {
    const rel = posix.normalize(src.replace(/^\.?\/+/, '')).replace(/\/$/, '') || '.';
    if (rel.startsWith('..')) return this.add('error', 'copy-sources', line, `"${src}" is outside the build context`);
    if (/[*?[]/.test(rel)) {
      if (!this.anyIncluded('.', (p) => globToRegex(rel).test(p))) this.add('error', 'copy-sources', line, `"${src}" matches no file in the build context`);
      return undefined;
    }
    const full = join(this.contextDir, rel);
    if (!existsSync(full)) return this.add('error', 'copy-sources', line, `"${src}" does not exist in the build context`);
    const included = statSync(full).isDirectory() ? this.anyIncluded(rel, () => true) : !this.ignore.ignores(rel);
    if (!included) this.add('error', 'copy-sources', line, `"${src}" is excluded by .dockerignore, so the build cannot see it`);
    if (basename(rel) === '.npmrc' && NPMRC_AUTH.test(readFileSync(full, 'utf8'))) this.add('error', 'secrets', line, `"${src}" holds registry credentials`);
    return undefined;
  }

  /** Walks a context directory for a file that .dockerignore keeps and `accept` likes. */
  private anyIncluded(dir: string, accept: (rel: string) => boolean): boolean {
    let budget = MAX_WALK;
    const walk = (rel: string): boolean => {
      for (const entry of readdirSync(join(this.contextDir, rel), { withFileTypes: true })) {
        if (--budget < 0) return false;
        const child = rel === '.' ? entry.name : `${rel}/${entry.name}`;
        const ignored = this.ignore.ignores(child);
        if (entry.isDirectory()) {
          if (ignored && !this.ignore.mayIncludeBelow(child)) continue;
          if (walk(child)) return true;
        } else if (!ignored && accept(child)) {
          return true;
        }
      }
      return false;
    };
    return walk(dir);
  }

  private checkFinalStage(stage: Stage): void {
    const find = (keyword: string): Instruction | undefined => stage.instructions.filter((i) => i.keyword === keyword).at(-1);
    const user = find('USER');
    if (!user) this.add('error', 'user', stage.from.line, 'the final stage never sets USER, so the container runs as root');
    else {
      const [uid = ''] = user.args.split(':');
      if (!/^\d+$/.test(uid)) this.add('error', 'user', user.line, `USER ${user.args}: use a numeric UID so Kubernetes can verify runAsNonRoot`);
      else if (Number(uid) === 0) this.add('error', 'user', user.line, 'USER 0 is root');
    }
    const health = find('HEALTHCHECK');
    if (!health || /^NONE\b/i.test(health.args)) this.add('error', 'healthcheck', health?.line ?? stage.from.line, 'the final stage has no HEALTHCHECK');
    else {
      const tool = /\b(curl|wget)\b/.exec(health.args)?.[1];
      const installs = stage.instructions.some((i) => i.keyword === 'RUN' && tool !== undefined && new RegExp(`install[^&;|]*\\b${tool}\\b`).test(i.args));
      if (tool && !installs) this.add('error', 'healthcheck', health.line, `HEALTHCHECK uses ${tool}, which slim base images do not ship`);
    }
    for (const keyword of ['ENTRYPOINT', 'CMD']) {
      const ins = find(keyword);
      if (ins && !ins.exec && !(keyword === 'CMD' && find('ENTRYPOINT')?.exec)) this.add('error', 'exec-form', ins.line, `${keyword} in shell form runs under /bin/sh, which does not forward SIGTERM to the server`);
    }
    for (const ins of stage.instructions) {
      if (ins.keyword === 'RUN' && /\bnpm\s+(ci|install)\b/.test(ins.args) && !/--omit[= ]dev|--production/.test(ins.args)) {
        this.add('warning', 'dev-dependencies', ins.line, 'npm install in the final stage without --omit=dev ships dev dependencies');
      }
    }
  }
}

function globToRegex(glob: string): RegExp {
  const re = glob.replace(/[.+^${}()|\\]/g, '\\$&').replace(/\*\*/g, '\0').replace(/\*/g, '[^/]*').replace(/\?/g, '[^/]').replace(/\0/g, '.*');
  return new RegExp(`^${re}(/.*)?$`);
}

/** Checks one Dockerfile's text against its build context. */
export function checkDockerfile(text: string, options: DockerCheckOptions): DockerFinding[] {
  return new DockerfileChecker(text, options.contextDir).run();
}
