/**
 * The baseline of bench/kserve-http: a bare Node `http` server that answers each configured path
 * with fixed response bytes (captured from inferd), reading the request body but doing no work.
 * Usage: bare-server.ts PORT PATH=FILE [PATH=FILE ...]
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';

const [portText, ...routes] = process.argv.slice(2);
const replies = new Map<string, Buffer>();
for (const r of routes) {
  const at = r.indexOf('=');
  replies.set(r.slice(0, at), readFileSync(r.slice(at + 1)));
}

createServer((req, res) => {
  const reply = replies.get(req.url ?? '');
  req.on('data', () => undefined);
  req.on('end', () => {
    if (req.url === '/v2/health/ready') {
      res.writeHead(200, { 'content-length': 0 }).end();
      return;
    }
    if (!reply) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': reply.length }).end(reply);
  });
}).listen(Number(portText), '127.0.0.1');
