/**
 * Recognizes Python pickle based model formats, which inferd refuses to load: unpickling runs
 * arbitrary code chosen by whoever wrote the file (PyTorch `torch.load`, joblib, plain pickle).
 * Files are judged by extension, and `.bin` files (used both by PyTorch checkpoints and by
 * harmless raw weight blobs) by their first bytes.
 */
import { open } from 'node:fs/promises';
import path from 'node:path';

/** Extensions that always mean a pickle (or a zip holding pickles). */
export const PICKLE_EXTENSIONS: readonly string[] = ['.pt', '.pth', '.pt2', '.pkl', '.pickle', '.ckpt', '.joblib', '.dill'];

/** Extensions whose content decides: PyTorch writes `pytorch_model.bin`, ONNX exports write raw `.bin` weights. */
const SNIFFED_EXTENSIONS: readonly string[] = ['.bin'];

/** How much of a sniffed file is read to find a zip's pickle entry. */
const SNIFF_BYTES = 64 * 1024;

const ZIP_LOCAL_HEADER = [0x50, 0x4b, 0x03, 0x04];
const PICKLE_PROTO = 0x80;
/** Opcodes that follow PROTO in real pickles: FRAME, LONG1, EMPTY_DICT, EMPTY_LIST, MARK, GLOBAL, SHORT_BINUNICODE, EMPTY_TUPLE, STACK_GLOBAL. */
const AFTER_PROTO = new Set([0x95, 0x8a, 0x7d, 0x5d, 0x28, 0x63, 0x8c, 0x29, 0x93]);

/** Why the bytes look like a pickle or a PyTorch zip archive, or undefined. */
export function pickleSignature(head: Uint8Array): string | undefined {
  if (head.length >= 3 && head[0] === PICKLE_PROTO && head[1]! >= 2 && head[1]! <= 5 && AFTER_PROTO.has(head[2]!)) {
    return `a Python pickle (protocol ${head[1]})`;
  }
  if (ZIP_LOCAL_HEADER.every((b, i) => head[i] === b) && Buffer.from(head.buffer, head.byteOffset, head.byteLength).includes('.pkl')) {
    return 'a PyTorch zip archive holding pickled data';
  }
  return undefined;
}

/**
 * Why the file at `file` (shown as `shown`) is a refused pickle format, or undefined. Only the
 * first 64 KiB of a `.bin` file are read; other files are judged by name alone.
 */
export async function pickleProblem(file: string, shown: string): Promise<string | undefined> {
  const ext = path.extname(file).toLowerCase();
  if (PICKLE_EXTENSIONS.includes(ext)) {
    return `'${shown}' is a pickle-based format (${ext}); inferd refuses pickles because loading one can run arbitrary code`;
  }
  if (!SNIFFED_EXTENSIONS.includes(ext)) return undefined;
  const handle = await open(file, 'r');
  try {
    const head = new Uint8Array(SNIFF_BYTES);
    const { bytesRead } = await handle.read(head, 0, SNIFF_BYTES, 0);
    const kind = pickleSignature(head.subarray(0, bytesRead));
    return kind ? `'${shown}' is ${kind}; inferd refuses pickles because loading one can run arbitrary code` : undefined;
  } finally {
    await handle.close();
  }
}
