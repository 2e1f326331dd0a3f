/**
 * The screen in front of the built-in value patterns of redaction.ts. One alternation regex over
 * the whole text cost 3.5-8 µs per 2 KB whatever the text (the regex engine steps through every
 * character): the largest item in bench "instrumentTransport recording to a trace file". Here
 * most patterns have an anchor found with `indexOf`, which V8 runs as memchr over a flat string,
 * checked at the found position with char tests and then a sticky regex, the search going on past
 * a false hit. Anchors are characters rare in prose, base64 and JSON (`= - _ J`) or words (`AKIA`);
 * common letter pairs (`gh`, `ey`, `sk`) would stop the search every few characters. The
 * `Bearer`/`Basic`/`Token` words stay one small regex: its alternatives are long enough for
 * the engine to skip ahead, which measured faster than anchoring on `b`, `B` and `T`. Bench
 * "secret screen per 2 KB JSON text" measures it beside the old regex.
 */

/**
 * The built-in value patterns (global): each match inside a string value is replaced. They run on
 * strings only where the screen below says true. Case variants are spelled out instead of using
 * the i flag: a case-sensitive scan is faster (bench "recorder hot path per request/response pair").
 */
export const DEFAULT_VALUES: readonly RegExp[] = [
  /(?<=\b(?:[Bb]earer|BEARER|[Bb]asic|BASIC|Token)\s+)[A-Za-z0-9\-._~+/]{8,}=*/g,
  /(?<=[?&](?:[a-z_]*token|api_?key|apikey|key|secret|password|sig|signature|[A-Z_]*TOKEN|API_?KEY|KEY|SECRET|PASSWORD)=)[^&#\s"']+/g,
  /\bsk-[A-Za-z0-9_-]{16,}/g,
  /\b(?:gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{30,})/g,
  /\bAKIA[0-9A-Z]{16}\b/g,
  /\bxox[abprs]-[A-Za-z0-9-]{10,}/g,
  /\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/g,
  /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----/g,
];

/**
 * Below this length one regex beats the anchor searches' fixed cost (about 100 ns): the
 * redactor screens each string value it walks, and most are short (method names, ids, paths).
 */
const SHORT = 96;
/** A superset of every default pattern (the screen this module replaced, seeing escaped whitespace too). */
const SHORT_SCREEN = /(?:[Bb]earer|BEARER|[Bb]asic|BASIC|Token)[\s\\]|[?&][\w.-]*(?:token|TOKEN|key|KEY|secret|SECRET|password|PASSWORD|sig)|sk-|gh[pousr]_|github_pat_|AKIA|xox[abprs]-|eyJ|PRIVATE KEY/;

// Each check matches a superset of what its default pattern matches around the anchor. Word
// boundaries are left out and a backslash stands for whitespace: in JSON text a newline or tab
// next to a word is an escape (`\n`, `\t`), which the pattern sees in the string as `\s`.
const AUTH_WORD = /[Bb]earer[\s\\]|[Bb]asic[\s\\]|BEARER[\s\\]|BASIC[\s\\]|Token[\s\\]/;
const QUERY_KEY = /^(?:[a-z_]*token|api_?key|apikey|key|secret|password|sig|signature|[A-Z_]*TOKEN|API_?KEY|KEY|SECRET|PASSWORD)$/;
const OPENAI_KEY = /sk-[A-Za-z0-9_-]{16}/y;
const SLACK_TOKEN = /xox[abprs]-[A-Za-z0-9-]{10}/y;
const GITHUB_TOKEN = /gh[pousr]_[A-Za-z0-9]{30}/y;
const GITHUB_PAT = /github_pat_[A-Za-z0-9_]{30}/y;
const JWT = /eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8}/y;
const AWS_KEY = /AKIA[0-9A-Z]{16}/y;

const code = (c: string): number => c.charCodeAt(0);
/**
 * The two letters before the last one of each secret query key, by its last letter (`to|ken|`,
 * `|key|`, `sec|ret|`, `passw|ord|`, `|sig|`, `signat|ure|`, and upper case): a cheap test
 * before the key's regex, which runs on few of the `=` in a URL-rich text.
 */
const QUERY_KEY_ENDS: Array<string | undefined> = new Array<string | undefined>(128).fill(undefined);
[...'nytdgeNYTD'].forEach((last, i) => (QUERY_KEY_ENDS[code(last)] = ['ke', 'ke', 're', 'or', 'si', 'ur', 'KE', 'KE', 'RE', 'OR'][i]));
/** Characters that end a query value at once (`[&#\s"']` in the pattern; other whitespace passes, a superset). */
const QUERY_VALUE_STOPS = new Set([...'&#"\' \t\n\r\v\f'].map(code));
const [QUESTION, AMPERSAND, UNDERSCORE, UPPER_B] = [...'?&_B'].map(code) as [number, number, number, number];
const [LOWER_B, LOWER_E, LOWER_G, LOWER_H, LOWER_K, LOWER_S, LOWER_X, LOWER_Y] = [...'beghksxy'].map(code) as number[] as [
  number, number, number, number, number, number, number, number,
];

function matchesAt(re: RegExp, text: string, at: number): boolean {
  if (at < 0) return false;
  re.lastIndex = at;
  return re.test(text);
}

/** `[A-Za-z_]`: the characters of every secret query key. */
function isKeyChar(c: number): boolean {
  const lower = c | 32;
  return (lower >= 97 && lower <= 122) || c === UNDERSCORE;
}

/**
 * `?key=v` or `&key=v` with a secret-named key, anchored on the `=` (absent from prose and
 * base64 but for padding): a key is a run of `[A-Za-z_]`, so the whole run before it is the key.
 */
function querySecret(text: string): boolean {
  for (let at = text.indexOf('='); at !== -1; at = text.indexOf('=', at + 1)) {
    const last = text.charCodeAt(at - 1);
    const ending = last < 128 ? QUERY_KEY_ENDS[last] : undefined;
    if (ending === undefined || !text.startsWith(ending, at - 3) || at + 1 >= text.length || QUERY_VALUE_STOPS.has(text.charCodeAt(at + 1))) continue;
    let start = at - 1;
    while (start > 0 && isKeyChar(text.charCodeAt(start - 1))) start--;
    const mark = text.charCodeAt(start - 1);
    if ((mark === QUESTION || mark === AMPERSAND) && QUERY_KEY.test(text.slice(start, at))) return true;
  }
  return false;
}

/** `sk-…`, `xox?-…` and `-----BEGIN …PRIVATE KEY-----`, anchored on a dash. */
function dashed(text: string): boolean {
  for (let at = text.indexOf('-'); at !== -1; at = text.indexOf('-', at + 1)) {
    const before = text.charCodeAt(at - 1);
    if (before === LOWER_K && text.charCodeAt(at - 2) === LOWER_S && matchesAt(OPENAI_KEY, text, at - 2)) return true;
    if (text.charCodeAt(at - 2) === LOWER_X && matchesAt(SLACK_TOKEN, text, at - 4)) return true;
    if (text.charCodeAt(at + 1) === UPPER_B && text.startsWith('BEGIN ', at + 1)) return true;
  }
  return false;
}

/** `gh?_…` and `github_pat_…`, anchored on their first underscore. */
function underscored(text: string): boolean {
  for (let at = text.indexOf('_'); at !== -1; at = text.indexOf('_', at + 1)) {
    if (text.charCodeAt(at - 1) === LOWER_B ? matchesAt(GITHUB_PAT, text, at - 6) : text.charCodeAt(at - 2) === LOWER_H && text.charCodeAt(at - 3) === LOWER_G && matchesAt(GITHUB_TOKEN, text, at - 3)) return true;
  }
  return false;
}

/**
 * A JWT, anchored on the `J` of `eyJ`. `J` is common in base64, dots are not: once no dot lies
 * far enough past a `J`, no later `J` can start a JWT either, which ends the search early.
 */
function jwt(text: string): boolean {
  let dot = -1;
  for (let at = text.indexOf('J'); at !== -1; at = text.indexOf('J', at + 1)) {
    // `eyJ` and 8 more characters come before the first dot.
    if (dot < at + 9 && (dot = text.indexOf('.', at + 9)) === -1) return false;
    if (text.charCodeAt(at - 1) === LOWER_Y && text.charCodeAt(at - 2) === LOWER_E && matchesAt(JWT, text, at - 2)) return true;
  }
  return false;
}

function awsKey(text: string): boolean {
  for (let at = text.indexOf('AKIA'); at !== -1; at = text.indexOf('AKIA', at + 1)) if (matchesAt(AWS_KEY, text, at)) return true;
  return false;
}

/**
 * False means no built-in value pattern (DEFAULT_VALUES in redaction.ts) matches `text`, nor any
 * string that `text` holds as JSON if it has no `\u` escape (one may spell an anchor, so callers
 * look at the parsed strings then). True means one may: the patterns themselves decide.
 */
export function mayMatchDefaultValue(text: string): boolean {
  if (text.length < SHORT) return SHORT_SCREEN.test(text);
  return querySecret(text) || dashed(text) || underscored(text) || jwt(text) || awsKey(text) || AUTH_WORD.test(text);
}
