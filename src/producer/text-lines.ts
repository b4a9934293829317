/**
 * Text lines written by the producers. When every sink writes the same text format and names
 * route nothing, a producer renders each record's line itself, from the record it has just
 * encoded, with the consumer's own renderer (render/text-bytes.ts, held byte for byte to
 * format/text-format.ts by property tests), and commits the finished line (Flag.LINE): the
 * consumer then only copies it, as it copies the producers' JSON lines (json-line.ts). Rendering
 * spreads over every producer instead of being capped by one consumer thread.
 *
 * What the renderer does not take (an Error with its stack, a value it leaves to the general
 * formatter) stays an encoded record, and the consumer renders it the general way.
 *
 * This module and the formatters it pulls in are loaded on demand, with require, by a producer
 * whose handle asks for text lines: a worker of a JSON backend never loads them (src/index.ts).
 */
import { HEADER_BYTES, Flag, RecordOffset, bytesOver, type Bytes } from '../record/descriptor.js';
import type { JsonFormatContext } from '../format/json-format.js';
import type { ResolvedTextFormat } from '../format/text-format.js';
import { NOT_RENDERED, TextLineRenderer } from '../render/text-bytes.js';

/** What the handle says of the text lines: the one format, and the process it runs in. */
export interface TextLinesSpec {
  readonly format: ResolvedTextFormat;
  readonly context: JsonFormatContext;
}

export class TextLines {
  readonly #renderer: TextLineRenderer;
  /** The record header, then the line. */
  #out: Bytes = bytesOver(Buffer.allocUnsafe(4096));

  constructor(spec: TextLinesSpec) {
    this.#renderer = new TextLineRenderer(spec.format, spec.context);
  }

  /**
   * Renders the record encoded in `record[0 .. length)` (its header written); returns the
   * payload bytes of its line record (header and line) in {@link payload}, or 0 when the record
   * stays encoded.
   */
  render(record: Bytes, length: number, maxPayloadBytes: number): number {
    const renderer = this.#renderer;
    const bound = HEADER_BYTES + renderer.maxLineBytes(length);
    if (bound > this.#out.u8.length) this.#out = bytesOver(Buffer.allocUnsafe(Math.max(bound, this.#out.u8.length * 2)));
    const out = this.#out.u8;
    const lineBytes = renderer.renderInto(record, 0, length, out, HEADER_BYTES);
    if (lineBytes === NOT_RENDERED) return 0;
    const payloadBytes = HEADER_BYTES + lineBytes;
    // A line longer than a record may be: the encoded record is smaller, the consumer renders it.
    if (payloadBytes > maxPayloadBytes) return 0;
    out.set(record.u8.subarray(0, HEADER_BYTES), 0);
    out[RecordOffset.FLAGS] = Flag.LINE;
    out[RecordOffset.ARG_COUNT] = 0;
    out[RecordOffset.ARG_COUNT + 1] = 0;
    return payloadBytes;
  }

  /** The payload of the last line {@link render} made. */
  get payload(): Bytes {
    return this.#out;
  }
}
