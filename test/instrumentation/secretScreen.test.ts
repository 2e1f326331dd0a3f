import { describe, expect, it } from 'vitest';
import { createRedactor } from '../../src/instrumentation/redaction.js';
import { DEFAULT_VALUES, mayMatchDefaultValue } from '../../src/instrumentation/secretScreen.js';

type Rand = () => number;

/** mulberry32: a small seeded generator, so a failure names a reproducible case. */
function seeded(seed: number): Rand {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const UPPER = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const LOWER = 'abcdefghijklmnopqrstuvwxyz';
const DIGITS = '0123456789';
const ALNUM = UPPER + LOWER + DIGITS;
const URL_SAFE = `${ALNUM}_-`;
const BEARER_CHARS = `${ALNUM}-._~+/`;

const pick = <T,>(r: Rand, items: readonly T[]): T => items[Math.floor(r() * items.length)]!;
const chars = (r: Rand, alphabet: string, n: number): string => Array.from({ length: n }, () => alphabet[Math.floor(r() * alphabet.length)]).join('');
/** Lengths on both sides of each pattern's minimum. */
const around = (r: Rand, min: number): number => pick(r, [min - 1, min, min + 1, min + 20]);

const WHITESPACE = [' ', '  ', '\t', '\n', '\r\n', '\f', '\v', '\u00a0', '\u2028', '\u3000', '\ufeff', ''];
const fragments: Array<(r: Rand) => string> = [
  (r) => pick(r, ['Bearer', 'bearer', 'BEARER', 'Basic', 'basic', 'BASIC', 'Token', 'token', 'TOKEN', 'bEARER', 'Bearer:', 'xBearer']) + pick(r, WHITESPACE) + pick(r, ['', ' ']) + chars(r, BEARER_CHARS, around(r, 8)) + pick(r, ['', '==', '"']),
  (r) =>
    pick(r, ['?', '&', '?', '&', '#', '']) +
    pick(r, ['access_token', 'token', 'id_token', '_token', 'ACCESS_TOKEN', 'TOKEN', 'api_key', 'apikey', 'API_KEY', 'APIKEY', 'key', 'KEY', 'secret', 'SECRET', 'password', 'PASSWORD', 'sig', 'signature', 'Token', 'ACCESS_token', 'page', 'tokens', 'keys', 'x-token', 'sort']) +
    pick(r, ['=', '=', '=', '==', ' =', '']) +
    pick(r, [chars(r, ALNUM, 1 + Math.floor(r() * 10)), '', '&x', '"', "'", ' ', '#', '\\', '/', 'é', '\t']),
  (r) => pick(r, ['sk-', 'sk-', 'sk_', 'SK-', 'sk--', 'xsk-', 'ask-']) + chars(r, URL_SAFE, around(r, 16)),
  (r) => pick(r, ['ghp_', 'gho_', 'ghu_', 'ghs_', 'ghr_', 'ghx_', 'gh_', 'GHP_', 'aghp_']) + chars(r, ALNUM, around(r, 30)),
  (r) => pick(r, ['github_pat_', 'github_pat_', 'github-pat_', 'github_pat', 'Github_pat_']) + chars(r, `${ALNUM}_`, around(r, 30)),
  (r) => pick(r, ['AKIA', 'AKIA', 'AKIa', 'AKI', 'xAKIA']) + chars(r, UPPER + DIGITS, around(r, 16)) + pick(r, ['', ' ', 'a', '_', '\n', '-']),
  (r) => `xox${pick(r, [...'abprsz'])}${pick(r, ['-', '-', '_'])}${chars(r, `${ALNUM}-`, around(r, 10))}`,
  (r) => `${pick(r, ['eyJ', 'eyJ', 'eyj', 'ey'])}${chars(r, URL_SAFE, around(r, 8))}.${chars(r, URL_SAFE, around(r, 8))}${pick(r, ['.', '.', '', '..'])}${chars(r, URL_SAFE, around(r, 8))}`,
  (r) => {
    const kind = pick(r, ['RSA ', 'EC ', '', 'OPENSSH ']);
    const end = pick(r, ['PRIVATE KEY', 'PRIVATE KEY', 'PUBLIC KEY']);
    return `-----BEGIN ${kind}${pick(r, ['PRIVATE KEY', 'PRIVATE KEY', 'PRIVATE  KEY', 'PUBLIC KEY'])}-----${pick(r, ['\n', '', '\r\n'])}${chars(r, `${ALNUM}+/`, 20)}\n-----END ${kind}${end}-----`;
  },
];
const fillers: Array<(r: Rand) => string> = [
  (r) => 'x'.repeat(Math.floor(r() * 40)),
  (r) => pick(r, ['the basic idea', 'a token of thanks', 'ask-me', 'github', 'eye', 'skill', 'keys and secrets', 'pass=word']),
  (r) => chars(r, `${ALNUM}+/`, 1 + Math.floor(r() * 30)),
  (r) => pick(r, ['é', '😀', '中文', '\u0000', '\\u0041', '\\', '"', '/', '\\"', '\u2028']),
  (r) => pick(r, ['https://ex.test/a?b=c&d=e', 'https://ex.test/p?page=2&sort=asc', '{"k":"v"}', 'a=b&c=d']),
];
const separators = ['', '', ' ', '\n', '\t', '"', '\\', '/', '.', ',', '=', '&', '?', '-', '_', 'é', '\u00a0'];

/** A real match, a near miss or filler; sometimes with a character slipped in, which may split an anchor. */
function fragment(r: Rand): string {
  const text = r() < 0.7 ? pick(r, fragments)(r) : pick(r, fillers)(r);
  if (r() >= 0.15) return text;
  const at = Math.floor(r() * (text.length + 1));
  return text.slice(0, at) + pick(r, ['', ' ', 'x', '\\', '-', '\u00e9']) + text.slice(at);
}

function generated(seed: number, count: number): string[] {
  const r = seeded(seed);
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    const parts = Array.from({ length: 1 + Math.floor(r() * 5) }, () => fragment(r));
    let s = parts.join(pick(r, separators));
    if (r() < 0.1) s = s.toUpperCase();
    out.push(s);
  }
  return out;
}

const patterns = DEFAULT_VALUES.map((re) => new RegExp(re.source, re.flags.replace('g', '')));
const matchingPatterns = (s: string): number[] => patterns.flatMap((re, i) => (re.test(s) ? [i] : []));

/** The JSON texts a peer may send for a string: as JSON.stringify writes it, and with `/` escaped. */
const jsonTexts = (s: string): string[] => [JSON.stringify({ text: s }), JSON.stringify([1, s]).replaceAll('/', '\\/')];

/** Strings some default pattern matches but `screen` says false for (itself or as JSON text without `\u`). */
function misses(screen: (text: string) => boolean, strings: readonly string[]): string[] {
  return strings.filter((s) => matchingPatterns(s).length > 0 && (!screen(s) || jsonTexts(s).some((t) => !t.includes('\\u') && !screen(t))));
}

describe('mayMatchDefaultValue', () => {
  const strings = generated(0x5eed, 12_000);

  it('is true for every generated string a default pattern matches, alone or as JSON text', () => {
    expect(misses(mayMatchDefaultValue, strings).slice(0, 5)).toEqual([]);
  });

  it('is true for the examples each pattern documents', () => {
    const examples = [
      'Authorization: Bearer abcdefgh12345678',
      'header Basic dXNlcjpwYXNz',
      'Token abcdefghijklmnop',
      'call it with Bearer eyJhbGciOi.payload-part.sig and go',
      'Bearer\tabcdefghijklmnop',
      'https://api.test/v1?user=ada&access_token=abcdef&x=1',
      'https://api.test/v1?api_key=k1&sig=abc',
      'sk-abcdefghijklmnopqrstuvwxyz',
      'ghp_abcdefghijklmnopqrstuvwxyz0123456789',
      'github_pat_abcdefghijklmnopqrstuvwxyz0123456789',
      'AKIAABCDEFGHIJKLMNOP',
      'xoxb-1234567890-abc',
      'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U',
      '-----BEGIN RSA PRIVATE KEY-----\nMIIE\n-----END RSA PRIVATE KEY-----',
    ];
    for (const s of examples) {
      expect(matchingPatterns(s), s).not.toEqual([]);
      expect(misses(mayMatchDefaultValue, [s]), s).toEqual([]);
    }
  });

  it('has a generator that makes true positives of every pattern, near misses, and would catch a blind screen', () => {
    const perPattern = patterns.map(() => 0);
    for (const s of strings) for (const i of matchingPatterns(s)) perPattern[i]!++;
    for (const [i, count] of perPattern.entries()) expect(count, String(DEFAULT_VALUES[i])).toBeGreaterThanOrEqual(50);
    // Short strings (screened by one regex) and long texts (by anchors) both.
    const matched = strings.filter((s) => matchingPatterns(s).length > 0);
    expect(matched.filter((s) => s.length < 50).length).toBeGreaterThanOrEqual(500);
    expect(matched.filter((s) => s.length > 200).length).toBeGreaterThanOrEqual(200);
    // A screen blind to any one pattern's anchor fails the check above.
    const anchors = [/[Bb]earer|BEARER|[Bb]asic|BASIC|Token/g, /[?&]/g, /sk-/g, /gh[pousr]_|github_pat_/g, /AKIA/g, /xox/g, /eyJ/g, /-----BEGIN [A-Z ]*PRIVATE KEY/g];
    expect(anchors.length).toBe(patterns.length);
    for (const anchor of anchors) {
      const blind = (text: string): boolean => mayMatchDefaultValue(text.replace(anchor, ' '));
      expect(misses(blind, strings).length, String(anchor)).toBeGreaterThan(0);
    }
    // So does the alternation regex this screen replaced: it missed a bearer token after an escaped tab.
    const previous = /(?:[Bb]earer|BEARER|[Bb]asic|BASIC|Token)\s|[?&][\w.-]*(?:token|TOKEN|key|KEY|secret|SECRET|password|PASSWORD|sig)|sk-|gh[pousr]_|github_pat_|AKIA|xox[abprs]-|eyJ|PRIVATE KEY/;
    expect(misses((text) => previous.test(text), strings).length).toBeGreaterThan(0);
    // And the screen is no `() => true`: many strings with no match are screened out.
    const cleared = strings.filter((s) => matchingPatterns(s).length === 0 && !mayMatchDefaultValue(s)).length;
    expect(cleared).toBeGreaterThanOrEqual(500);
  });

  it('says false for plain texts: x\'s, prose, base64, JSON with URLs', () => {
    const r = seeded(7);
    const texts = [
      'x'.repeat(2000),
      'The quick brown fox jumps over the lazy dog while the committee debates whether a simple approach would serve. '.repeat(18),
      chars(r, `${ALNUM}+/`, 2000),
      JSON.stringify(Array.from({ length: 30 }, (_, i) => ({ id: i, item_name: `item_${i}`, url: `https://ex.test/p/${i}?page=${i}&sort=asc&q=x-y` }))),
    ];
    for (const t of texts) expect(mayMatchDefaultValue(t), t.slice(0, 40)).toBe(false);
  });
});

describe('createRedactor with the default screen', () => {
  const redactor = createRedactor();

  it('redacts every generated secret through the text path (needsRedaction, then redactJson)', () => {
    const leaked = generated(0xc0ffee, 1500).filter((s) => {
      if (matchingPatterns(s).length === 0) return false;
      const value = { params: { text: s } };
      const text = JSON.stringify(value);
      return !redactor.needsRedaction(value, text) || redactor.redactJson(text, value) === text;
    });
    expect(leaked.slice(0, 5)).toEqual([]);
  });

  it('sees a bearer token after a tab or newline, which JSON text writes as an escape', () => {
    for (const gap of ['\t', '\n', '\r\n']) {
      const value = { headers: { note: `Bearer${gap}abcdefghijklmnop` } };
      const text = JSON.stringify(value);
      expect(redactor.needsRedaction(value, text)).toBe(true);
      expect(JSON.parse(redactor.redactJson(text, value))).toEqual({ headers: { note: `Bearer${gap}[REDACTED]` } });
      expect(redactor.redactJson(text)).not.toContain('abcdefghijklmnop');
    }
  });
});
