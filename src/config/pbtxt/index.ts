/** Triton config.pbtxt reading: the protobuf text format parser and its ModelConfig layer. */
export { parseModelConfig, parsePbtxt } from './parse-model-config.js';
export { PbtxtError, type TextPos } from './pbtxt-error.js';
export { parseText, type TextField, type TextValue } from './parser.js';
export { tokenize, type Token, type TokenKind } from './lexer.js';
