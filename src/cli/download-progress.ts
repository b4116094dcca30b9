/**
 * Download progress for people and for machines: a redrawn bar on a terminal, one JSON object
 * per line otherwise (so a supervisor or CI log can follow a pull).
 */
import { formatBytes, type DownloadEvent } from '../catalog/index.js';

/** Writes each event as one JSON line: `{"event":"progress","repo":...,"bytesDone":...}`. */
export function jsonProgress(write: (line: string) => void): (e: DownloadEvent) => void {
  return (e) => {
    const { type, ...rest } = e;
    write(`${JSON.stringify({ event: type, ...rest })}\n`);
  };
}

const BAR = 30;

/** Draws a progress bar per file on `stream` (a TTY), with throughput. */
export function ttyProgress(stream: NodeJS.WriteStream): (e: DownloadEvent) => void {
  let started = Date.now();
  let startBytes = 0;
  const clear = '\r\x1b[2K';
  return (e) => {
    const name = e.path.split('/').pop()!;
    switch (e.type) {
      case 'start':
        started = Date.now();
        startBytes = e.resumeFrom;
        stream.write(`${clear}${name}: ${e.resumeFrom > 0 ? `resuming at ${formatBytes(e.resumeFrom)}` : 'starting'}`);
        return;
      case 'progress': {
        const frac = e.bytesTotal > 0 ? e.bytesDone / e.bytesTotal : 1;
        const filled = Math.round(frac * BAR);
        const secs = Math.max((Date.now() - started) / 1000, 0.001);
        const rate = formatBytes((e.bytesDone - startBytes) / secs);
        stream.write(`${clear}${name} [${'#'.repeat(filled)}${'.'.repeat(BAR - filled)}] ${(frac * 100).toFixed(0).padStart(3)}% ${formatBytes(e.bytesDone)}/${formatBytes(e.bytesTotal)} ${rate}/s`);
        return;
      }
      case 'waiting':
        stream.write(`${clear}${name}: waiting for ${e.holder}, which is downloading it\n`);
        return;
      case 'retry':
        stream.write(`${clear}${name}: retry ${e.attempt} in ${e.delayMs} ms (${e.reason})\n`);
        return;
      case 'done':
        stream.write(`${clear}${name}: downloaded ${formatBytes(e.bytesTotal)}\n`);
        return;
      case 'cached':
        stream.write(`${clear}${name}: in cache${e.bytesTotal !== undefined ? ` (${formatBytes(e.bytesTotal)})` : ''}\n`);
        return;
    }
  };
}
