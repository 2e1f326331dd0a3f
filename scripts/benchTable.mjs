// Reads the plain-text tables `npm run bench` prints (bench/benchRow.ts renderTable) and joins a
// before and an after table by row name into markdown. Pure: no I/O, so it is tested directly.

/** Names of the A/B rows the proxy benches add when they run an old build in the same rounds. */
export const AB_PREFIX = 'proxy A/B:';

const SEPARATOR = /^-+(?:-\|-+)*-*$/;

/**
 * Parses the table renderTable prints: a header line, a separator of dashes joined by `-|-`, and
 * one line per row; cells are padded to the column widths and joined by ` | `. The separator gives
 * each column's exact width, so cells are cut by position and may themselves contain `|`.
 * Lines before the header (or a trailing blank line and anything after it) are ignored.
 * Returns rows `{ name, measured, target, baseline, ok }`; throws when no table is found. A line
 * that does not line up with the columns (a cell that held a line break) is kept, not dropped, as a
 * row named "(unparsed line N)" whose measured cell is the raw line.
 */
export function parseBenchTable(text) {
  const lines = String(text).split(/\r?\n/);
  const sep = lines.findIndex((l, i) => i > 0 && SEPARATOR.test(l) && lines[i - 1].startsWith('benchmark'));
  if (sep < 0) throw new Error('no bench table found (expected a "benchmark | measured | ..." header and a dashed separator)');
  const widths = lines[sep].split('-|-').map((d) => d.length);
  const header = cut(lines[sep - 1], widths);
  if (header === undefined) throw new Error(`bench table header does not line up with its separator: ${lines[sep - 1].trim()}`);
  const col = (name) => header.findIndex((h) => h === name || h.startsWith(`${name} `));
  const at = { name: col('benchmark'), measured: col('measured'), target: col('target'), baseline: col('baseline'), ok: col('ok') };
  const missing = Object.entries(at).filter(([, i]) => i < 0).map(([k]) => k);
  if (missing.length > 0) throw new Error(`bench table header lacks column(s) ${missing.join(', ')}: ${lines[sep - 1].trim()}`);
  const rows = [];
  for (let i = sep + 1; i < lines.length && lines[i].trim() !== ''; i++) {
    const cells = cut(lines[i], widths);
    if (cells === undefined) {
      rows.push({ name: `(unparsed line ${i + 1})`, measured: lines[i].trim(), target: '-', baseline: '-', ok: false });
      continue;
    }
    rows.push({ name: cells[at.name], measured: cells[at.measured], target: cells[at.target], baseline: cells[at.baseline], ok: cells[at.ok] === 'yes' });
  }
  return rows;
}

/** Cuts one table line into trimmed cells by column widths; undefined unless every boundary reads ` | `. */
function cut(line, widths) {
  const cells = [];
  let pos = 0;
  for (let c = 0; c < widths.length; c++) {
    const last = c === widths.length - 1;
    cells.push((last ? line.slice(pos) : line.slice(pos, pos + widths[c])).trim());
    if (last) break;
    pos += widths[c];
    if (line.slice(pos, pos + 3) !== ' | ') return undefined;
    pos += 3;
  }
  return cells;
}

/** Keys rows by name; a name seen again gets " (2)", " (3)", ... so no row is lost in the join. */
function byName(rows) {
  const seen = new Map();
  const out = new Map();
  for (const row of rows) {
    const n = (seen.get(row.name) ?? 0) + 1;
    seen.set(row.name, n);
    out.set(n === 1 ? row.name : `${row.name} (${n})`, row);
  }
  return out;
}

/** One markdown cell: pipes escaped, line breaks flattened. */
export function mdCell(value) {
  return String(value).replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

function mdTable(header, body) {
  const line = (cells) => `| ${cells.map(mdCell).join(' | ')} |`;
  return [line(header), `|${header.map(() => '---').join('|')}|`, ...body.map(line)].join('\n');
}

const yes = (ok) => (ok ? 'yes' : 'NO');

/**
 * Joins a before and an after bench table (rows as parseBenchTable returns them) by row name into
 * markdown: rows on both sides (in the after table's order) with both measured figures, the after
 * target and ok (marked when the before ok differed); then rows only before, rows only after; then
 * the A/B rows (new build against old in one interleaved run), which only the after table has.
 * `labels` names the two sides, e.g. `{ before: '0f48925', after: 'HEAD 8bb557d' }`.
 */
export function joinBenchTables(before, after, labels) {
  const b = byName(before.filter((r) => !r.name.startsWith(AB_PREFIX)));
  const a = byName(after.filter((r) => !r.name.startsWith(AB_PREFIX)));
  const ab = [...before, ...after].filter((r) => r.name.startsWith(AB_PREFIX));
  const both = [...a].filter(([k]) => b.has(k));
  const onlyBefore = [...b].filter(([k]) => !a.has(k));
  const onlyAfter = [...a].filter(([k]) => !b.has(k));
  const okCell = (now, was) => (now.ok === was.ok ? yes(now.ok) : `${yes(now.ok)} (was ${yes(was.ok)})`);
  const targetCell = (now, was) => (now.target === was.target ? now.target : `${now.target} (was ${was.target})`);
  const parts = [
    `### Bench, before (${labels.before}) and after (${labels.after}), same machine`,
    '',
    mdTable(
      ['row', `before (${labels.before})`, `after (${labels.after})`, 'target', 'ok'],
      both.map(([k, now]) => [k, b.get(k).measured, now.measured, targetCell(now, b.get(k)), okCell(now, b.get(k))]),
    ),
  ];
  if (onlyBefore.length > 0) {
    parts.push('', `Rows only before (${labels.before}):`, '', mdTable(['row', 'measured', 'target', 'ok'], onlyBefore.map(([k, r]) => [k, r.measured, r.target, yes(r.ok)])));
  }
  if (onlyAfter.length > 0) {
    parts.push('', `Rows only after (${labels.after}):`, '', mdTable(['row', 'measured', 'target', 'ok'], onlyAfter.map(([k, r]) => [k, r.measured, r.target, yes(r.ok)])));
  }
  if (ab.length > 0) {
    parts.push(
      '',
      `### Proxy A/B: new (${labels.after}) against the old build (${labels.before}) in the same interleaved run`,
      '',
      mdTable(['row', `new (${labels.after})`, `old (${labels.before})`, 'target', 'ok'], ab.map((r) => [r.name, r.measured, r.baseline.replace(/^old build /, ''), r.target, yes(r.ok)])),
    );
  }
  return `${parts.join('\n')}\n`;
}
