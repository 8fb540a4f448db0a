package dev.allowdns.dns;

import java.util.Arrays;

/**
 * Remembers the last {@code capacity / 2} to {@code capacity} (sandbox, name) pairs seen, as 64-bit
 * hashes in two open-addressing tables: when the newer table is half full, the older one is
 * dropped and the tables swap. 100,000 pairs take 2 MiB here, against about 14 MiB as a cache of
 * objects. A hash collision (about one in 2^64 per pair) makes a new pair look seen. Thread-safe.
 */
final class RecentPairs {
  private static final long EMPTY = 0;

  private final int perTable;
  private final int mask;
  private long[] newer;
  private long[] older;
  private int newerSize;

  /** Holds at least {@code capacity / 2} and at most {@code capacity} pairs. */
  RecentPairs(int capacity) {
    this.perTable = Math.max(1, capacity / 2);
    int slots = Integer.highestOneBit(Math.max(2, perTable) * 2) * 2; // load below one half
    this.mask = slots - 1;
    this.newer = new long[slots];
    this.older = new long[slots];
  }

  /** Returns whether the pair is new (not among the recent ones), remembering it either way. */
  synchronized boolean add(String sandbox, String name) {
    long hash = hash(sandbox, name);
    if (contains(newer, hash)) {
      return false;
    }
    boolean seenBefore = contains(older, hash);
    if (newerSize == perTable) {
      long[] dropped = older;
      Arrays.fill(dropped, EMPTY);
      older = newer;
      newer = dropped;
      newerSize = 0;
    }
    insert(newer, hash);
    newerSize++;
    return !seenBefore;
  }

  private boolean contains(long[] table, long hash) {
    for (int i = (int) hash & mask; table[i] != EMPTY; i = (i + 1) & mask) {
      if (table[i] == hash) {
        return true;
      }
    }
    return false;
  }

  private void insert(long[] table, long hash) {
    int i = (int) hash & mask;
    while (table[i] != EMPTY) {
      i = (i + 1) & mask;
    }
    table[i] = hash;
  }

  /** FNV-1a over both strings with a separator, then a final mix; never {@link #EMPTY}. */
  private static long hash(String sandbox, String name) {
    long h = 0xcbf29ce484222325L;
    h = mix(h, sandbox);
    h = (h ^ 0xffff) * 0x100000001b3L;
    h = mix(h, name);
    h ^= h >>> 33;
    h *= 0xff51afd7ed558ccdL;
    h ^= h >>> 33;
    return h == EMPTY ? 1 : h;
  }

  private static long mix(long h, String s) {
    for (int i = 0; i < s.length(); i++) {
      h = (h ^ s.charAt(i)) * 0x100000001b3L;
    }
    return h;
  }
}
