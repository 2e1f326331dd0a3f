/** Options of {@link mountSessionView} (CONTRACTS 3). */
export interface SessionViewOptions {
  sessionId: string;
  /** Select and scroll to this span. */
  spanId?: string;
  /** The session is running: keep tailing. */
  live: boolean;
  /** The shell updates the hash (shareable link). */
  onSelectSpan(spanId: string | undefined): void;
}

/** What the shell can do with a mounted view. */
export interface SessionViewHandle {
  setLive(live: boolean): void;
  selectSpan(spanId: string | undefined): void;
  destroy(): void;
}

/**
 * Renders the trace of one session into `root` (charts, tree + waterfall, message log,
 * details, search). Placeholder until the trace view lands: it only says what it would show.
 */
export function mountSessionView(root: HTMLElement, options: SessionViewOptions): SessionViewHandle {
  const el = document.createElement('section');
  el.className = 'session-view';
  el.setAttribute('aria-label', 'session view');
  const text = document.createElement('p');
  el.append(text);
  root.append(el);
  let live = options.live;
  let spanId = options.spanId;
  const render = () => {
    text.textContent = `session view: ${options.sessionId}${spanId ? ` span ${spanId}` : ''}${live ? ' (live)' : ''}`;
  };
  render();
  return {
    setLive(next) {
      live = next;
      render();
    },
    selectSpan(next) {
      spanId = next;
      render();
    },
    destroy() {
      el.remove();
    },
  };
}
