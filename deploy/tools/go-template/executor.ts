/**
 * Executes parsed Go templates against data, with Helm's conventions: `include` renders a named
 * template to a string, `and`/`or` short-circuit, missing map keys print as nothing, and field
 * access on nil or on an unknown struct field is an error (as `helm template` reports it).
 */
import { formatForOutput, goTypeName, isMap, isTrue, type GoValue } from './go-values.js';
import { parseTemplate, type Command, type ControlNode, type Node, type Operand, type Pipeline } from './parser.js';

/** A template function; throw an Error to fail rendering. */
export type TemplateFunction = (...args: GoValue[]) => GoValue;

/** A rendering error, prefixed with the template name and line like Go's messages. */
export class TemplateExecError extends Error {
  override readonly name = 'TemplateExecError';
}

const STRUCT = Symbol('goStruct');

/** Marks an object as a Go struct: reading a field it lacks is an error rather than nil. */
export function goStruct<T extends object>(fields: T): T {
  Object.defineProperty(fields, STRUCT, { value: true, enumerable: false });
  return fields;
}

interface Variable {
  readonly name: string;
  value: GoValue;
}

interface State {
  readonly vars: Variable[];
  readonly template: string;
  readonly depth: number;
  line: number;
}

type Signal = 'break' | 'continue' | undefined;

const MAX_DEPTH = 200;

/** A set of named templates sharing one function map, like Helm's engine. */
export class TemplateSet {
  private readonly templates = new Map<string, readonly Node[]>();
  private readonly funcs: Record<string, TemplateFunction>;

  constructor(funcs: Record<string, TemplateFunction>) {
    this.funcs = { ...funcs, include: (name, data) => this.executeNamed(String(name), data, 0) };
  }

  /** Parses `src` as template `name`; its `define`s become available to every template in the set. */
  add(name: string, src: string): void {
    const parsed = parseTemplate(src, name);
    this.templates.set(name, parsed.root);
    for (const [defName, body] of parsed.defines) this.templates.set(defName, body);
  }

  /** True when a template or define of this name exists. */
  has(name: string): boolean {
    return this.templates.has(name);
  }

  /** Renders template `name` with `data` as dot and `$`. */
  execute(name: string, data: GoValue): string {
    return this.executeNamed(name, data, 0);
  }

  private executeNamed(name: string, data: GoValue, depth: number): string {
    const body = this.templates.get(name);
    if (!body) throw new TemplateExecError(`no template ${JSON.stringify(name)} associated with template set`);
    if (depth > MAX_DEPTH) throw new TemplateExecError(`rendering template ${JSON.stringify(name)} exceeded depth ${MAX_DEPTH}`);
    const out: string[] = [];
    const state: State = { vars: [{ name: '$', value: data }], template: name, depth, line: 0 };
    this.walk(body, data, state, out);
    return out.join('');
  }

  private fail(state: State, msg: string): never {
    throw new TemplateExecError(`template: ${state.template}:${state.line}: ${msg}`);
  }

  private walk(nodes: readonly Node[], dot: GoValue, state: State, out: string[]): Signal {
    for (const node of nodes) {
      const signal = this.walkNode(node, dot, state, out);
      if (signal) return signal;
    }
    return undefined;
  }

  private walkNode(node: Node, dot: GoValue, state: State, out: string[]): Signal {
    if (node.kind === 'text') {
      out.push(node.text);
      return undefined;
    }
    state.line = node.line;
    switch (node.kind) {
      case 'action': {
        const value = this.evalPipeline(node.pipe, dot, state);
        if (node.pipe.decl.length === 0) out.push(formatForOutput(value));
        return undefined;
      }
      case 'if':
      case 'with':
        return this.scoped(state, () => {
          const value = this.evalPipeline(node.pipe, dot, state);
          if (isTrue(value)) return this.walk(node.list, node.kind === 'with' ? value : dot, state, out);
          return node.elseList ? this.walk(node.elseList, dot, state, out) : undefined;
        });
      case 'range':
        return this.scoped(state, () => this.walkRange(node, dot, state, out));
      case 'template': {
        const data = node.pipe ? this.evalPipeline(node.pipe, dot, state) : null;
        out.push(this.executeNamed(node.name, data, state.depth + 1));
        return undefined;
      }
      case 'break':
      case 'continue':
        return node.kind;
    }
  }

  /** Variables declared inside a control structure go out of scope at its {{end}}. */
  private scoped(state: State, body: () => Signal): Signal {
    const mark = state.vars.length;
    try {
      return body();
    } finally {
      state.vars.length = mark;
    }
  }

  private walkRange(node: ControlNode, dot: GoValue, state: State, out: string[]): Signal {
    const { decl } = node.pipe;
    const value = this.evalPipeline({ ...node.pipe, decl: [] }, dot, state);
    let entries: [GoValue, GoValue][];
    if (value === null || value === undefined) entries = [];
    else if (Array.isArray(value)) entries = value.map((v, i) => [BigInt(i), v]);
    else if (isMap(value)) entries = Object.keys(value).sort().map((k) => [k, value[k]]);
    else if (typeof value === 'bigint') entries = Array.from({ length: Number(value) }, (_, i) => [BigInt(i), BigInt(i)]);
    else this.fail(state, `range can't iterate over ${formatForOutput(value)}`);
    if (entries.length === 0) return node.elseList ? this.walk(node.elseList, dot, state, out) : undefined;
    const mark = state.vars.length;
    for (const [key, elem] of entries) {
      state.vars.length = mark;
      if (decl.length === 1) state.vars.push({ name: decl[0]!, value: elem });
      if (decl.length === 2) state.vars.push({ name: decl[0]!, value: key }, { name: decl[1]!, value: elem });
      const signal = this.walk(node.list, elem, state, out);
      if (signal === 'break') break;
    }
    return undefined;
  }

  private evalPipeline(pipe: Pipeline, dot: GoValue, state: State): GoValue {
    let value: GoValue = undefined;
    let hasFinal = false;
    for (const cmd of pipe.cmds) {
      value = this.evalCommand(cmd, dot, state, hasFinal, value);
      hasFinal = true;
    }
    if (pipe.decl.length > 0) {
      const name = pipe.decl[0]!;
      if (pipe.isAssign) {
        const v = [...state.vars].reverse().find((x) => x.name === name);
        if (!v) this.fail(state, `undefined variable: ${name}`);
        v.value = value;
      } else {
        state.vars.push({ name, value });
      }
    }
    return value;
  }

  private evalCommand(cmd: Command, dot: GoValue, state: State, hasFinal: boolean, final: GoValue): GoValue {
    const [first, ...rest] = cmd.args;
    if (!first) this.fail(state, 'empty command');
    if (first.kind === 'function') {
      if (first.name === 'and' || first.name === 'or') return this.evalLogic(first.name, rest, dot, state, hasFinal, final);
      const args = rest.map((a) => this.evalOperand(a, dot, state));
      if (hasFinal) args.push(final);
      return this.call(first.name, args, state);
    }
    if (rest.length > 0 || hasFinal) this.fail(state, `can't give argument to non-function ${describe(first)}`);
    return this.evalOperand(first, dot, state);
  }

  private evalLogic(op: 'and' | 'or', operands: readonly Operand[], dot: GoValue, state: State, hasFinal: boolean, final: GoValue): GoValue {
    const thunks: (() => GoValue)[] = operands.map((o) => () => this.evalOperand(o, dot, state));
    if (hasFinal) thunks.push(() => final);
    if (thunks.length < 2) this.fail(state, `wrong number of args for ${op}: want at least 1 got ${thunks.length}`);
    let value: GoValue = undefined;
    for (const thunk of thunks) {
      value = thunk();
      if (op === 'and' ? !isTrue(value) : isTrue(value)) return value;
    }
    return value;
  }

  private call(name: string, args: GoValue[], state: State): GoValue {
    const fn = this.funcs[name];
    if (!fn) this.fail(state, `function ${JSON.stringify(name)} not defined`);
    try {
      return fn(...args);
    } catch (err) {
      if (err instanceof TemplateExecError) throw err;
      this.fail(state, `error calling ${name}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  private evalOperand(op: Operand, dot: GoValue, state: State): GoValue {
    switch (op.kind) {
      case 'dot':
        return dot;
      case 'literal':
        return op.value;
      case 'field':
        return this.fields(dot, op.names, state);
      case 'variable': {
        const v = [...state.vars].reverse().find((x) => x.name === op.name);
        if (!v) this.fail(state, `undefined variable: ${op.name}`);
        return this.fields(v.value, op.names, state);
      }
      case 'pipeline':
        return this.fields(this.evalPipeline(op.pipe, dot, state), op.names, state);
      case 'function':
        return this.call(op.name, [], state);
    }
  }

  private fields(start: GoValue, names: readonly string[], state: State): GoValue {
    let value = start;
    for (const name of names) {
      if (value === null || value === undefined) this.fail(state, `nil pointer evaluating interface {}.${name}`);
      if (!isMap(value)) this.fail(state, `can't evaluate field ${name} in type ${goTypeName(value)}`);
      if (!Object.hasOwn(value, name)) {
        if (STRUCT in value) this.fail(state, `can't evaluate field ${name} in type struct`);
        value = undefined;
        continue;
      }
      value = value[name];
    }
    return value;
  }
}

function describe(op: Operand): string {
  switch (op.kind) {
    case 'field':
      return `.${op.names.join('.')}`;
    case 'variable':
      return [op.name, ...op.names].join('.');
    case 'literal':
      return String(op.value);
    default:
      return op.kind;
  }
}
