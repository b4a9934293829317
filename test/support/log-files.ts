/** Reading what a backend wrote: the live file and its rotations, oldest first, line by line. */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export function tempDir(): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'ringlog-'));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** `app.log.N ... app.log.1, app.log`: the order in which they were written. */
export function logFiles(dir: string, base: string): string[] {
  const rotated = readdirSync(dir)
    .map((name) => ({ name, index: name === base ? 0 : Number(name.slice(base.length + 1)) }))
    .filter(({ name, index }) => name === base || (name.startsWith(`${base}.`) && Number.isInteger(index) && index > 0));
  return rotated.sort((a, b) => b.index - a.index).map(({ name }) => join(dir, name));
}

/**
 * Calls `visit` with every line of every file, parsed, oldest first. Throws when a file does not
 * end with a whole line or a line is not JSON: either means a torn record.
 */
export function forEachRecord(dir: string, base: string, visit: (record: Record<string, unknown>, file: string) => void): number {
  const files = logFiles(dir, base);
  for (const file of files) {
    const text = readFileSync(file, 'utf8');
    if (text.length === 0) continue;
    if (!text.endsWith('\n')) throw new Error(`${file} does not end with a whole line`);
    let start = 0;
    while (start < text.length) {
      const end = text.indexOf('\n', start);
      const line = text.slice(start, end);
      start = end + 1;
      let record: Record<string, unknown>;
      try {
        record = JSON.parse(line) as Record<string, unknown>;
      } catch {
        throw new Error(`${file}: a line is not JSON: ${line.slice(0, 200)}`);
      }
      visit(record, file);
    }
  }
  return files.length;
}

export function readRecords(dir: string, base: string): Record<string, unknown>[] {
  const records: Record<string, unknown>[] = [];
  forEachRecord(dir, base, (record) => records.push(record));
  return records;
}
