/**
 * A tiny seeded PRNG (mulberry32) so generated model weights (examples, test GGUF and ONNX
 * models) are identical on every machine and tests can regenerate them.
 */

/** Returns a generator of uniform floats in [0, 1) fully determined by `seed`. */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `length` float32 values uniform in [-scale, scale), drawn from `next`. */
export function uniformFloat32(next: () => number, length: number, scale: number): Float32Array {
  const out = new Float32Array(length);
  for (let i = 0; i < length; i++) out[i] = (next() * 2 - 1) * scale;
  return out;
}
