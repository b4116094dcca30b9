/**
 * Checks a manifest's shape against the TypeScript type of its kind, using the TypeScript compiler's
 * type checker on kubernetes-models' declarations (and ./crd-types.ts for custom resources).
 * Kubernetes' OpenAPI schemas allow unknown fields, so a misspelled `replicass` or `imagee` passes
 * JSON-schema validation and is silently dropped by the API server; this walk reports every field
 * the type does not declare, every missing required field, and scalars of the wrong kind.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { kindKey, supportedKinds } from './kinds.js';
import { isObj, type Obj } from './manifest.js';

/** A shape problem at a dotted path. */
export interface ShapeIssue {
  readonly path: string;
  readonly message: string;
}

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOTS_FILE = join(HERE, '__kind_roots__.ts');

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return row[b.length]!;
}

/** Compiles the kind registry once and checks manifests against it. Creating one costs about a second. */
export class TypeShapeChecker {
  private static instance: TypeShapeChecker | undefined;

  private constructor(
    private readonly checker: ts.TypeChecker,
    private readonly roots: ReadonlyMap<string, ts.Type>,
  ) {}

  /** The shared checker (the TypeScript program is built on first use). */
  static get(): TypeShapeChecker {
    TypeShapeChecker.instance ??= TypeShapeChecker.build();
    return TypeShapeChecker.instance;
  }

  private static build(): TypeShapeChecker {
    const kinds = [...supportedKinds()];
    const source = kinds.map(([, k], i) => `export type Root${i} = import('${k.module}').${k.typeName};`).join('\n');
    const options: ts.CompilerOptions = {
      strict: true,
      noEmit: true,
      skipLibCheck: true,
      types: [],
      lib: ['lib.es5.d.ts'],
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
    };
    const host = ts.createCompilerHost(options);
    const getSourceFile = host.getSourceFile.bind(host);
    const fileExists = host.fileExists.bind(host);
    const readFile = host.readFile.bind(host);
    host.getSourceFile = (name, version, ...rest) => (name === ROOTS_FILE ? ts.createSourceFile(name, source, version, true) : getSourceFile(name, version, ...rest));
    host.fileExists = (name) => name === ROOTS_FILE || fileExists(name);
    host.readFile = (name) => (name === ROOTS_FILE ? source : readFile(name));
    const program = ts.createProgram([ROOTS_FILE], options, host);
    const diagnostics = ts.getPreEmitDiagnostics(program);
    if (diagnostics.length > 0) {
      const text = diagnostics.map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n')).join('\n');
      throw new Error(`cannot load Kubernetes types:\n${text}`);
    }
    const checker = program.getTypeChecker();
    const file = program.getSourceFile(ROOTS_FILE)!;
    const roots = new Map<string, ts.Type>();
    file.statements.forEach((stmt, i) => {
      if (ts.isTypeAliasDeclaration(stmt)) roots.set(kinds[i]![0], checker.getTypeAtLocation(stmt));
    });
    return new TypeShapeChecker(checker, roots);
  }

  /** True when the manifest's apiVersion/kind has a type. */
  knows(doc: Obj): boolean {
    return this.roots.has(kindKey(doc));
  }

  /** Every shape issue of a manifest; unknown kinds yield one issue. */
  check(doc: Obj): ShapeIssue[] {
    const root = this.roots.get(kindKey(doc));
    if (!root) return [{ path: 'apiVersion', message: `no type for ${kindKey(doc)}; add it to deploy/tools/k8s/kinds.ts` }];
    const issues: ShapeIssue[] = [];
    this.walk(doc, root, '', issues);
    return issues;
  }

  private walk(value: unknown, declared: ts.Type, path: string, issues: ShapeIssue[]): void {
    if (value === null || value === undefined) return;
    const type = this.checker.getNonNullableType(declared);
    if (type.flags & (ts.TypeFlags.Any | ts.TypeFlags.Unknown)) return;
    const members = type.isUnion() ? type.types : [type];
    const here = path === '' ? '(root)' : path;
    if (Array.isArray(value)) {
      const arrayType = members.find((m) => this.checker.isArrayType(m));
      if (!arrayType) {
        issues.push({ path: here, message: `expected ${this.checker.typeToString(type)}, found a list` });
        return;
      }
      const elem = this.checker.getTypeArguments(arrayType as ts.TypeReference)[0];
      if (elem) value.forEach((v, i) => this.walk(v, elem, `${path}[${i}]`, issues));
      return;
    }
    if (isObj(value)) {
      const objects = members.filter((m) => (m.flags & ts.TypeFlags.Object || m.isIntersection()) && !this.checker.isArrayType(m));
      if (objects.length === 0) {
        issues.push({ path: here, message: `expected ${this.checker.typeToString(type)}, found a map` });
        return;
      }
      this.walkObject(value, objects, path, issues);
      return;
    }
    this.checkScalar(value, members, type, here, issues);
  }

  private walkObject(value: Obj, objects: readonly ts.Type[], path: string, issues: ShapeIssue[]): void {
    for (const [key, child] of Object.entries(value)) {
      const childPath = path === '' ? key : `${path}.${key}`;
      const prop = objects.map((o) => this.checker.getPropertyOfType(o, key)).find((p) => p !== undefined);
      if (prop) {
        this.walk(child, this.checker.getTypeOfSymbol(prop), childPath, issues);
        continue;
      }
      const index = objects.map((o) => this.checker.getIndexTypeOfType(o, ts.IndexKind.String)).find((t) => t !== undefined);
      if (index) {
        this.walk(child, index, childPath, issues);
        continue;
      }
      const known = objects.flatMap((o) => this.checker.getPropertiesOfType(o).map((p) => p.name));
      const near = known.filter((k) => editDistance(k.toLowerCase(), key.toLowerCase()) <= 2);
      issues.push({ path: childPath, message: `unknown field "${key}"${near.length > 0 ? ` (did you mean "${near.join('", "')}"?)` : ''}` });
    }
    if (objects.length === 1) {
      for (const prop of this.checker.getPropertiesOfType(objects[0]!)) {
        if (!(prop.flags & ts.SymbolFlags.Optional) && !(prop.name in value)) {
          issues.push({ path: path === '' ? prop.name : `${path}.${prop.name}`, message: `missing required field "${prop.name}"` });
        }
      }
    }
  }

  private checkScalar(value: unknown, members: readonly ts.Type[], type: ts.Type, path: string, issues: ShapeIssue[]): void {
    const want = (flag: ts.TypeFlags): ts.Type[] => members.filter((m) => m.flags & flag);
    const mismatch = (): void => {
      // NOTE: spell out literal unions; typeToString would print an alias name such as KServeProtocol.
      const expected = type.isUnion() ? members.map((m) => this.checker.typeToString(m)).join(' | ') : this.checker.typeToString(type);
      issues.push({ path, message: `expected ${expected}, found ${JSON.stringify(value)}` });
    };
    if (typeof value === 'string') {
      if (want(ts.TypeFlags.String).length > 0) return;
      const literals = want(ts.TypeFlags.StringLiteral).map((m) => (m as ts.StringLiteralType).value);
      if (!literals.includes(value)) mismatch();
    } else if (typeof value === 'number') {
      if (want(ts.TypeFlags.Number).length > 0) return;
      const literals = want(ts.TypeFlags.NumberLiteral).map((m) => (m as ts.NumberLiteralType).value);
      if (!literals.includes(value)) mismatch();
    } else if (typeof value === 'boolean') {
      if (want(ts.TypeFlags.Boolean | ts.TypeFlags.BooleanLiteral).length === 0) mismatch();
    } else {
      mismatch();
    }
  }
}
