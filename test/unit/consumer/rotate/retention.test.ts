import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { filesToDelete, type Retainable } from '../../../../src/consumer/rotate/retention.js';

/** Files named by age: 'a' is the oldest. `spec` is 'a:10 b:20 ...' (name:bytes), oldest first. */
function files(spec: string): (Retainable & { name: string })[] {
  return spec
    .split(' ')
    .filter((entry) => entry.length > 0)
    .map((entry, index) => {
      const [name = '', bytes = '0'] = entry.split(':');
      return { name, bytes: Number(bytes), period: index, sequence: 0 };
    });
}

const names = (list: readonly { name: string }[]): string => list.map(({ name }) => name).join(' ');

describe('filesToDelete', () => {
  it.each([
    { case: 'no files', spec: '', maxFiles: 3, maxTotal: 100, deleted: '' },
    { case: 'no limits', spec: 'a:10 b:10 c:10', maxFiles: undefined, maxTotal: undefined, deleted: '' },
    { case: 'within both limits', spec: 'a:10 b:10 c:10', maxFiles: 3, maxTotal: 30, deleted: '' },
    { case: 'one file too many: the oldest goes', spec: 'a:10 b:10 c:10', maxFiles: 2, maxTotal: undefined, deleted: 'a' },
    { case: 'maxFiles 1 keeps the newest', spec: 'a:10 b:10 c:10', maxFiles: 1, maxTotal: undefined, deleted: 'a b' },
    { case: 'maxFiles 0 keeps none', spec: 'a:10 b:10', maxFiles: 0, maxTotal: undefined, deleted: 'a b' },
    { case: 'over the total: oldest first until it fits', spec: 'a:10 b:10 c:10', maxFiles: undefined, maxTotal: 15, deleted: 'a b' },
    { case: 'a total met exactly is kept', spec: 'a:10 b:10 c:10', maxFiles: undefined, maxTotal: 20, deleted: 'a' },
    { case: 'the tighter limit wins (count)', spec: 'a:1 b:1 c:1 d:1', maxFiles: 2, maxTotal: 100, deleted: 'a b' },
    { case: 'the tighter limit wins (bytes)', spec: 'a:50 b:50 c:50 d:50', maxFiles: 3, maxTotal: 120, deleted: 'a b' },
    { case: 'no holes: a big newer file stops the run, older small ones go too', spec: 'a:1 b:1 c:90 d:10', maxFiles: undefined, maxTotal: 50, deleted: 'a b c' },
    { case: 'a newest file larger than the total goes too', spec: 'a:10 b:500', maxFiles: 5, maxTotal: 100, deleted: 'a b' },
    { case: 'empty files count toward maxFiles only', spec: 'a:0 b:0 c:0', maxFiles: 2, maxTotal: 0, deleted: 'a' },
  ])('$case', ({ spec, maxFiles, maxTotal, deleted }) => {
    expect(names(filesToDelete(files(spec), { maxFiles, maxTotalBytes: maxTotal }))).toBe(deleted);
  });

  it('orders by period, then sequence, whatever the input order', () => {
    const list = [
      { name: 'day2.1', bytes: 1, period: 2, sequence: 1 },
      { name: 'day1', bytes: 1, period: 1, sequence: 0 },
      { name: 'day2', bytes: 1, period: 2, sequence: 0 },
      { name: 'day1.1', bytes: 1, period: 1, sequence: 1 },
      { name: 'day3', bytes: 1, period: 3, sequence: 0 },
    ];
    expect(names(filesToDelete(list, { maxFiles: 2, maxTotalBytes: undefined }))).toBe('day1 day1.1 day2');
  });

  it('numbered files: period -index, so app.log.3 is older than app.log.1', () => {
    const list = [1, 2, 3].map((index) => ({ name: `app.log.${index}`, bytes: 1, period: -index, sequence: 0 }));
    expect(names(filesToDelete(list, { maxFiles: 1, maxTotalBytes: undefined }))).toBe('app.log.3 app.log.2');
  });

  it('property: keeps the longest newest run that meets both limits, deletes the rest oldest first', () => {
    const sizesInAnyOrder = fc
      .array(fc.integer({ min: 0, max: 1000 }), { maxLength: 30 })
      .chain((sizes) => {
        const indices = sizes.map((_, index) => index);
        return fc.tuple(fc.constant(sizes), fc.shuffledSubarray(indices, { minLength: sizes.length, maxLength: sizes.length }));
      });
    fc.assert(
      fc.property(
        sizesInAnyOrder,
        fc.option(fc.integer({ min: 0, max: 35 }), { nil: undefined }),
        fc.option(fc.integer({ min: 0, max: 20_000 }), { nil: undefined }),
        ([sizes, order], maxFiles, maxTotalBytes) => {
          // Oldest first by index; handed over in a random order.
          const list = sizes.map((bytes, index) => ({ name: String(index), bytes, period: index, sequence: 0 }));
          const shuffled = order.map((index) => list[index] as (typeof list)[number]);
          const deleted = filesToDelete(shuffled, { maxFiles, maxTotalBytes });
          const kept = list.slice(deleted.length);
          // The deleted files are exactly the oldest ones, oldest first.
          expect(deleted.map(({ name }) => name)).toEqual(list.slice(0, deleted.length).map(({ name }) => name));
          const total = (part: typeof list): number => part.reduce((sum, { bytes }) => sum + bytes, 0);
          // What is kept meets both limits...
          expect(kept.length).toBeLessThanOrEqual(maxFiles ?? Infinity);
          expect(total(kept)).toBeLessThanOrEqual(maxTotalBytes ?? Infinity);
          // ...and keeping one more would break one.
          if (deleted.length > 0) {
            const more = list.slice(deleted.length - 1);
            expect(more.length > (maxFiles ?? Infinity) || total(more) > (maxTotalBytes ?? Infinity)).toBe(true);
          }
        },
      ),
    );
  });
});
