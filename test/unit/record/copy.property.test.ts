/**
 * copyBytes() and copyText() against their specification, a byte loop: every path (word and
 * float64 loops, DataView, native set, staged into and out of shared memory) for random lengths,
 * offsets and kinds of memory, and never a byte outside the target range. copyText() gets UTF-8
 * text, what it is for, with every width of character.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { copyBytes, copyText } from '../../../src/record/copy.js';
import { bytesOver } from '../../../src/record/descriptor.js';

const SIZE = 200_000;

function memory(shared: boolean, offset: number): Uint8Array {
  const buffer = shared ? new SharedArrayBuffer(SIZE + 8) : new ArrayBuffer(SIZE + 8);
  return new Uint8Array(buffer, offset, SIZE);
}

/** Nothing of `to` (filled with 0xee) outside the `length` bytes from `toIndex` was written. */
function expectUntouchedAround(to: Uint8Array, toIndex: number, length: number): void {
  for (let i = 0; i < toIndex; i++) if (to[i] !== 0xee) expect.fail(`byte ${i} before the run`);
  for (let i = toIndex + length; i < SIZE; i++) if (to[i] !== 0xee) expect.fail(`byte ${i} after the run`);
}

describe('copyBytes', () => {
  it('copies exactly the run, whatever the memory, offsets and length', () => {
    fc.assert(
      fc.property(
        fc.boolean(),
        fc.boolean(),
        fc.nat(7),
        fc.nat(7),
        fc.oneof(fc.nat(600), fc.integer({ min: 0, max: 150_000 })),
        fc.nat(SIZE),
        fc.nat(SIZE),
        fc.integer(),
        (fromShared, toShared, fromOffset, toOffset, length, fromAt, toAt, seed) => {
          const from = memory(fromShared, fromOffset);
          const to = memory(toShared, toOffset);
          const fromIndex = fromAt % (SIZE - length + 1);
          const toIndex = toAt % (SIZE - length + 1);
          for (let i = 0; i < SIZE; i++) from[i] = (i * 31 + seed) & 0xff;
          to.fill(0xee);
          copyBytes(bytesOver(from), fromIndex, bytesOver(to), toIndex, length);
          for (let i = 0; i < length; i++) if (to[toIndex + i] !== from[fromIndex + i]) expect.fail(`byte ${i} of ${length}`);
          expectUntouchedAround(to, toIndex, length);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('copyText', () => {
  it('copies exactly the run of UTF-8 text, whatever the memory, offsets and length', () => {
    fc.assert(
      fc.property(
        fc.boolean(),
        fc.boolean(),
        fc.nat(7),
        fc.nat(7),
        fc.string({ unit: 'binary', maxLength: 300 }),
        fc.nat(SIZE),
        fc.nat(SIZE),
        fc.boolean(),
        (fromShared, toShared, fromOffset, toOffset, text, fromAt, toAt, aligned) => {
          // Half the runs from 8-byte aligned memory and index: the float64 loop's case.
          const from = memory(fromShared, aligned ? 0 : fromOffset);
          const to = memory(toShared, toOffset);
          const line = Buffer.from(`${text}\n`);
          const length = line.length;
          const fromIndex = (fromAt % (SIZE - length + 1)) & (aligned ? ~7 : ~0);
          const toIndex = toAt % (SIZE - length + 1);
          from.fill(0x41);
          from.set(line, fromIndex);
          to.fill(0xee);
          copyText(bytesOver(from), fromIndex, bytesOver(to), toIndex, length);
          expect(Buffer.from(to.subarray(toIndex, toIndex + length)).equals(line)).toBe(true);
          expectUntouchedAround(to, toIndex, length);
        },
      ),
      { numRuns: 300 },
    );
  });
});
