/**
 * Which weight formats inferd will fetch and load. Pickle-based checkpoints can run arbitrary
 * code when unpickled, so they are refused by name before any byte is downloaded.
 */
import path from 'node:path';
import { CatalogError } from './catalog-errors.js';

/** Extensions of pickle-based checkpoints, refused everywhere. */
export const UNSAFE_EXTENSIONS: readonly string[] = ['.bin', '.pt', '.pth', '.ckpt', '.pkl', '.pickle'];

/** Extensions of weight formats that load without running code. */
export const SAFE_WEIGHT_EXTENSIONS: readonly string[] = ['.gguf', '.onnx', '.safetensors'];

/** Throws CatalogError('UNSAFE_FORMAT') when `file` is a pickle-based checkpoint. */
export function checkSafeFile(file: string): void {
  const ext = path.extname(file).toLowerCase();
  if (UNSAFE_EXTENSIONS.includes(ext)) {
    throw new CatalogError(
      'UNSAFE_FORMAT',
      `${file}: ${ext} checkpoints are pickle files that can run code when loaded; inferd only loads ${SAFE_WEIGHT_EXTENSIONS.join(', ')}. Convert the model (e.g. to GGUF with llama.cpp's convert_hf_to_gguf.py).`,
    );
  }
}
