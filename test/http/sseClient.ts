import { request } from 'undici';

/** One parsed SSE event. */
export interface SseMessage {
  id?: string;
  event: string;
  data: string;
}

/** A test SSE client over undici: collects events and the raw text as they arrive. */
export interface SseClient {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  events: SseMessage[];
  raw(): string;
  /** Resolves once `predicate` holds (checked on every chunk), rejects after `timeoutMs`. */
  until(predicate: () => boolean, timeoutMs?: number): Promise<void>;
  close(): void;
}

export async function openSse(url: string, headers: Record<string, string> = {}): Promise<SseClient> {
  const abort = new AbortController();
  const res = await request(url, { headers: { accept: 'text/event-stream', ...headers }, signal: abort.signal });
  const events: SseMessage[] = [];
  let raw = '';
  let buffer = '';
  const waiters = new Set<() => void>();
  const notify = () => {
    for (const w of [...waiters]) w();
  };
  res.body.setEncoding('utf8');
  res.body.on('data', (chunk: string) => {
    raw += chunk;
    buffer += chunk;
    let at: number;
    while ((at = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, at);
      buffer = buffer.slice(at + 2);
      const msg: SseMessage = { event: 'message', data: '' };
      let hasData = false;
      for (const line of block.split('\n')) {
        if (line === '' || line.startsWith(':')) continue;
        const i = line.indexOf(':');
        const field = i < 0 ? line : line.slice(0, i);
        const value = i < 0 ? '' : line.slice(i + 1).replace(/^ /, '');
        if (field === 'data') {
          msg.data += (hasData ? '\n' : '') + value;
          hasData = true;
        } else if (field === 'event') msg.event = value;
        else if (field === 'id') msg.id = value;
      }
      if (hasData) events.push(msg);
    }
    notify();
  });
  res.body.on('error', () => notify());
  res.body.on('end', () => notify());
  return {
    status: res.statusCode,
    headers: res.headers,
    events,
    raw: () => raw,
    until(predicate, timeoutMs = 5000) {
      if (predicate()) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const check = () => {
          if (!predicate()) return;
          cleanup();
          resolve();
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`SSE condition not met in ${timeoutMs} ms; got ${events.length} events`));
        }, timeoutMs);
        const cleanup = () => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
      });
    },
    close() {
      abort.abort();
      res.body.destroy();
    },
  };
}
