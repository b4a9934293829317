import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { planRotation, rotatedPath, shouldRotate } from '../../../../src/consumer/rotate/numbered.js';
import type { RotationStep } from '../../../../src/consumer/rotate/numbered.js';

const unlink = (index: number): RotationStep => ({ kind: 'unlink', index });
const rename = (from: number, to: number): RotationStep => ({ kind: 'rename', from, to });

describe('shouldRotate', () => {
  it.each([
    { case: 'never without a limit', max: undefined, file: 1e9, line: 1e9, rotate: false },
    { case: 'an empty file takes an oversized line', max: 10, file: 0, line: 100, rotate: false },
    { case: 'a line that exactly fills the file stays', max: 10, file: 6, line: 4, rotate: false },
    { case: 'one byte more rotates', max: 10, file: 6, line: 5, rotate: true },
    { case: 'a full file rotates for any line', max: 10, file: 10, line: 1, rotate: true },
    { case: 'an oversized line after anything rotates', max: 10, file: 1, line: 100, rotate: true },
    { case: 'a file over the limit (restart) rotates', max: 10, file: 50, line: 1, rotate: true },
  ])('$case', ({ max, file, line, rotate }) => {
    expect(shouldRotate(max, file, line)).toBe(rotate);
  });
});

describe('planRotation', () => {
  it.each([
    { case: 'no files at all', maxFiles: 3, existing: [], steps: [] },
    { case: 'only the live file', maxFiles: 3, existing: [0], steps: [rename(0, 1)] },
    {
      case: 'some rotated files, room left',
      maxFiles: 5,
      existing: [0, 1, 2],
      steps: [rename(2, 3), rename(1, 2), rename(0, 1)],
    },
    {
      case: 'every slot taken: the oldest is deleted',
      maxFiles: 3,
      existing: [0, 1, 2, 3],
      steps: [unlink(3), rename(2, 3), rename(1, 2), rename(0, 1)],
    },
    {
      case: 'a gap absorbs the shift',
      maxFiles: 3,
      existing: [0, 1, 3],
      steps: [rename(1, 2), rename(0, 1)],
    },
    { case: 'a gap at .1', maxFiles: 3, existing: [0, 2, 3], steps: [rename(0, 1)] },
    { case: 'maxFiles = 1, no .1 yet', maxFiles: 1, existing: [0], steps: [rename(0, 1)] },
    { case: 'maxFiles = 1, .1 taken', maxFiles: 1, existing: [0, 1], steps: [unlink(1), rename(0, 1)] },
    {
      case: 'files above maxFiles are left alone',
      maxFiles: 2,
      existing: [0, 1, 2, 3, 4],
      steps: [unlink(2), rename(1, 2), rename(0, 1)],
    },
    { case: 'live file gone (removed by hand)', maxFiles: 3, existing: [1, 2], steps: [] },
  ])('$case', ({ maxFiles, existing, steps }) => {
    const set = new Set<number>(existing);
    expect(planRotation(maxFiles, (index) => set.has(index))).toEqual(steps);
  });

  it('many files: one unlink, then every file moves up, oldest first', () => {
    const steps = planRotation(1000, () => true);
    expect(steps).toHaveLength(1001);
    expect(steps[0]).toEqual(unlink(1000));
    expect(steps[1]).toEqual(rename(999, 1000));
    expect(steps[1000]).toEqual(rename(0, 1));
  });

  it('probes in ascending order, only up to the first missing index', () => {
    const probed: number[] = [];
    planRotation(1000, (index) => {
      probed.push(index);
      return index !== 3;
    });
    expect(probed).toEqual([0, 1, 2, 3]);
  });

  it('never probes above maxFiles', () => {
    const probed: number[] = [];
    planRotation(2, (index) => {
      probed.push(index);
      return true;
    });
    expect(probed).toEqual([0, 1, 2]);
  });

  it('carried out on any set of files: no overwrite, order kept, at most maxFiles kept', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 8 }),
        fc.uniqueArray(fc.integer({ min: 0, max: 10 }), { maxLength: 11 }),
        (maxFiles, existing) => {
          // Each file's content is its age rank: lower index = newer.
          const files = new Map<number, number>(existing.map((index) => [index, index]));
          const before = new Map(files);
          for (const step of planRotation(maxFiles, (index) => files.has(index))) {
            if (step.kind === 'unlink') {
              expect(files.delete(step.index)).toBe(true);
            } else {
              expect(files.has(step.from)).toBe(true);
              expect(files.has(step.to)).toBe(false);
              files.set(step.to, files.get(step.from) as number);
              files.delete(step.from);
            }
          }
          expect(files.has(0)).toBe(false);
          if (before.has(0)) expect(files.get(1)).toBe(0);
          // Ages still increase with the index.
          const ages = [...files.entries()].sort(([a], [b]) => a - b).map(([, age]) => age);
          expect(ages).toEqual([...ages].sort((a, b) => a - b));
          // Rotation never fills more slots in 1..maxFiles than there are.
          const kept = [...files.keys()].filter((index) => index >= 1 && index <= maxFiles);
          expect(kept.length).toBeLessThanOrEqual(maxFiles);
          // Nothing above maxFiles is touched.
          for (const [index, age] of before) if (index > maxFiles) expect(files.get(index)).toBe(age);
        },
      ),
    );
  });
});

describe('rotatedPath', () => {
  it.each([
    { index: 0, path: '/var/log/app.log' },
    { index: 1, path: '/var/log/app.log.1' },
    { index: 1000, path: '/var/log/app.log.1000' },
  ])('index $index -> $path', ({ index, path }) => {
    expect(rotatedPath('/var/log/app.log', index)).toBe(path);
  });
});
