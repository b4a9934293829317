/**
 * Every limit and default of ringlog's options, written once. config/ checks options against
 * these and fills in the defaults; the threads that act on the values (the consumer's sinks, the
 * compressor) read the same constants, so a range in a message and a range in the code cannot
 * drift apart. Vocabulary: imports nothing but the levels' type.
 */
import type { LevelOption } from './levels.js';

export const KiB = 1024;
export const MiB = 1024 * KiB;
export const GiB = 1024 * MiB;

/** Smallest ring: 4 KiB. Below a page the fixed per-record overhead would dominate and a single stack trace could not fit. */
export const BUFFER_SIZE_MIN = 4 * KiB;
/**
 * Largest ring: 1 GiB (2^30). The ring indexes with a bit mask over 32-bit Int32 cursors, and
 * keeping the capacity at or below 2^30 leaves the sign bit free for the wrapped distance.
 */
export const BUFFER_SIZE_MAX = GiB;
/** Default ring: 8 MiB, room for tens of thousands of typical records during a burst. */
export const BUFFER_SIZE_DEFAULT = 8 * MiB;

/** Most lanes (rings) a buffer is split into; lane counts are powers of two. */
export const LANES_MAX = 16;
/** Smallest lane: the smallest ring. */
export const LANE_MIN_BYTES = BUFFER_SIZE_MIN;
/**
 * Default lanes: one per core, at least 4 (pools often run more threads than cores; 4 workers on
 * 2 cores used 3-8% less CPU per record and logged ~15% more records/s in 4 lanes than in 2), at
 * most 8, and lanes of at least 1 MiB (a lane is all the room one thread's burst has).
 */
export const LANES_DEFAULT_MIN = 4;
export const LANES_DEFAULT_MAX = 8;
export const LANE_DEFAULT_MIN_BYTES = MiB;

/**
 * Smallest record limit: 256 bytes, room for the header, a short name and the one-line notice
 * that replaces a record over the limit. The largest (and default) is bufferSize / 8: a frame can
 * cost twice its size at a wrap, and a ring that holds only a few records makes every claim wait.
 */
export const MAX_RECORD_SIZE_MIN = 256;

export const LEVEL_DEFAULT: LevelOption = 'info';
export const ON_FULL_DEFAULT = 'block';

/** How long close() waits for the consumer before giving up on what is left: 10 s by default. */
export const CLOSE_TIMEOUT_DEFAULT_MS = 10_000;
/** The longest timer Node keeps (2^31 - 1 ms, about 24.8 days); longer ones fire at once. */
export const TIMER_MAX_MS = 2 ** 31 - 1;

/** Longest logger or sink name. */
export const NAME_MAX_LENGTH = 256;

/** Smallest rotation threshold: 1 KiB, so that a typical line fits in a freshly rotated file. */
export const MAX_SIZE_MIN = KiB;
/** Largest rotation threshold: 2^53-1 bytes, the largest byte offset a JS number holds exactly. */
export const MAX_SIZE_MAX = Number.MAX_SAFE_INTEGER;
export const MAX_FILES_MIN = 1;
/** An upper bound that catches a typo (an extra zero or two) long before the disk fills. */
export const MAX_FILES_MAX = 100_000;
/** Rotated files kept when rotation is on and maxFiles is not given (Python's backupCount has none; logrotate keeps 4-5). */
export const MAX_FILES_DEFAULT = 5;

/**
 * Modes of log files and of the directories ringlog creates: the nine permission bits (no
 * setuid, setgid or sticky bit), as chmod's three octal digits. The owner must keep write (and,
 * for a directory, search) permission, or the next open of the file fails.
 */
export const MODE_MAX = 0o777;
export const FILE_MODE_OWNER = 0o200;
export const DIR_MODE_OWNER = 0o300;

/** gzip levels: 1 fastest, 9 smallest. */
export const GZIP_LEVEL_MIN = 1;
export const GZIP_LEVEL_MAX = 9;
/** gzip's own default: most of level 9's ratio at a fraction of its time. */
export const GZIP_LEVEL_DEFAULT = 6;

// ---- forwarding (forward/, config/forward-options.ts) -----------------------------------------

/** A Unix socket path is at most 107 bytes (sun_path holds 108, with its NUL). */
export const SOCKET_PATH_MAX_BYTES = 107;
/** The outbox between a forwarding process's consumer and its sender: a power of two. */
export const OUTBOX_SIZE_MIN = 64 * KiB;
export const OUTBOX_SIZE_MAX = 256 * MiB;
export const OUTBOX_SIZE_DEFAULT = 4 * MiB;
/** The spill file's cap. */
export const SPILL_MAX_SIZE_MIN = 64 * KiB;
export const SPILL_MAX_SIZE_DEFAULT = 256 * MiB;
/** How long the aggregator may be away before lines spill. */
export const SPILL_AFTER_DEFAULT_MS = 5000;

// ---- syslog sinks (config/syslog-options.ts) ---------------------------------------------------

/** The syslog port (RFC 5426 for UDP; TCP collectors listen on it too by convention). */
export const SYSLOG_PORT_DEFAULT = 514;
/** RFC 5424 6.1: every receiver must take 480 bytes. */
export const SYSLOG_MESSAGE_SIZE_MIN = 480;
/** rsyslog's default maxMessageSize (8k): a larger message would be split there. */
export const SYSLOG_MESSAGE_SIZE_DEFAULT = 8 * KiB;
/** The most a stream message may be; and a UDP datagram's payload over IPv4 (65535 - 8 - 20). */
export const SYSLOG_MESSAGE_SIZE_MAX = 512 * KiB;
export const SYSLOG_DATAGRAM_SIZE_MAX = 65507;
