/** A visible time window on the waterfall's shared axis, in epoch ms. */
export interface TimeWindow {
  from: number;
  to: number;
}

/** The narrowest window zoom allows (1 µs): below it bars stop meaning anything. */
export const MIN_WINDOW_MS = 0.001;

/** The window clamped inside `bounds` (it keeps its width when it fits, else becomes `bounds`). */
export function clampWindow(w: TimeWindow, bounds: TimeWindow): TimeWindow {
  const full = Math.max(bounds.to - bounds.from, MIN_WINDOW_MS);
  const width = Math.min(Math.max(w.to - w.from, MIN_WINDOW_MS), full);
  let from = Math.max(w.from, bounds.from);
  if (from + width > bounds.from + full) from = bounds.from + full - width;
  return { from, to: from + width };
}

/**
 * Zooms by `factor` (> 1 zooms in) keeping the instant at `anchor` (0 = left edge, 1 = right
 * edge of the window) where it is on screen, then clamps inside `bounds`.
 */
export function zoomWindow(w: TimeWindow, factor: number, anchor: number, bounds: TimeWindow): TimeWindow {
  const a = Math.min(1, Math.max(0, anchor));
  const width = w.to - w.from;
  const at = w.from + width * a;
  const next = Math.max(width / factor, MIN_WINDOW_MS);
  return clampWindow({ from: at - next * a, to: at - next * a + next }, bounds);
}

/** Moves the window by `fraction` of its width (positive: later), clamped inside `bounds`. */
export function panWindow(w: TimeWindow, fraction: number, bounds: TimeWindow): TimeWindow {
  const shift = (w.to - w.from) * fraction;
  return clampWindow({ from: w.from + shift, to: w.to + shift }, bounds);
}

/**
 * Where a span's bar goes in a track `width` px wide: `x` and `w` in px, at least 1 px wide so
 * zero-length spans stay visible; `visible` false when it lies wholly outside the window.
 */
export function barGeometry(start: number, end: number, w: TimeWindow, width: number): { x: number; w: number; visible: boolean } {
  const span = w.to - w.from || MIN_WINDOW_MS;
  const visible = end >= w.from && start <= w.to;
  const x0 = ((Math.max(start, w.from) - w.from) / span) * width;
  const x1 = ((Math.min(end, w.to) - w.from) / span) * width;
  const x = Math.min(Math.max(0, x0), Math.max(0, width - 1));
  return { x, w: Math.max(1, Math.min(x1 - x0, width - x)), visible };
}

/** Formats a duration in ms for axis labels and rows: `850 µs`, `12.3 ms`, `4.05 s`, `2m 05s`. */
export function formatMs(ms: number): string {
  if (!Number.isFinite(ms)) return '-';
  const a = Math.abs(ms);
  if (a < 1) return `${Math.round(ms * 1000)} µs`;
  if (a < 100) return `${+ms.toFixed(1)} ms`;
  if (a < 1000) return `${Math.round(ms)} ms`;
  if (a < 60_000) return `${+(ms / 1000).toFixed(a < 10_000 ? 2 : 1)} s`;
  const m = Math.floor(a / 60_000);
  const s = Math.round((a % 60_000) / 1000);
  return `${ms < 0 ? '-' : ''}${m}m ${String(s).padStart(2, '0')}s`;
}

/**
 * About `count` tick instants on nice steps (1, 2, 5 × 10^k ms) inside the window, each with
 * its offset from `origin` (the session's start) as a label.
 */
export function axisTicks(w: TimeWindow, count: number, origin: number): { t: number; label: string }[] {
  const width = w.to - w.from;
  if (!(width > 0) || count < 1) return [];
  const raw = width / count;
  const pow = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * pow).find((s) => s >= raw) ?? 10 * pow;
  const out: { t: number; label: string }[] = [];
  const first = Math.ceil((w.from - origin) / step) * step + origin;
  for (let t = first, i = 0; t <= w.to && i < 1000; t = first + ++i * step) out.push({ t, label: formatMs(t - origin) });
  return out;
}
