/**
 * Validates built-in kinds with kubernetes-models' JSON-schema validators (the Kubernetes OpenAPI
 * schema compiled with ajv): types, formats, enums and required fields as the API server's schema
 * states them. Unknown fields are not reported here (the schema allows them); the type-shape
 * checker does that.
 */
import type { ValidateFunc } from '@kubernetes-models/validate';
import { kindKey, supportedKinds } from './kinds.js';
import type { Obj } from './manifest.js';
import type { ShapeIssue } from './type-shape-checker.js';

interface ModelClass {
  new (data: Obj): { validate(): void };
}

interface AjvStyleError extends Error {
  errors?: NonNullable<ValidateFunc<unknown>['errors']>;
}

function toDotted(pointer: string): string {
  return pointer
    .split('/')
    .slice(1)
    .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce((acc, part) => (/^\d+$/.test(part) ? `${acc}[${part}]` : acc === '' ? part : `${acc}.${part}`), '');
}

/** Runs the kubernetes-models validator for a built-in kind; CRDs and unknown kinds return no issues. */
export async function validateBuiltinSchema(doc: Obj): Promise<ShapeIssue[]> {
  const kind = supportedKinds().get(kindKey(doc));
  if (!kind?.builtin) return [];
  const mod = (await import(kind.module)) as Record<string, unknown>;
  const Model = mod[String(doc['kind'])] as ModelClass | undefined;
  if (!Model) return [{ path: 'kind', message: `kubernetes-models has no ${kindKey(doc)}` }];
  try {
    new Model(doc).validate();
    return [];
  } catch (err) {
    const errors = (err as AjvStyleError).errors;
    if (!errors) return [{ path: '(root)', message: err instanceof Error ? err.message : String(err) }];
    const seen = new Set<string>();
    const issues: ShapeIssue[] = [];
    for (const e of errors) {
      const path = toDotted(e.instancePath) || '(root)';
      const detail = e.keyword === 'enum' ? `${e.message ?? ''}: ${JSON.stringify(e.params['allowedValues'])}` : (e.message ?? e.keyword);
      const key = `${path}|${detail}`;
      if (seen.has(key)) continue;
      seen.add(key);
      issues.push({ path, message: detail });
    }
    return issues;
  }
}
