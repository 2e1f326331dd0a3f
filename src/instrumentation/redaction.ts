import { z } from 'zod';
import { InspectorError } from '../core/errors.js';
import { DEFAULT_VALUES, mayMatchDefaultValue } from './secretScreen.js';

/** What gets redacted before a span reaches disk (DESIGN section 4). Every field is optional. */
export interface RedactionOptions {
  /** Default true; false records payloads exactly as seen. */
  enabled?: boolean;
  /** Extra key patterns (a string is compiled case-insensitive): string values under a matching key are replaced. */
  keyPatterns?: ReadonlyArray<RegExp | string>;
  /** Extra value patterns: every match inside any string value is replaced. */
  valuePatterns?: ReadonlyArray<RegExp | string>;
  /** Extra keys never redacted even when they match (built in: `progressToken`, `nextCursor`, `cursor`). */
  allowKeys?: readonly string[];
  /** Default false; true drops the built-in key and value patterns, keeping only the given ones. */
  replaceDefaults?: boolean;
  /** What a secret becomes; default `[REDACTED]`. */
  replacement?: string;
}

/** Redacts secrets from parsed JSON values and from JSON text. Never throws. */
export interface Redactor {
  readonly enabled: boolean;
  /** Screen of JSON text alone (no parse): false means there is certainly nothing to redact. */
  mayContainSecret(text: string): boolean;
  /**
   * The cheap check for a parsed value and, when known, its JSON text: walks the keys and
   * scans the text once. False means there is certainly nothing to redact.
   */
  needsRedaction(value: unknown, text?: string): boolean;
  /** A redacted copy of a JSON value; the very same reference when nothing was redacted. */
  redactValue<T>(value: T): T;
  /** Redacted JSON text; `text` itself when nothing was redacted. `parsed` saves a parse when known. */
  redactJson(text: string, parsed?: unknown): string;
}

const KEY_FRAGMENTS = 'authori[sz]ation|token|secret|passw(?:or)?d|passphrase|api[-_]?key|private[-_]?key|access[-_]?key|cookie|credential';
const DEFAULT_KEY = new RegExp(KEY_FRAGMENTS, 'i');
// A superset of what the key defaults match; mayMatchDefaultValue screens for the value defaults.
const DEFAULT_TEXT_SCREEN = new RegExp(`${KEY_FRAGMENTS}|\\\\u`, 'i');
const KEY_CACHE_LIMIT = 2_000;
const BUILTIN_ALLOW = ['progressToken', 'nextCursor', 'cursor'];
const MAX_DEPTH = 64;
const JSON_KEY = /"((?:[^"\\]|\\.){0,256})"\s*:/g;

const PatternSchema = z.union([z.instanceof(RegExp), z.string().min(1)]);
const OptionsSchema = z
  .object({
    enabled: z.boolean().optional(),
    keyPatterns: z.array(PatternSchema).optional(),
    valuePatterns: z.array(PatternSchema).optional(),
    allowKeys: z.array(z.string()).optional(),
    replaceDefaults: z.boolean().optional(),
    replacement: z.string().optional(),
  })
  .strict();

/** Compiles a pattern; strings are case-insensitive, `global` decides the g flag (never sticky). */
function compile(pattern: RegExp | string, global: boolean): RegExp {
  try {
    const base = typeof pattern === 'string' ? 'i' : pattern.flags.replace(/[gy]/g, '');
    return new RegExp(typeof pattern === 'string' ? pattern : pattern.source, global ? `${base}g` : base);
  } catch (err) {
    throw new InspectorError('INVALID_ARGUMENT', `invalid redaction pattern ${String(pattern)}: ${(err as Error).message}`);
  }
}

/**
 * Builds a redactor. Defaults: on; keys like *authorization*, *token*, *secret*, *password*,
 * *api_key*, *cookie*, *credential* have their string values (and every string beneath them)
 * replaced, except `progressToken`/`cursor`/`nextCursor`; bearer/basic credentials, URL query
 * secrets, common API key formats, JWTs and PEM private keys are replaced inside any string.
 * Numbers and booleans are never redacted (so `maxTokens: 100` stays). Throws INVALID_ARGUMENT
 * for malformed options.
 */
export function createRedactor(options: RedactionOptions = {}): Redactor {
  const parsed = OptionsSchema.safeParse(options);
  if (!parsed.success) throw new InspectorError('INVALID_ARGUMENT', `invalid redaction options: ${z.prettifyError(parsed.error)}`);
  const enabled = options.enabled ?? true;
  const replacement = options.replacement ?? '[REDACTED]';
  const extraKeys = (options.keyPatterns ?? []).map((p) => compile(p, false));
  const keyPatterns = options.replaceDefaults ? extraKeys : [DEFAULT_KEY, ...extraKeys];
  const extraValues = (options.valuePatterns ?? []).map((p) => compile(p, true));
  const valuePatterns = options.replaceDefaults ? extraValues : [...DEFAULT_VALUES, ...extraValues];
  const allow = new Set([...BUILTIN_ALLOW, ...(options.allowKeys ?? [])]);
  // Screens are predicates: false means certainly no match. A user's pattern screens for itself.
  type Screen = (text: string) => boolean;
  const screenOf = (r: RegExp): Screen => {
    const re = new RegExp(r.source, r.flags.replace('g', ''));
    return (text) => re.test(text);
  };
  const valueScreens: Screen[] = [...(options.replaceDefaults ? [] : [mayMatchDefaultValue]), ...extraValues.map(screenOf)];
  const textScreens: Screen[] = [...(options.replaceDefaults ? [] : [screenOf(DEFAULT_TEXT_SCREEN)]), ...extraKeys.map(screenOf), ...valueScreens];
  const anyMatch = (screens: Screen[], text: string): boolean => {
    for (const screen of screens) if (screen(text)) return true;
    return false;
  };
  // Extra key patterns may be anchored (`^ssn$`), so they are tested against each key in the text.
  const keyScreen = (text: string): boolean => {
    for (const m of text.matchAll(JSON_KEY)) if (extraKeys.some((re) => re.test(m[1]!))) return true;
    return false;
  };
  const screenText = (text: string): boolean => anyMatch(textScreens, text) || (extraKeys.length > 0 && keyScreen(text));
  const valueScreen = valueScreens.length > 0 ? { test: (text: string) => anyMatch(valueScreens, text) } : undefined;

  const keyCache = new Map<string, boolean>();
  const isSecretKey = (key: string): boolean => {
    let hit = keyCache.get(key);
    if (hit === undefined) {
      hit = !allow.has(key) && keyPatterns.some((re) => re.test(key));
      if (keyCache.size < KEY_CACHE_LIMIT) keyCache.set(key, hit);
    }
    return hit;
  };
  /** True when some non-allowed secret-named key holds a string or a structure. */
  const hasSecretKey = (value: unknown, depth: number): boolean => {
    if (value === null || typeof value !== 'object') return false;
    if (depth >= MAX_DEPTH) return true;
    if (Array.isArray(value)) return value.some((v) => hasSecretKey(v, depth + 1));
    for (const key in value) {
      const v = (value as Record<string, unknown>)[key];
      if ((typeof v === 'string' || (v !== null && typeof v === 'object')) && isSecretKey(key)) return true;
      if (hasSecretKey(v, depth + 1)) return true;
    }
    return false;
  };
  const hasSecretString = (value: unknown, depth: number): boolean => {
    if (typeof value === 'string') return valueScreen !== undefined && valueScreen.test(value);
    if (value === null || typeof value !== 'object') return false;
    if (depth >= MAX_DEPTH) return true;
    for (const v of Array.isArray(value) ? value : Object.values(value)) if (hasSecretString(v, depth + 1)) return true;
    return false;
  };
  const needsRedaction = (value: unknown, text?: string): boolean => {
    if (!enabled) return false;
    if (hasSecretKey(value, 0)) return true;
    if (valueScreen === undefined) return false;
    // One scan of the text is cheapest; a `\u` escape could hide a value from it, so then look at the strings.
    if (text !== undefined && !text.includes('\\u')) return valueScreen.test(text);
    return hasSecretString(value, 0);
  };
  const redactString = (s: string): string => {
    if (!valueScreen || !valueScreen.test(s)) return s;
    let out = s;
    for (const re of valuePatterns) out = out.replace(re, () => replacement);
    return out;
  };
  const walk = (value: unknown, force: boolean, depth: number): unknown => {
    if (typeof value === 'string') return force ? (value === '' ? value : replacement) : redactString(value);
    if (value === null || typeof value !== 'object') return value;
    if (depth >= MAX_DEPTH) return replacement;
    if (Array.isArray(value)) {
      let out: unknown[] | undefined;
      for (let i = 0; i < value.length; i++) {
        const r = walk(value[i], force, depth + 1);
        if (r !== value[i]) (out ??= value.slice())[i] = r;
      }
      return out ?? value;
    }
    let out: Record<string, unknown> | undefined;
    const obj = value as Record<string, unknown>;
    for (const key of Object.keys(obj)) {
      const v = obj[key];
      const r = walk(v, force || isSecretKey(key), depth + 1);
      if (r !== v) (out ??= { ...obj })[key] = r;
    }
    return out ?? value;
  };
  const textKey = new RegExp(`("[^"\\\\]{0,128}(?:${keyPatterns.map((r) => r.source).join('|') || '(?!)'})[^"\\\\]{0,128}"\\s*:\\s*)"(?:[^"\\\\]|\\\\.)*"`, 'gi');

  return {
    enabled,
    mayContainSecret: (text) => enabled && screenText(text),
    needsRedaction,
    redactValue<T>(value: T): T {
      if (!enabled) return value;
      try {
        return walk(value, false, 0) as T;
      } catch {
        return replacement as T;
      }
    },
    redactJson(text, parsedValue) {
      if (!enabled) return text;
      if (parsedValue === undefined ? !screenText(text) : !needsRedaction(parsedValue, text)) return text;
      try {
        const value = parsedValue === undefined ? JSON.parse(text) : parsedValue;
        const red = walk(value, false, 0);
        return red === value ? text : JSON.stringify(red);
      } catch {
        // Not JSON (a malformed line): redact what can be recognised in the text itself.
        return redactString(text.replace(textKey, (m, key: string) =>
          allow.has(key.slice(1, key.indexOf('"', 1))) ? m : `${key}${JSON.stringify(replacement)}`,
        ));
      }
    },
  };
}
