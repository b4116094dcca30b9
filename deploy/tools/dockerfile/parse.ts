/**
 * A Dockerfile parser covering what BuildKit's frontend accepts in practice: parser directives
 * (`# syntax=`, `# escape=`), line continuations, comments inside continuations, heredocs
 * (`RUN <<EOF`), `--flag=value` options, exec (JSON) and shell forms, and build stages.
 */

/** One instruction with its 1-based starting line. */
export interface Instruction {
  readonly keyword: string;
  /** Arguments after the keyword and its flags, continuation lines joined with a space. */
  readonly args: string;
  readonly flags: Readonly<Record<string, string>>;
  /** The JSON array of an exec-form instruction (for HEALTHCHECK, of its CMD), else undefined. */
  readonly exec: readonly string[] | undefined;
  readonly heredocs: readonly string[];
  readonly line: number;
}

/** A build stage: its FROM and the instructions up to the next FROM. */
export interface Stage {
  readonly index: number;
  readonly name: string | undefined;
  /** Image reference or earlier stage name, as written (ARGs not yet substituted). */
  readonly base: string;
  readonly from: Instruction;
  readonly instructions: readonly Instruction[];
}

/** A parsed Dockerfile. */
export interface Dockerfile {
  readonly directives: Readonly<Record<string, string>>;
  /** ARG instructions before the first FROM (usable in FROM lines). */
  readonly globalArgs: readonly Instruction[];
  readonly stages: readonly Stage[];
}

const FLAGGED = new Set(['FROM', 'COPY', 'ADD', 'RUN', 'HEALTHCHECK']);

function splitFlags(keyword: string, rest: string): { flags: Record<string, string>; args: string } {
  const flags: Record<string, string> = {};
  if (!FLAGGED.has(keyword)) return { flags, args: rest };
  let args = rest;
  for (;;) {
    const m = /^--([a-z-]+)(?:=(\S*))?\s*/.exec(args);
    if (!m) break;
    const name = m[1]!;
    flags[name] = flags[name] === undefined ? (m[2] ?? '') : `${flags[name]} ${m[2] ?? ''}`;
    args = args.slice(m[0].length);
  }
  return { flags, args };
}

function parseExec(args: string): string[] | undefined {
  if (!args.trimStart().startsWith('[')) return undefined;
  try {
    const value: unknown = JSON.parse(args);
    return Array.isArray(value) && value.every((v) => typeof v === 'string') ? value : undefined;
  } catch {
    return undefined;
  }
}

/** Parses Dockerfile text; throws on a heredoc without its terminator. */
export function parseDockerfile(text: string): Dockerfile {
  const lines = text.replace(/\r\n/g, '\n').split('\n');
  const directives: Record<string, string> = {};
  let i = 0;
  for (; i < lines.length; i++) {
    const m = /^#\s*([a-zA-Z]+)\s*=\s*(.+?)\s*$/.exec(lines[i]!);
    if (!m) break;
    directives[m[1]!.toLowerCase()] = m[2]!;
  }
  const escape = directives['escape'] === '`' ? '`' : '\\';
  const instructions: Instruction[] = [];
  while (i < lines.length) {
    const first = lines[i]!;
    if (/^\s*(#|$)/.test(first)) {
      i++;
      continue;
    }
    const startLine = i + 1;
    let joined = '';
    let current = first;
    for (;;) {
      const trimmed = current.replace(/\s+$/, '');
      if (trimmed.endsWith(escape)) {
        joined += `${trimmed.slice(0, -1)} `;
        i++;
        while (i < lines.length && /^\s*#/.test(lines[i]!)) i++;
        if (i >= lines.length) break;
        current = lines[i]!;
        continue;
      }
      joined += current;
      i++;
      break;
    }
    const m = /^\s*([A-Za-z]+)\s*(.*)$/.exec(joined);
    if (!m) continue;
    const keyword = m[1]!.toUpperCase();
    const { flags, args } = splitFlags(keyword, m[2]!.trim());
    const heredocs: string[] = [];
    for (const h of args.matchAll(/<<-?(["']?)([A-Za-z_][A-Za-z0-9_]*)\1/g)) {
      const terminator = h[2]!;
      const body: string[] = [];
      while (i < lines.length && lines[i]!.replace(/^\t+/, '') !== terminator) body.push(lines[i++]!);
      if (i >= lines.length) throw new Error(`line ${startLine}: heredoc ${terminator} is not terminated`);
      i++;
      heredocs.push(body.join('\n'));
    }
    const execArgs = keyword === 'HEALTHCHECK' ? args.replace(/^CMD\s+/i, '') : args;
    instructions.push({ keyword, args, flags, exec: parseExec(execArgs), heredocs, line: startLine });
  }
  const globalArgs: Instruction[] = [];
  const stages: Stage[] = [];
  let stage: { from: Instruction; list: Instruction[] } | undefined;
  const close = (): void => {
    if (!stage) return;
    const parts = stage.from.args.split(/\s+/);
    const asIndex = parts.findIndex((p) => p.toUpperCase() === 'AS');
    stages.push({ index: stages.length, name: asIndex > 0 ? parts[asIndex + 1] : undefined, base: parts[0] ?? '', from: stage.from, instructions: stage.list });
  };
  for (const ins of instructions) {
    if (ins.keyword === 'FROM') {
      close();
      stage = { from: ins, list: [] };
    } else if (stage) {
      stage.list.push(ins);
    } else if (ins.keyword === 'ARG') {
      globalArgs.push(ins);
    } else {
      throw new Error(`line ${ins.line}: ${ins.keyword} before the first FROM`);
    }
  }
  close();
  return { directives, globalArgs, stages };
}
