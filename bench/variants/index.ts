/** Every variant by name. Each one's file says what it models; its worker file, what a log call does. */
import type { VariantName } from '../lib/config.js';
import { floor } from './floor.js';
import { pinoDestination } from './pino-destination.js';
import { pinoTransports } from './pino-transports.js';
import { queueBatched } from './queue-batched.js';
import { queuePerRecord } from './queue-per-record.js';
import { ringlog, ringlog64, ringlogText } from './ringlog.js';
import type { Variant } from './variant.js';

export const VARIANT_BY_NAME: Readonly<Record<VariantName, Variant>> = {
  ringlog,
  'ringlog-64mib': ringlog64,
  'ringlog-text': ringlogText,
  'queue-per-record': queuePerRecord,
  'queue-batched': queueBatched,
  'pino-transports': pinoTransports,
  'pino-destination': pinoDestination,
  floor,
};
