/**
 * The catalog in effect: the built-in one, with models from an optional catalog file
 * (`--catalog` / INFERD_CATALOG, JSON or YAML) added or replacing built-in models of the same name.
 */
import { readFile } from 'node:fs/promises';
import { BUILTIN_CATALOG } from './builtin-catalog.js';
import { CatalogError } from './catalog-errors.js';
import type { Catalog, CatalogModel } from './catalog-types.js';
import { parseCatalog } from './parse-catalog.js';

/** Decodes catalog text: YAML for `.yaml`/`.yml` files, JSON otherwise. */
export async function decodeCatalogText(text: string, file: string): Promise<unknown> {
  if (/\.ya?ml$/i.test(file)) {
    // NOTE: loaded lazily so JSON catalogs and the built-in one work without the yaml package.
    const yaml = await import('yaml').catch(() => {
      throw new CatalogError('INVALID_CATALOG', `${file}: reading YAML catalogs needs the 'yaml' package; install it or use JSON`);
    });
    try {
      return yaml.parse(text);
    } catch (err) {
      throw new CatalogError('INVALID_CATALOG', `${file}: ${(err as Error).message}`);
    }
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new CatalogError('INVALID_CATALOG', `${file}: ${(err as Error).message}`);
  }
}

/** Reads and validates one catalog file. */
export async function readCatalogFile(file: string): Promise<Catalog> {
  const text = await readFile(file, 'utf8').catch((err: NodeJS.ErrnoException) => {
    throw new CatalogError('INVALID_CATALOG', `cannot read catalog ${file}: ${err.code ?? err.message}`);
  });
  return parseCatalog(await decodeCatalogText(text, file), file);
}

/** The built-in catalog merged with `file` (its models win on name clashes). */
export async function loadCatalog(file?: string): Promise<Catalog> {
  if (!file) return BUILTIN_CATALOG;
  const extra = await readCatalogFile(file);
  const names = new Set(extra.models.map((m) => m.name));
  return { version: 1, models: [...BUILTIN_CATALOG.models.filter((m) => !names.has(m.name)), ...extra.models] };
}

/** The model named `name` (case-insensitive), or undefined. */
export function findModel(catalog: Catalog, name: string): CatalogModel | undefined {
  const key = name.trim().toLowerCase();
  return catalog.models.find((m) => m.name === key);
}
