/**
 * Mutants no test can kill, each with why: the mutated code behaves the same
 * (a buffer's capacity, a bound only padding or an impossible value can
 * meet) or differs only in speed. `npm run mutate` runs them all the same and
 * counts them apart; one the tests kill is reported as declared wrongly. A
 * killable mutant never belongs here: write the test.
 *
 * `near` is text of the built module (dist/), found there once.
 */
import type { Equivalent } from './mutants.js';

const CAPACITY = 'a capacity only: the queue grows when it is full';
const PADDING = 'the cells past the last event are +Infinity padding, never earlier than an event';
const NOT_ZERO = 'm is -1 (a tie) or a child index, never 0';
const ODD = '4i + 1 is odd: | 1 leaves it as it is';
const NO_REF = 'a sentinel only ever compared with itself; 1 and 0 are reserved entries, never handed out as refs';
const NEXT_SET = 'slot base + ways is the next set\'s first, or past the end: a tag is only ever in its own set';
const PAST_END = 'slot `entries` is past the end: its domain reads undefined and matches no domain';
const HIT_ONLY = 'read only after a hit, which sets it';
const SPEED_ONLY = 'When the ladder is used decides speed only: heap and ladder order every event by before() (event-queue.ts, ladder.ts).';
const WIDTH = 'The width of a bucket decides only how events are spread (speed): the index stays monotone in time, so the order cannot change (ladder.ts).';
const NO_RUNG_YET = 'read only by drainInto and drainAll, and the first drainInto finds no rung and builds one, which sets cur';

export const EQUIVALENTS: readonly Equivalent[] = [
  // src/sim/event-queue.ts
  { target: 'kernel', near: 'initialCapacity = 1024,', what: '1024 → 1025', why: CAPACITY },
  { target: 'kernel', near: 'Math.max(4, initialCapacity', what: '4 → 5', why: CAPACITY },
  { target: 'kernel', near: 'initialCapacity | 0', what: '| → &', why: `${CAPACITY} (x & 0 is 0, so the smallest, 4)` },
  { target: 'kernel', near: 'initialCapacity | 0', what: '0 → 1', why: CAPACITY },
  { target: 'kernel', near: 'this.obj[2 * k + 1] = undefined', what: '1 → 0', why: 'clears the freed slot\'s handler instead of its target: a free slot is written (pushStaged) before it is read, so only what the collector may free early differs, not what runs' },
  { target: 'kernel', near: 'if (this.nFree === 0)', what: '0 → 1', why: 'grows with one slot free; that slot, at the bottom of the free list, is never taken (the next growth comes first)' },
  { target: 'kernel', near: 'this.growTo(2 * this.free.length)', what: '2 → 3', why: 'the growth factor: a capacity only' },
  { target: 'kernel', near: 'const num = new Float64Array(2 * c)', what: '2 → 3', why: 'a longer column than the slots use' },
  { target: 'kernel', near: 'for (let k = old; k < c; k++)', what: '< → <=', why: 'one spare (handler, target) pair no slot uses' },
  { target: 'kernel', near: 'for (let i = c - 1; i >= old; i--)', what: '>= → >', why: 'slot `old` is never freed, so never used: a capacity only' },
  { target: 'kernel', near: 'const PAD = 4', what: '4 → 5', why: 'one more cell of padding' },
  { target: 'kernel', near: 'for (let c = 1; c < last;', what: '1 → 0', why: 'the walk starts at the hole, which holds the event just popped, earlier than every child: it stays for one step' },
  { target: 'kernel', near: 'for (let c = 1; c < last;', what: '< → <=', why: `at c = last the hole steps onto padding (${PADDING}) and siftUp brings the last event back up` },
  { target: 'kernel', near: 'c < last; c = (4 * i + 1) | 0', what: '0 → 1', why: ODD },
  { target: 'kernel', near: 'if (m < 0) { i = this.holeToLeafByKey', what: '< → <=', why: NOT_ZERO },
  { target: 'kernel', near: 'if (m < 0) { i = this.holeToLeafByKey', what: '0 → 1', why: NOT_ZERO },
  { target: 'kernel', near: 'c < n; c = (4 * i + 1) | 0', what: '< → <=', why: `at c = n the children are padding: ${PADDING}` },
  { target: 'kernel', near: 'c < n; c = (4 * i + 1) | 0', what: '0 → 1', why: ODD },
  { target: 'kernel', near: 'for (let c = (4 * i + 1) | 0', what: '0 → 1', why: ODD },
  { target: 'kernel', near: 'const tm = m < 0 ? t : time[m]', what: '< → <=', why: NOT_ZERO },
  { target: 'kernel', near: 'const tm = m < 0 ? t : time[m]', what: '0 → 1', why: NOT_ZERO },
  { target: 'kernel', near: 'for (let j = c + 1;', what: '1 → 0', why: 'child c is compared with itself first, and is never before itself' },
  { target: 'kernel', near: 't2 = time[(c + 2) | 0]', what: '0 → 1', why: 'c + 2 is odd (c = 4i + 1): | 1 leaves it as it is' },
  { target: 'kernel', near: '+(t1 < t0)', what: '< → <=', why: 'differs only when t0 = t1: then either child is returned only if it is the earliest, and that tie returns -1' },
  { target: 'kernel', near: '+(t3 < t2)', what: '< → <=', why: 'differs only when t2 = t3: then either child is returned only if it is the earliest, and that tie returns -1' },
  { target: 'kernel', near: '-+(ty < tx)', what: '< → <=', why: 'differs only when tx = ty, which returns -1' },
  { target: 'kernel', near: 'c < last; c = 4 * i + 1', what: '< → <=', why: `at c = last the hole steps onto padding (${PADDING}) and siftUp brings the last event back up` },
  { target: 'kernel', near: 'c < this.n; c = 4 * i + 1', what: '< → <=', why: `at c = n the children are padding: ${PADDING}` },
  { target: 'kernel', near: 'siftUpByKey(i) { while (i > 0)', what: '> → >=', why: 'at the root the parent index is -1, whose time reads undefined: never before, so the loop returns' },
  { target: 'kernel', near: 't1 = time[(c + 1) | 0]', what: '1 → 0', why: 'every call then sees t0 = t1 and returns -1: the exact path picks the same child, only slower' },
  { target: 'kernel', near: 't2 = time[(c + 2) | 0]', what: '2 → 3', why: 'every call then sees t2 = t3 and returns -1: the exact path picks the same child, only slower' },

  { target: 'kernel', near: 'laddered = false; heapLimit;', what: 'false → true', why: `the queue starts on the ladder, all in top: the first pop hands everything to the heap (few) or builds a rung. ${SPEED_ONLY}` },
  { target: 'kernel', near: 'new Ladder(0, maxBuckets)', what: '0 → 1', why: 'a capacity only: growTo sets the real one at once' },
  { target: 'kernel', near: 'if (this.n === 0 && this.ladder.size > 0)', what: '> → >=', why: 'peeking an empty queue then drains an empty ladder (nothing) and turns the queue heap-only: still +Infinity, and the heap alone orders the same' },
  { target: 'kernel', near: 'if (n >= this.heapLimit && !this.laddered)', what: '>= → >', why: `the ladder takes over one event later. ${SPEED_ONLY}` },
  { target: 'kernel', near: 'if (n >= this.heapLimit && !this.laddered)', what: '! → (removed)', why: `the queue never turns to the ladder (laddered starts false): a heap alone, which orders the same. ${SPEED_ONLY}` },
  { target: 'kernel', near: 'if (this.ladder.size * 2 <= this.heapLimit)', what: '* → /', why: `the queue turns heap-only again with up to twice the limit left. ${SPEED_ONLY}` },
  { target: 'kernel', near: 'if (this.ladder.size * 2 <= this.heapLimit)', what: '2 → 3', why: `the queue turns heap-only again with a third of the limit left. ${SPEED_ONLY}` },
  { target: 'kernel', near: 'if (this.ladder.size * 2 <= this.heapLimit)', what: '<= → <', why: `the queue turns heap-only again one event later. ${SPEED_ONLY}` },
  { target: 'kernel', near: 'for (let i = (m - 2) >> 2;', what: '- → +', why: 'sift-downs from a few more cells past the last parent: leaves, with no children, so nothing moves' },
  { target: 'kernel', near: 'for (let i = (m - 2) >> 2;', what: '>> → <<', why: 'sift-downs from leaves and padding cells past the last parent: none has a child in the heap, so nothing moves (writes past the end of a typed array are dropped)' },
  { target: 'kernel', near: 'const HEAP_LIMIT = 4096', what: '4096 → 4097', why: `the ladder takes over one event later. ${SPEED_ONLY}` },
  { target: 'kernel', near: 'const MAX_BUCKETS = 65_536', what: '65_536 → 65537', why: 'rungs have a power of two of buckets, still at most 65,536; the extra list head is never used' },

  // src/sim/ladder.ts
  { target: 'ladder', near: 'start = 0; inv', what: '0 → 1', why: 'start is only ever multiplied by inv, which is 0 until the first rung sets both' },
  { target: 'ladder', near: 'belong to the heap. */ cur = -1;', what: '- → +', why: NO_RUNG_YET },
  { target: 'ladder', near: 'belong to the heap. */ cur = -1;', what: '1 → 0', why: NO_RUNG_YET },
  { target: 'ladder', near: 'topMax = -Infinity; constructor', what: '- → +', why: `top's latest stays +Infinity for the first rung: span Infinity, inv 0, every event in bucket 0. ${WIDTH}` },
  { target: 'ladder', near: 'this.topMax = -Infinity; }', what: '- → +', why: `top's latest stays +Infinity: every rung has span Infinity, inv 0, every event in bucket 0, so the heap takes them all. ${WIDTH}` },
  { target: 'ladder', near: 'if (t < this.topMin)', what: '< → <=', why: 'on equal times the earliest is set to the same number' },
  { target: 'ladder', near: 'if (t > this.topMax)', what: '> → >=', why: 'on equal times the latest is set to the same number' },
  { target: 'ladder', near: 'for (let i = this.cur + 1; i < this.nb; i++)', what: '1 → 0', why: 'bucket cur was drained by drainInto (drainAll always comes after one): its list is empty' },
  { target: 'ladder', near: 'while (nb < this.topCount', what: '< → <=', why: `one doubling more, still within maxBuckets. ${WIDTH}` },
  { target: 'ladder', near: '2 * nb <= this.maxBuckets', what: '2 → 3', why: `fewer buckets, within maxBuckets. ${WIDTH}` },
  { target: 'ladder', near: '2 * nb <= this.maxBuckets', what: '<= → <', why: `half the buckets at the cap. ${WIDTH}` },
  { target: 'ladder', near: 'const span = this.topMax - this.topMin', what: '- → +', why: `another width, or inv 0 when the sum is not positive; the earliest is still at index 0. ${WIDTH}` },
  { target: 'ladder', near: 'this.inv = span > 0 ?', what: '0 → 1', why: `a span of at most 1 gets inv 0: every event in bucket 0. ${WIDTH}` },
  { target: 'ladder', near: '(nb - 0.5) / span', what: '- → +', why: `the latest events fall past the last bucket, into top, for the next rung. ${WIDTH}` },
  { target: 'ladder', near: '(nb - 0.5) / span', what: '/ → *', why: `another positive inv. ${WIDTH}` },
  { target: 'ladder', near: '/ span : 0;', what: '0 → 1', why: `a span of 0 (all of top at one time) gets inv 1, not 0; the index is still monotone. ${WIDTH}` },

  // models/pcie/credits.ts
  { target: 'credits', near: 'advertised = new Float64Array(2 * CREDIT_CLASS_COUNT)', what: '2 → 3', why: 'a longer array than the six pools use' },
  { target: 'credits', near: 'available = new Float64Array(2 * CREDIT_CLASS_COUNT)', what: '2 → 3', why: 'a longer array than the six pools use' },
  { target: 'credits', near: 'retHead = 0; retSize', what: '0 → 1', why: 'an empty ring may start at any slot' },
  { target: 'credits', near: 'if (this.retSize > 0) {', what: '0 → 1', why: 'merging is a saving only: a second return due with the only pending one becomes its own entry, due at the same time' },

  // models/iommu/iotlb.ts
  { target: 'iotlb', near: 'clock = 0;', what: '0 → 1', why: 'use times are only compared with each other' },
  { target: 'iotlb', near: 's < end; s++) { if (t[s] === tag', what: '< → <=', why: NEXT_SET },
  { target: 'iotlb', near: 'use[s] < oldest', what: '< → <=', why: 'no two valid entries share a use time (the clock counts up), so no tie to break' },
  { target: 'iotlb', near: 's < this.entries; s++) { if (this.domain[s] === domain) {', what: '< → <=', why: PAST_END },
  { target: 'iotlb', near: 's < this.entries; s++) { const t = this.tag[s]; if (this.domain[s] === domain && t >= firstTag && t <= lastTag) {', what: '< → <=', why: PAST_END },
  { target: 'iotlb', near: 's < this.entries; s++) { const t = this.tag[s]; if (this.domain[s] === domain && t >= firstTag && t <= lastTag &&', what: '< → <=', why: PAST_END },
  { target: 'iotlb', near: 's < c.entries', what: '< → <=', why: PAST_END },
  { target: 'iotlb', near: 'hitClass = -1; hitSlot = NO_SLOT; /**', what: '- → +', why: HIT_ONLY },
  { target: 'iotlb', near: 'hitClass = -1; hitSlot = NO_SLOT; /**', what: '1 → 0', why: HIT_ONLY },
  { target: 'iotlb', near: 'hitClass = -1; hitSlot = NO_SLOT; hits = 0;', what: '- → +', why: HIT_ONLY },
  { target: 'iotlb', near: 'hitClass = -1; hitSlot = NO_SLOT; hits = 0;', what: '1 → 0', why: HIT_ONLY },
  { target: 'iotlb', near: 'for (let k = 0; k < PAGE_SIZE_CLASSES; k++) { const slot = c.find(', what: '< → <=', why: 'a fourth class has no page size: its tag is NaN and matches nothing' },
  { target: 'iotlb', near: 'const TAG_CLASSES = 4', what: '4 → 5', why: 'any stride above the three classes keeps (page, class) tags distinct and decodable' },

  // models/xen/grant-table.ts
  { target: 'grant-table', near: 'export const NO_REF = -1', what: '- → +', why: NO_REF },
  { target: 'grant-table', near: 'export const NO_REF = -1', what: '1 → 0', why: NO_REF },
];
