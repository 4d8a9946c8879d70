/**
 * Where the time went. Models charge the picoseconds each step spends to a
 * named component category ("link", "switch", "root-complex", "iommu",
 * "dram", "hypercall", "ring", "event-channel", ...), so a report can show a
 * latency breakdown and not only a total. Category names are free strings:
 * the ledger does not know what PCIe or Xen is.
 */

/** One line of a breakdown: `fraction` is ps / total (0 when nothing was charged). */
export interface AttributionRow {
  component: string;
  ps: number;
  fraction: number;
}

export interface AttributionJSON {
  transactions: number;
  /** [component, ps] in ascending component order (an array, because JSON objects reorder integer-like keys). */
  charges: [string, number][];
}

/**
 * Plain code-unit order, not localeCompare: the order of a breakdown must not
 * depend on the machine's locale.
 */
function byCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * A ledger of picoseconds per component. Everything that reaches output is
 * read in sorted component order, never in the Map's insertion order, which
 * depends on which component happened to be charged first.
 */
export class Attribution {
  private readonly ps = new Map<string, number>();
  private completed = 0;

  /** Transactions whose span has ended (see `span()`): the divisor for per-transaction averages. */
  get transactions(): number {
    return this.completed;
  }

  /**
   * Adds `ps` picoseconds to `component`. A negative charge is rejected: time
   * spent cannot be un-spent, and a negative value would be a model bug that
   * hides time elsewhere in the breakdown.
   */
  charge(component: string, ps: number): this {
    if (typeof component !== 'string' || component.length === 0) throw new RangeError('component name must be a non-empty string');
    if (!(ps >= 0 && Number.isFinite(ps))) throw new RangeError(`charge to '${component}' must be finite and >= 0 ps, got ${ps}`);
    this.ps.set(component, (this.ps.get(component) ?? 0) + ps);
    return this;
  }

  /** Picoseconds charged to one component (0 if never charged). */
  get(component: string): number {
    return this.ps.get(component) ?? 0;
  }

  /** Sum over components, added in sorted component order so the result does not depend on charge order. */
  total(): number {
    let sum = 0;
    for (const name of this.componentNames()) sum += this.ps.get(name)!;
    return sum;
  }

  /** One row per component charged, sorted by component name. */
  breakdown(): AttributionRow[] {
    const total = this.total();
    return this.componentNames().map((component) => {
      const ps = this.ps.get(component)!;
      return { component, ps, fraction: total > 0 ? ps / total : 0 };
    });
  }

  /** Adds every charge and transaction of `other` to this ledger (in place). */
  merge(other: Attribution): this {
    for (const name of other.componentNames()) this.charge(name, other.ps.get(name)!);
    this.completed += other.completed;
    return this;
  }

  /**
   * A new ledger with every charge multiplied by `factor` (this one is left
   * alone), e.g. `scale(1 / ops)` for the breakdown of an average operation.
   * The transaction count is carried over unscaled.
   */
  scale(factor: number): Attribution {
    if (!(factor >= 0 && Number.isFinite(factor))) throw new RangeError(`scale factor must be finite and >= 0, got ${factor}`);
    const scaled = new Attribution();
    for (const name of this.componentNames()) scaled.ps.set(name, this.ps.get(name)! * factor);
    scaled.completed = this.completed;
    return scaled;
  }

  /** The average transaction's breakdown: scale(1 / transactions). Needs at least one ended span. */
  perTransaction(): Attribution {
    if (this.completed === 0) throw new RangeError('no transaction has ended: nothing to average over');
    return this.scale(1 / this.completed);
  }

  /**
   * Starts attributing one transaction: charges made through the span go to
   * this ledger at once (time spent is spent even if the transaction later
   * fails) and also add up in the span, whose `end()` returns the total.
   * If every delay a transaction waits is charged through its span, its
   * latency equals `end()` exactly (integer ps add exactly below 2^53).
   */
  span(): AttributionSpan {
    return new AttributionSpan(this);
  }

  toJSON(): AttributionJSON {
    return {
      transactions: this.completed,
      charges: this.componentNames().map((name): [string, number] => [name, this.ps.get(name)!]),
    };
  }

  static fromJSON(json: AttributionJSON): Attribution {
    const a = new Attribution();
    if (!(Number.isSafeInteger(json.transactions) && json.transactions >= 0)) {
      throw new RangeError(`invalid attribution JSON: transactions must be a non-negative integer, got ${json.transactions}`);
    }
    if (!Array.isArray(json.charges)) throw new RangeError('invalid attribution JSON: charges must be an array');
    for (const entry of json.charges) {
      if (!Array.isArray(entry) || entry.length !== 2) throw new RangeError('invalid attribution JSON: each charge must be [component, ps]');
      const [name, ps] = entry;
      // toJSON lists each component once; a repeat means a corrupt or hand-edited file, not time to add up.
      if (a.ps.has(name)) throw new RangeError(`invalid attribution JSON: component '${name}' listed twice`);
      a.charge(name, ps);
    }
    a.completed = json.transactions;
    return a;
  }

  /** Counts `n` ended transactions (AttributionSpan.end() counts one; a workload that counts its own transfers, its total). */
  countTransaction(n = 1): void {
    if (!(Number.isSafeInteger(n) && n >= 0)) throw new RangeError(`transactions must be a non-negative integer, got ${n}`);
    this.completed += n;
  }

  private componentNames(): string[] {
    return [...this.ps.keys()].sort(byCodeUnits);
  }
}

/** One transaction's share of a ledger; see `Attribution.span()`. Cheap: two numbers and a reference. */
export class AttributionSpan {
  private elapsedPs = 0;
  private ended = false;

  constructor(private readonly ledger: Attribution) {}

  /** Picoseconds charged through this span so far. */
  get elapsed(): number {
    return this.elapsedPs;
  }

  charge(component: string, ps: number): this {
    if (this.ended) throw new Error(`charge to '${component}' after the span ended`);
    this.ledger.charge(component, ps);
    this.elapsedPs += ps;
    return this;
  }

  /** Closes the span, counts one transaction in the ledger, and returns the span's total in ps. Ending twice is an error. */
  end(): number {
    if (this.ended) throw new Error('span ended twice');
    this.ended = true;
    this.ledger.countTransaction();
    return this.elapsedPs;
  }
}
