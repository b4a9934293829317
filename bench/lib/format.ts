/** Number formatting and plain-text tables: the output is read in a terminal and in CI logs. */

export function int(n: number): string {
  return Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '-';
}

export function fixed(n: number, digits = 1): string {
  return Number.isFinite(n) ? n.toFixed(digits) : '-';
}

export function times(n: number): string {
  return Number.isFinite(n) ? `${n.toFixed(2)}x` : '-';
}

/** `1 round`, `3 rounds`. */
export function rounds(n: number): string {
  return n === 1 ? '1 round' : `${n} rounds`;
}

export function mib(bytes: number): string {
  return Number.isFinite(bytes) ? (bytes / 2 ** 20).toFixed(0) : '-';
}

/** Numbers are right-aligned; the first `textColumns` columns (names, sentences) left-aligned. */
export function table(header: readonly string[], rows: readonly (readonly string[])[], textColumns = 1): string {
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((row) => (row[c] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells.map((cell, c) => (c < textColumns ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  ').trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}
