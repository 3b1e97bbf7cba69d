// A small seeded pseudo-random generator (sfc32, seeded through splitmix32), so a chaos run's
// schedule and every scenario's choices are drawn from one number and a seed replays them.
// `fork(name)` gives an independent stream per consumer: adding a scenario or drawing one more
// number in one place does not shift what every other consumer draws.

/** Splitmix32's mixing step: spreads a 32-bit state into a well-mixed 32-bit output. */
function mix32(state: number): number {
  let z = state | 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

/** FNV-1a of a string, for deriving a stream's seed from a name. */
function hashName(name: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) hash = Math.imul(hash ^ name.charCodeAt(i), 0x01000193);
  return hash >>> 0;
}

/** A deterministic stream of numbers from a 32-bit seed. */
export class SeededRandom {
  #a: number;
  #b: number;
  #c: number;
  #d: number;

  /** `seed` is reduced to 32 bits; equal seeds give equal streams. */
  constructor(readonly seed: number) {
    const base = seed >>> 0;
    this.#a = mix32(base + 0x9e3779b9);
    this.#b = mix32(base + 0x3c6ef372);
    this.#c = mix32(base + 0xdaa66d2b);
    this.#d = mix32(base + 0x78dde6e4);
  }

  /** A number in [0, 1). */
  next(): number {
    // sfc32
    const t = (((this.#a + this.#b) | 0) + this.#d) | 0;
    this.#d = (this.#d + 1) | 0;
    this.#a = this.#b ^ (this.#b >>> 9);
    this.#b = (this.#c + (this.#c << 3)) | 0;
    this.#c = (this.#c << 21) | (this.#c >>> 11);
    this.#c = (this.#c + t) | 0;
    return (t >>> 0) / 4294967296;
  }

  /** An integer in [min, max], both included. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  /** True with probability `p`. */
  chance(p: number): boolean {
    return this.next() < p;
  }

  /** One element of a non-empty array. */
  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new RangeError('pick() from an empty array');
    return items[Math.floor(this.next() * items.length)] as T;
  }

  /** An independent stream named `name`, derived from this stream's seed (not from its position). */
  fork(name: string): SeededRandom {
    return new SeededRandom(mix32(this.seed ^ hashName(name)));
  }
}
