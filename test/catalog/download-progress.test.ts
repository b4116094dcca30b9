import { describe, expect, it } from 'vitest';
import { jsonProgress, ttyProgress } from '../../src/cli/download-progress.js';

const file = { repo: 'acme/tiny-GGUF', path: 'sub/tiny-q8_0.gguf' };

describe('download progress', () => {
  it('writes one JSON object per event', () => {
    const lines: string[] = [];
    const emit = jsonProgress((l) => lines.push(l));
    emit({ ...file, type: 'progress', bytesDone: 10, bytesTotal: 40 });
    emit({ ...file, type: 'done', file: '/c/x', bytesTotal: 40, transferred: 40 });
    expect(lines.map((l) => JSON.parse(l))).toEqual([
      { event: 'progress', ...file, bytesDone: 10, bytesTotal: 40 },
      { event: 'done', ...file, file: '/c/x', bytesTotal: 40, transferred: 40 },
    ]);
    expect(lines.every((l) => l.endsWith('\n') && !l.slice(0, -1).includes('\n'))).toBe(true);
  });

  it('redraws a bar on a terminal and ends each file on its own line', () => {
    let out = '';
    const emit = ttyProgress({ write: (s: string) => ((out += s), true) } as unknown as NodeJS.WriteStream);
    emit({ ...file, type: 'start', bytesTotal: 4 * 1024 * 1024, resumeFrom: 0 });
    emit({ ...file, type: 'progress', bytesDone: 1024 * 1024, bytesTotal: 4 * 1024 * 1024 });
    const lastDraw = out.slice(out.lastIndexOf('\r'));
    expect(lastDraw.startsWith('\r\u001b[2Ktiny-q8_0.gguf [########......................]  25% 1.0 MiB/4.0 MiB ')).toBe(true);
    expect(lastDraw).toMatch(/ [\d.]+ \w+\/s$/);
    emit({ ...file, type: 'done', file: '/c/x', bytesTotal: 4 * 1024 * 1024, transferred: 4 * 1024 * 1024 });
    expect(out.endsWith('tiny-q8_0.gguf: downloaded 4.0 MiB\n')).toBe(true);
  });
});
