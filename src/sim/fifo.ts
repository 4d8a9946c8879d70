/** A first-in first-out queue on a growable ring buffer: O(1) push and shift, unlike Array#shift. */
export class Fifo<T> {
  private items: (T | undefined)[];
  private head = 0;
  private n = 0;

  constructor(initialCapacity = 16) {
    this.items = new Array<T | undefined>(Math.max(2, initialCapacity));
  }

  get length(): number {
    return this.n;
  }

  push(item: T): void {
    if (this.n === this.items.length) this.grow();
    this.items[(this.head + this.n) % this.items.length] = item;
    this.n++;
  }

  peek(): T | undefined {
    return this.n === 0 ? undefined : this.items[this.head];
  }

  shift(): T | undefined {
    if (this.n === 0) return undefined;
    const item = this.items[this.head];
    this.items[this.head] = undefined;
    this.head = (this.head + 1) % this.items.length;
    this.n--;
    return item;
  }

  *[Symbol.iterator](): IterableIterator<T> {
    for (let i = 0; i < this.n; i++) yield this.items[(this.head + i) % this.items.length]!;
  }

  private grow(): void {
    const old = this.items, cap = old.length;
    const next = new Array<T | undefined>(cap * 2);
    for (let i = 0; i < this.n; i++) next[i] = old[(this.head + i) % cap];
    this.items = next;
    this.head = 0;
  }
}
