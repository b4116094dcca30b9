/**
 * The shape of one generated example: a Triton model directory as relative paths and contents.
 */

/** One model directory: `config.pbtxt` text plus other files keyed by path relative to the model dir. */
export interface ExampleModel {
  readonly name: string;
  readonly configText: string;
  /** E.g. `1/model.onnx`, `labels.txt`. */
  readonly files: Readonly<Record<string, Uint8Array | string>>;
}
