/**
 * A value computed from a text (a system prompt's signals, its route name), kept for the last few distinct texts
 * and found by comparing texts with ===, never by hashing them. Applications send the same few system prompts over
 * and over, each in a freshly parsed string: a Map hashes such a string over its whole length at every lookup
 * (~1.2 ns a character: ~0.7 us for a 560-character prompt, ~5 us for 4.5 KB), while === rejects a text of another
 * length at once and compares an equal one with memcmp (24 ns and 150 ns for those two).
 * The oldest text is forgotten first (insertion order), as with the Maps this replaces.
 */
export class RecentTexts<V> {
  private readonly texts: string[] = [];
  private readonly values: V[] = [];
  private next = 0;

  constructor(
    private readonly compute: (text: string) => V,
    private readonly size = 32,
  ) {
    if (!Number.isInteger(size) || size < 1) throw new TypeError('RecentTexts: size must be a positive integer');
  }

  get(text: string): V {
    const texts = this.texts;
    for (let i = 0; i < texts.length; i++) if (texts[i] === text) return this.values[i]!;
    const v = this.compute(text);
    this.texts[this.next] = text;
    this.values[this.next] = v;
    this.next = (this.next + 1) % this.size;
    return v;
  }
}
