/** One Server-Sent Event. */
export interface SseEvent {
  /** `event:` field; undefined means the default type `message`. */
  event: string | undefined;
  data: string;
  id: string | undefined;
}

/** An incremental text/event-stream parser (WHATWG rules: LF, CR or CRLF line ends, comments, multi-line data). */
export interface SseParser {
  /** Feeds decoded text; calls the handler for each complete event. */
  push(text: string): void;
  /** The last `id:` seen (for Last-Event-ID). */
  readonly lastEventId: string | undefined;
  /** The last valid `retry:` (reconnection time in ms, ASCII digits only), undefined if none. */
  readonly retryMs: number | undefined;
}

/** Creates a parser that calls `onEvent` for every event with data. */
export function createSseParser(onEvent: (event: SseEvent) => void): SseParser {
  let buffer = '';
  let data: string[] = [];
  let eventType: string | undefined;
  let lastEventId: string | undefined;
  let retryMs: number | undefined;
  let pendingCr = false;
  let first = true;

  const line = (l: string): void => {
    if (l === '') {
      if (data.length > 0) onEvent({ event: eventType, data: data.join('\n'), id: lastEventId });
      data = [];
      eventType = undefined;
      return;
    }
    if (l.startsWith(':')) return;
    const colon = l.indexOf(':');
    const field = colon === -1 ? l : l.slice(0, colon);
    let value = colon === -1 ? '' : l.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') data.push(value);
    else if (field === 'event') eventType = value;
    else if (field === 'id' && !value.includes('\0')) lastEventId = value;
    else if (field === 'retry' && /^[0-9]+$/.test(value)) retryMs = Number(value);
  };

  return {
    push(text: string): void {
      if (first && text.length > 0) {
        first = false;
        if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
      }
      if (pendingCr && text.startsWith('\n')) text = text.slice(1);
      pendingCr = false;
      buffer += text;
      let start = 0;
      for (let i = 0; i < buffer.length; i++) {
        const c = buffer.charCodeAt(i);
        if (c !== 10 && c !== 13) continue;
        line(buffer.slice(start, i));
        if (c === 13) {
          if (i + 1 === buffer.length) pendingCr = true;
          else if (buffer.charCodeAt(i + 1) === 10) i++;
        }
        start = i + 1;
      }
      buffer = buffer.slice(start);
    },
    get lastEventId(): string | undefined {
      return lastEventId;
    },
    get retryMs(): number | undefined {
      return retryMs;
    },
  };
}
