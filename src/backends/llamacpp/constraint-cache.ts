/**
 * Compiles sampling constraints into llama.cpp grammars once and caches them by content, so a
 * repeated JSON schema or GBNF grammar costs nothing per request. A grammar is checked by
 * creating an evaluation state, which is where llama.cpp's parser reports undefined rules.
 */
import { LlamaGrammarEvaluationState, type Llama, type LlamaGrammar, type LlamaModel } from 'node-llama-cpp';
import type { ConstraintInfo, SamplingConstraint } from '../backend.js';

/** Most compiled grammars kept; the oldest is dropped beyond this. */
const MAX_CACHED = 64;

function triggerText(trigger: unknown): string {
  if (typeof trigger === 'string') return trigger;
  if (Array.isArray(trigger)) return trigger.filter((t): t is string => typeof t === 'string').join('');
  return String(trigger);
}

/** Grammars by constraint, per model. */
export class ConstraintCache {
  private readonly grammars = new Map<string, Promise<LlamaGrammar>>();

  constructor(
    private readonly llama: Llama,
    private readonly model: LlamaModel,
  ) {}

  /** Compiles (or finds) the grammar of `constraint` and describes how it ends. */
  async prepare(constraint: SamplingConstraint): Promise<ConstraintInfo> {
    const grammar = await this.grammar(constraint);
    return {
      stop: grammar.stopGenerationTriggers.map(triggerText).filter((t) => t.length > 0),
      trimTrailingWhitespace: grammar.trimWhitespaceSuffix,
    };
  }

  /** A fresh evaluation state (one per generation) for an already prepared or new constraint. */
  async newState(constraint: SamplingConstraint): Promise<LlamaGrammarEvaluationState> {
    return new LlamaGrammarEvaluationState({ model: this.model, grammar: await this.grammar(constraint) });
  }

  private grammar(constraint: SamplingConstraint): Promise<LlamaGrammar> {
    const key = JSON.stringify(constraint);
    let grammar = this.grammars.get(key);
    if (!grammar) {
      grammar = this.compile(constraint);
      this.grammars.set(key, grammar);
      grammar.catch(() => this.grammars.delete(key));
      if (this.grammars.size > MAX_CACHED) this.grammars.delete(this.grammars.keys().next().value!);
    }
    return grammar;
  }

  private async compile(constraint: SamplingConstraint): Promise<LlamaGrammar> {
    let grammar: LlamaGrammar;
    if (constraint.kind === 'json') grammar = await this.llama.getGrammarFor('json');
    else if (constraint.kind === 'json_schema') grammar = await this.llama.createGrammarForJsonSchema(constraint.schema as never);
    else grammar = await this.llama.createGrammar({ grammar: constraint.grammar });
    // NOTE: llama.cpp parses the grammar text when a state is created; this surfaces syntax errors now.
    new LlamaGrammarEvaluationState({ model: this.model, grammar });
    return grammar;
  }
}
