/**
 * Parser for the Go text/template subset Helm charts use: actions with pipelines and variables,
 * if / else if / else, range (with else, break, continue), with, define, template, block.
 * Produces a small AST that the executor walks.
 */
import { lex, TemplateSyntaxError, type Token } from './lexer.js';

/** An operand of a command. */
export type Operand =
  | { readonly kind: 'field'; readonly names: readonly string[] }
  | { readonly kind: 'variable'; readonly name: string; readonly names: readonly string[] }
  | { readonly kind: 'dot' }
  | { readonly kind: 'function'; readonly name: string }
  | { readonly kind: 'pipeline'; readonly pipe: Pipeline; readonly names: readonly string[] }
  | { readonly kind: 'literal'; readonly value: string | number | bigint | boolean | null };

/** One command of a pipeline: a function call or a single value. */
export interface Command {
  readonly args: readonly Operand[];
}

/** `$a, $b := cmd | cmd` — declarations are empty for a plain pipeline. */
export interface Pipeline {
  readonly decl: readonly string[];
  readonly isAssign: boolean;
  readonly cmds: readonly Command[];
}

/** An if, with or range block with its optional else branch. */
export interface ControlNode {
  readonly kind: 'if' | 'with' | 'range';
  readonly pipe: Pipeline;
  readonly list: readonly Node[];
  readonly elseList: readonly Node[] | null;
  readonly line: number;
}

/** A node of a parsed template body. */
export type Node =
  | { readonly kind: 'text'; readonly text: string }
  | { readonly kind: 'action'; readonly pipe: Pipeline; readonly line: number }
  | ControlNode
  | { readonly kind: 'template'; readonly name: string; readonly pipe: Pipeline | null; readonly line: number }
  | { readonly kind: 'break' | 'continue'; readonly line: number };

/** A parsed file: its top-level body and every `define`d template in it. */
export interface ParsedTemplate {
  readonly root: readonly Node[];
  readonly defines: ReadonlyMap<string, readonly Node[]>;
}

type Terminator = 'end' | 'else' | 'eof';

class Parser {
  private readonly segs;
  private idx = 0;
  readonly defines = new Map<string, Node[]>();
  private rangeDepth = 0;

  constructor(
    src: string,
    private readonly name: string,
  ) {
    this.segs = lex(src, name);
  }

  fail(line: number, msg: string): never {
    throw new TemplateSyntaxError(`${this.name}:${line}: ${msg}`);
  }

  parseRoot(): ParsedTemplate {
    const { nodes, term, line } = this.parseList(true);
    if (term !== 'eof') this.fail(line, `unexpected {{${term}}}`);
    return { root: nodes, defines: this.defines };
  }

  /** Parses nodes until {{end}}, {{else ...}} or end of input; the else-tokens are returned for the caller. */
  private parseList(topLevel = false): { nodes: Node[]; term: Terminator; elseTokens: readonly Token[]; line: number } {
    const nodes: Node[] = [];
    while (this.idx < this.segs.length) {
      const seg = this.segs[this.idx++]!;
      if (seg.kind === 'text') {
        nodes.push({ kind: 'text', text: seg.text });
        continue;
      }
      const [first, ...rest] = seg.tokens;
      const keyword = first?.type === 'ident' ? first.name : '';
      switch (keyword) {
        case 'end':
          return { nodes, term: 'end', elseTokens: [], line: seg.line };
        case 'else':
          return { nodes, term: 'else', elseTokens: rest, line: seg.line };
        case 'if':
        case 'with':
        case 'range':
          nodes.push(this.parseControl(keyword, rest, seg.line));
          break;
        case 'define':
        case 'block': {
          if (!topLevel && keyword === 'define') this.fail(seg.line, 'define not at top level');
          const nameTok = rest[0];
          if (nameTok?.type !== 'string') this.fail(seg.line, `${keyword} needs a quoted name`);
          const body = this.parseList();
          if (body.term !== 'end') this.fail(seg.line, `unterminated ${keyword}`);
          this.defines.set(nameTok.value, body.nodes);
          if (keyword === 'block') nodes.push({ kind: 'template', name: nameTok.value, pipe: this.parsePipeline(rest.slice(1), seg.line), line: seg.line });
          break;
        }
        case 'template': {
          const nameTok = rest[0];
          if (nameTok?.type !== 'string') this.fail(seg.line, 'template needs a quoted name');
          nodes.push({ kind: 'template', name: nameTok.value, pipe: rest.length > 1 ? this.parsePipeline(rest.slice(1), seg.line) : null, line: seg.line });
          break;
        }
        case 'break':
        case 'continue':
          if (this.rangeDepth === 0) this.fail(seg.line, `{{${keyword}}} outside {{range}}`);
          nodes.push({ kind: keyword, line: seg.line });
          break;
        default:
          nodes.push({ kind: 'action', pipe: this.parsePipeline(seg.tokens, seg.line), line: seg.line });
      }
    }
    return { nodes, term: 'eof', elseTokens: [], line: this.segs.at(-1)?.line ?? 1 };
  }

  private parseControl(kind: 'if' | 'with' | 'range', tokens: readonly Token[], line: number): Node {
    const pipe = this.parsePipeline(tokens, line, kind === 'range');
    if (kind === 'range') this.rangeDepth++;
    const body = this.parseList();
    if (kind === 'range') this.rangeDepth--;
    let elseList: Node[] | null = null;
    if (body.term === 'else') {
      const [chained, ...chainRest] = body.elseTokens;
      if (chained?.type === 'ident' && (chained.name === 'if' || chained.name === 'with')) {
        // `{{else if x}}` is sugar for `{{else}}{{if x}}...{{end}}` sharing the outer {{end}}.
        elseList = [this.parseControl(chained.name, chainRest, body.line)];
      } else {
        if (body.elseTokens.length > 0) this.fail(body.line, 'unexpected tokens after else');
        const alt = this.parseList();
        if (alt.term !== 'end') this.fail(line, `unterminated ${kind}`);
        elseList = alt.nodes;
      }
    } else if (body.term !== 'end') {
      this.fail(line, `unterminated ${kind}`);
    }
    return { kind, pipe, list: body.nodes, elseList, line };
  }

  parsePipeline(tokens: readonly Token[], line: number, allowTwoVars = false): Pipeline {
    let pos = 0;
    const decl: string[] = [];
    let isAssign = false;
    const declEnd = tokens.findIndex((t) => t.type === 'declare' || t.type === 'assign');
    if (declEnd > 0 && tokens.slice(0, declEnd).every((t) => t.type === 'variable' || t.type === 'comma')) {
      for (const t of tokens.slice(0, declEnd)) if (t.type === 'variable') decl.push(t.name);
      if (decl.length > (allowTwoVars ? 2 : 1)) this.fail(line, 'too many declarations');
      isAssign = tokens[declEnd]!.type === 'assign';
      pos = declEnd + 1;
    }
    const { pipe, next } = this.parseCommands(tokens, pos, line, false);
    if (next !== tokens.length) this.fail(line, 'unexpected tokens in pipeline');
    if (pipe.length === 0) this.fail(line, 'missing value for command');
    return { decl, isAssign, cmds: pipe };
  }

  private parseCommands(tokens: readonly Token[], start: number, line: number, inParens: boolean): { pipe: Command[]; next: number } {
    const cmds: Command[] = [];
    let args: Operand[] = [];
    let i = start;
    while (i < tokens.length) {
      const t = tokens[i]!;
      if (t.type === 'rparen') {
        if (!inParens) this.fail(line, 'unexpected )');
        break;
      }
      if (t.type === 'pipe') {
        if (args.length === 0) this.fail(line, 'missing command before |');
        cmds.push({ args });
        args = [];
        i++;
        continue;
      }
      const { operand, next } = this.parseOperand(tokens, i, line);
      args.push(operand);
      i = next;
    }
    if (args.length > 0) cmds.push({ args });
    return { pipe: cmds, next: i };
  }

  private parseOperand(tokens: readonly Token[], i: number, line: number): { operand: Operand; next: number } {
    const t = tokens[i]!;
    switch (t.type) {
      case 'field':
        return { operand: { kind: 'field', names: t.names }, next: i + 1 };
      case 'variable':
        return { operand: { kind: 'variable', name: t.name, names: t.names }, next: i + 1 };
      case 'dot':
        return { operand: { kind: 'dot' }, next: i + 1 };
      case 'string':
      case 'number':
        return { operand: { kind: 'literal', value: t.value }, next: i + 1 };
      case 'ident':
        if (t.name === 'true' || t.name === 'false') return { operand: { kind: 'literal', value: t.name === 'true' }, next: i + 1 };
        if (t.name === 'nil') return { operand: { kind: 'literal', value: null }, next: i + 1 };
        return { operand: { kind: 'function', name: t.name }, next: i + 1 };
      case 'lparen': {
        const { pipe, next } = this.parseCommands(tokens, i + 1, line, true);
        if (tokens[next]?.type !== 'rparen') this.fail(line, 'unclosed (');
        if (pipe.length === 0) this.fail(line, 'empty parenthesized pipeline');
        const after = tokens[next + 1];
        const names = after?.type === 'field' && after.adjacent ? after.names : [];
        return { operand: { kind: 'pipeline', pipe: { decl: [], isAssign: false, cmds: pipe }, names }, next: next + (names.length > 0 ? 2 : 1) };
      }
      default:
        return this.fail(line, `unexpected ${t.type} in operand`);
    }
  }
}

/** Parses one template file; `name` is used in error messages. */
export function parseTemplate(src: string, name: string): ParsedTemplate {
  return new Parser(src, name).parseRoot();
}
