/**
 * Parses what a user types after `inferd serve` / `inferd download` into one of four kinds:
 *
 * - a catalog model, optionally with a profile: `smollm2-135m-instruct`, `smollm2-135m-instruct:llamacpp-cpu-q8_0`
 * - a Hub file: `hf://owner/repo/path/file.gguf`, `hf://owner/repo@revision/file.gguf`
 * - a Hub repository with an optional quantization: `owner/repo`, `owner/repo:q4_k_m`, `hf://owner/repo@rev:q8_0`, `hf.co/owner/repo:Q4_K_M`
 * - a local file: `/abs/model.gguf`, `./model.gguf`, `models/x.gguf`, `file:///abs/model.gguf`
 *
 * Pickle checkpoints are refused here, before anything is fetched.
 */
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CatalogError } from './catalog-errors.js';
import { checkSafeFile } from './safe-formats.js';

/** A parsed model reference. */
export type ModelReference =
  | { readonly kind: 'catalog'; readonly model: string; readonly profile?: string }
  | { readonly kind: 'hub-file'; readonly repo: string; readonly revision: string; readonly path: string }
  | { readonly kind: 'hub-repo'; readonly repo: string; readonly revision: string; readonly quant?: string }
  | { readonly kind: 'local'; readonly path: string };

const SEGMENT = '[A-Za-z0-9][A-Za-z0-9._-]*';
const HUB_REPO = new RegExp(`^(${SEGMENT}/${SEGMENT})(?:@([^:/\\s]+))?(?::([A-Za-z0-9_.-]+))?$`);
const HUB_FILE = new RegExp(`^(${SEGMENT}/${SEGMENT})(?:@([^/\\s]+))?/(.+)$`);
const CATALOG = /^([a-z0-9][a-z0-9._-]*)(?::([A-Za-z0-9._-]+))?$/i;
const HUB_PREFIXES = ['hf://', 'hf.co/', 'huggingface.co/', 'https://huggingface.co/'];

function bad(ref: string, why: string): never {
  throw new CatalogError('INVALID_REFERENCE', `model reference '${ref}': ${why}`);
}

function parseHub(ref: string, rest: string): ModelReference {
  const repo = HUB_REPO.exec(rest);
  if (repo) return { kind: 'hub-repo', repo: repo[1]!, revision: repo[2] ?? 'main', quant: repo[3]?.toLowerCase() };
  const file = HUB_FILE.exec(rest);
  if (!file) return bad(ref, 'expected hf://owner/repo[@revision][/file | :quant]');
  const filePath = file[3]!;
  if (filePath.split('/').some((s) => s === '' || s === '..' || s === '.')) bad(ref, `'${filePath}' is not a plain path inside the repository`);
  checkSafeFile(filePath);
  return { kind: 'hub-file', repo: file[1]!, revision: file[2] ?? 'main', path: filePath };
}

function looksLocal(ref: string): boolean {
  return /^(\/|\.{1,2}[\\/]|~[\\/]|[A-Za-z]:[\\/])/.test(ref) || /\.(gguf|onnx|safetensors|bin|pt|pth|ckpt|pkl|pickle)$/i.test(ref);
}

/** Parses a model reference; throws CatalogError('INVALID_REFERENCE' | 'UNSAFE_FORMAT'). */
export function parseModelReference(ref: string): ModelReference {
  const text = ref.trim();
  if (!text) bad(ref, 'empty');
  if (text.startsWith('file://')) {
    const local = fileURLToPath(text);
    checkSafeFile(local);
    return { kind: 'local', path: local };
  }
  const prefix = HUB_PREFIXES.find((p) => text.toLowerCase().startsWith(p));
  if (prefix) return parseHub(ref, text.slice(prefix.length));
  if (looksLocal(text)) {
    checkSafeFile(text);
    const expanded = text.startsWith('~') ? path.join(os.homedir(), text.slice(2)) : text;
    return { kind: 'local', path: path.resolve(expanded) };
  }
  if (text.includes('/')) return parseHub(ref, text);
  const cat = CATALOG.exec(text);
  if (!cat) return bad(ref, 'expected a catalog model name, owner/repo[:quant], hf://owner/repo/file.gguf or a path to a .gguf file');
  return { kind: 'catalog', model: cat[1]!.toLowerCase(), profile: cat[2] };
}

/** The quantizations tried, in order, when `owner/repo` names no quantization. */
export const DEFAULT_QUANT_PREFERENCE: readonly string[] = ['q4_k_m', 'q4_k_s', 'q5_k_m', 'q8_0', 'q6_k', 'q4_0', 'f16', 'bf16', 'f32'];

const SPLIT = /-(\d{5})-of-(\d{5})\.gguf$/i;

/** GGUF files of a repository listing that are loadable models (no projector files, first split part only). */
function modelFiles(files: readonly string[]): string[] {
  return files.filter((f) => /\.gguf$/i.test(f) && !/mmproj/i.test(path.basename(f)) && (!SPLIT.test(f) || SPLIT.exec(f)![1] === '00001'));
}

function hasQuant(file: string, quant: string): boolean {
  const base = path.basename(file).replace(SPLIT, '').replace(/\.gguf$/i, '').toLowerCase();
  const q = quant.toLowerCase().replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`(^|[-_.])${q}([-_.]|$)`).test(base);
}

/** Picks the GGUF file of a repository for `quant` (or the default preference); undefined when none matches. */
export function pickGgufFile(files: readonly string[], quant?: string): string | undefined {
  const candidates = modelFiles(files).sort((a, b) => a.split('/').length - b.split('/').length || a.length - b.length || a.localeCompare(b));
  if (quant) return candidates.find((f) => hasQuant(f, quant));
  for (const q of DEFAULT_QUANT_PREFERENCE) {
    const hit = candidates.find((f) => hasQuant(f, q));
    if (hit) return hit;
  }
  return candidates[0];
}

/** Every part of a split GGUF (`-00001-of-00003.gguf` …) given its first part; the file alone otherwise. */
export function splitParts(file: string, files: readonly string[]): string[] {
  const m = SPLIT.exec(file);
  if (!m) return [file];
  const count = Number(m[2]);
  const stem = file.slice(0, m.index);
  const parts = Array.from({ length: count }, (_, i) => `${stem}-${String(i + 1).padStart(5, '0')}-of-${m[2]}.gguf`);
  const missing = parts.filter((p) => !files.includes(p));
  if (missing.length > 0) throw new CatalogError('NOT_FOUND', `split GGUF ${file} is missing ${missing.join(', ')}`);
  return parts;
}
