import { describe, expect, it } from 'vitest';
import { ChatTemplate } from './chat-template.js';

const tokens = { bos: '<s>', eos: '</s>' };

describe('ChatTemplate', () => {
  it('falls back to ChatML and maps developer to system', () => {
    const t = new ChatTemplate(undefined, tokens);
    expect(t.render([{ role: 'developer', content: 'be nice' }, { role: 'user', content: 'hi' }])).toBe(
      '<|im_start|>system\nbe nice<|im_end|>\n<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n',
    );
    expect(t.handlesTools).toBe(false);
  });

  it('passes OpenAI-shaped tool calls, tool results, tools and special tokens to the template', () => {
    const source =
      '{{ bos_token }}{% for m in messages %}[{{ m.role }}:{{ m.content }}' +
      '{% if m.tool_calls %}{% for c in m.tool_calls %}call {{ c.function.name }}({{ c.function.arguments.q }}){% endfor %}{% endif %}' +
      '{% if m.tool_call_id %}#{{ m.tool_call_id }}{% endif %}]{% endfor %}' +
      '{% if tools %}tools={{ tools | length }}:{{ tools[0].function.name }}{% endif %}';
    const t = new ChatTemplate(source, tokens);
    expect(t.handlesTools).toBe(true);
    const text = t.render(
      [
        { role: 'user', content: 'find' },
        { role: 'assistant', content: '', toolCalls: [{ id: 'c1', name: 'lookup', arguments: '{"q":"x"}' }] },
        { role: 'tool', content: 'done', toolCallId: 'c1' },
      ],
      [{ name: 'lookup' }],
    );
    expect(text).toBe('<s>[user:find][assistant:call lookup(x)][tool:done#c1]tools=1:lookup');
  });

  it('surfaces raise_exception as an error', () => {
    const t = new ChatTemplate("{{ raise_exception('roles must alternate') }}", tokens);
    expect(() => t.render([{ role: 'user', content: 'x' }])).toThrow(/roles must alternate/);
  });
});
