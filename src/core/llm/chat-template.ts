/**
 * Renders chat messages into a prompt with the model's Jinja chat template (from GGUF metadata
 * or a config override), as Hugging Face and llama.cpp's server do: the template receives
 * OpenAI-shaped `messages` and `tools`, `add_generation_prompt`, `bos_token` and `eos_token`.
 * Models without a template get ChatML, llama.cpp's fallback.
 */
import { Template } from '@huggingface/jinja';
import type { ChatMessage, ToolDefinition } from './types.js';

/** ChatML, used when the model has no template. */
export const CHATML_FALLBACK =
  "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}{% endfor %}" +
  "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

/** Special-token strings a template may reference. */
export interface TemplateTokens {
  readonly bos: string;
  readonly eos: string;
}

/** A compiled chat template. */
export class ChatTemplate {
  private readonly template: Template;
  /** Whether the template itself renders `tools`; otherwise the caller describes them in a system message. */
  readonly handlesTools: boolean;

  constructor(source: string | undefined, private readonly tokens: TemplateTokens) {
    const text = source ?? CHATML_FALLBACK;
    this.template = new Template(text);
    this.handlesTools = /\btools\b/.test(text);
  }

  /** The prompt text for `messages`, ending with the assistant turn's opening. Throws on template errors. */
  render(messages: readonly ChatMessage[], tools?: readonly ToolDefinition[]): string {
    return this.template.render({
      messages: messages.map(toTemplateMessage),
      ...(tools && tools.length > 0 && this.handlesTools ? { tools: tools.map(toTemplateTool) } : {}),
      add_generation_prompt: true,
      bos_token: this.tokens.bos,
      eos_token: this.tokens.eos,
    });
  }
}

function toTemplateMessage(m: ChatMessage): Record<string, unknown> {
  const role = m.role === 'developer' ? 'system' : m.role;
  return {
    role,
    content: m.content,
    ...(m.name ? { name: m.name } : {}),
    ...(m.toolCallId ? { tool_call_id: m.toolCallId } : {}),
    ...(m.toolCalls && m.toolCalls.length > 0
      ? { tool_calls: m.toolCalls.map((c) => ({ id: c.id, type: 'function', function: { name: c.name, arguments: parseArguments(c.arguments) } })) }
      : {}),
  };
}

/** Templates index into arguments as a mapping; keep the text when it is not JSON. */
function parseArguments(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function toTemplateTool(t: ToolDefinition): Record<string, unknown> {
  return {
    type: 'function',
    function: { name: t.name, ...(t.description ? { description: t.description } : {}), parameters: t.parameters ?? { type: 'object', properties: {} } },
  };
}
