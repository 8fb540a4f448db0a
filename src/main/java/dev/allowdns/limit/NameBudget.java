package dev.allowdns.limit;

import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.locks.StampedLock;

/**
 * One sandbox's name budget: the distinct names it asked below each registrable domain in the
 * domain's current hour. Memory is bounded whatever the names are: names are kept as 56-bit keyed
 * hashes in one open-addressing table of at most {@link #MAX_NAMES} (32 KiB), across at most
 * {@link #MAX_DOMAINS} domains; past either bound the least recently used domain is forgotten
 * (its budget starts again). A name already counted is admitted with one table probe, without
 * working out its domain, under an optimistic read (no lock taken: the event loops of one
 * sandbox's queries never wait on each other for a name they asked before); counting a new name
 * takes the write lock. Thread-safe.
 */
final class NameBudget {
  private final StampedLock lock = new StampedLock();
  /** Names held per sandbox; {@code names_per_domain_per_hour} may not exceed it. */
  static final int MAX_NAMES = 2048;
  static final int MAX_DOMAINS = 256;
  static final long HOUR_NANOS = 3_600_000_000_000L;
  private static final int SLOT_BITS = 8; // MAX_DOMAINS = 1 << SLOT_BITS
  private static final long SLOT_MASK = (1L << SLOT_BITS) - 1;
  private static final int TABLE = MAX_NAMES * 2;

  /** Entries are {@code hash(56 bits) << 8 | domain slot}; 0 is empty. */
  private long[] table = new long[64];
  private int size;
  private final Domain[] slots = new Domain[MAX_DOMAINS];
  private final Map<String, Integer> slotOf = new HashMap<>();

  private static final class Domain {
    final String name;
    long windowStart;
    long lastUsed;
    int names;

    Domain(String name, long now) {
      this.name = name;
      this.windowStart = now;
      this.lastUsed = now;
    }
  }

  /**
   * Counts {@code name} (hashed as {@code hash}) against its domain's budget of {@code limit}.
   *
   * @return {@code null} when admitted (counted now or before, this hour), else the registrable
   *     domain whose budget is used up
   */
  String admit(String name, long hash, long now, long limit) {
    long key = hash & ~SLOT_MASK;
    if (key == 0) {
      key = 1L << SLOT_BITS;
    }
    long stamp = lock.tryOptimisticRead();
    if (stamp != 0 && seenThisHour(key, now) && lock.validate(stamp)) {
      return null;
    }
    stamp = lock.writeLock();
    try {
      return count(name, key, now, limit);
    } finally {
      lock.unlockWrite(stamp);
    }
  }

  /** Whether {@code key} was counted in its domain's current hour; may see a torn state: validate after. */
  private boolean seenThisHour(long key, long now) {
    long[] t = table;
    int mask = t.length - 1;
    for (int i = index(key, mask), n = 0; n < t.length; i = (i + 1) & mask, n++) {
      long entry = t[i];
      if (entry == 0) {
        return false;
      }
      if ((entry & ~SLOT_MASK) == key) {
        Domain domain = slots[(int) (entry & SLOT_MASK)];
        if (domain == null || now - domain.windowStart >= HOUR_NANOS) {
          return false;
        }
        domain.lastUsed = now; // recency for eviction only: a lost update is harmless
        return true;
      }
    }
    return false;
  }

  private String count(String name, long key, long now, long limit) {
    int at = find(key);
    if (at >= 0) {
      Domain domain = slots[(int) (table[at] & SLOT_MASK)];
      if (now - domain.windowStart < HOUR_NANOS) {
        domain.lastUsed = now;
        return null;
      }
    }
    String domainName = RegistrableDomain.of(name);
    Integer slot = slotOf.get(domainName);
    if (slot == null) {
      slot = newSlot(domainName, now);
    }
    Domain domain = slots[slot];
    domain.lastUsed = now;
    if (now - domain.windowStart >= HOUR_NANOS) {
      forget(slot); // a new hour for this domain: its names count afresh
      domain.windowStart = now;
    }
    if (domain.names >= limit) {
      return domainName;
    }
    if (size >= MAX_NAMES) {
      evictLeastRecentlyUsedBut(slot);
    }
    insert(key | slot);
    domain.names++;
    return null;
  }

  /** Returns the names counted this hour below the busiest domain, and that domain. */
  Map.Entry<String, Integer> busiest() {
    long stamp = lock.readLock();
    try {
      return busiestLocked();
    } finally {
      lock.unlockRead(stamp);
    }
  }

  private Map.Entry<String, Integer> busiestLocked() {
    Domain top = null;
    for (Domain d : slots) {
      if (d != null && (top == null || d.names > top.names)) {
        top = d;
      }
    }
    return top == null ? null : Map.entry(top.name, top.names);
  }

  int size() {
    long stamp = lock.readLock();
    try {
      return size;
    } finally {
      lock.unlockRead(stamp);
    }
  }

  private int newSlot(String domainName, long now) {
    int free = -1;
    for (int i = 0; i < MAX_DOMAINS && free < 0; i++) {
      if (slots[i] == null) {
        free = i;
      }
    }
    if (free < 0) {
      free = leastRecentlyUsedBut(-1);
      remove(free);
    }
    slots[free] = new Domain(domainName, now);
    slotOf.put(domainName, free);
    return free;
  }

  private void evictLeastRecentlyUsedBut(int keep) {
    while (size >= MAX_NAMES) {
      int victim = leastRecentlyUsedBut(keep);
      if (victim < 0) {
        return; // only the domain being added to holds names: its limit bounds it
      }
      remove(victim);
    }
  }

  private int leastRecentlyUsedBut(int keep) {
    int victim = -1;
    for (int i = 0; i < MAX_DOMAINS; i++) {
      if (i != keep && slots[i] != null && (victim < 0 || slots[i].lastUsed < slots[victim].lastUsed)) {
        victim = i;
      }
    }
    return victim;
  }

  private void remove(int slot) {
    forget(slot);
    slotOf.remove(slots[slot].name);
    slots[slot] = null;
  }

  /**
   * Drops every name of {@code slot} in place (rare: hourly per domain, or an eviction): the
   * entries are cleared, then each entry cut off from its probe start by a cleared one is put
   * back, scanning from an empty position so that no cluster is crossed twice.
   */
  private void forget(int slot) {
    if (slots[slot].names == 0) {
      return;
    }
    for (int i = 0; i < table.length; i++) {
      if (table[i] != 0 && (table[i] & SLOT_MASK) == slot) {
        table[i] = 0;
        size--;
      }
    }
    int mask = table.length - 1;
    int start = 0;
    while (table[start] != 0) {
      start++;
    }
    for (int n = 1; n <= table.length; n++) {
      int i = (start + n) & mask;
      long entry = table[i];
      if (entry != 0 && !reachable(entry, i, mask)) {
        table[i] = 0;
        size--;
        insert(entry);
      }
    }
    slots[slot].names = 0;
  }

  private boolean reachable(long entry, int at, int mask) {
    for (int j = index(entry, mask); j != at; j = (j + 1) & mask) {
      if (table[j] == 0) {
        return false;
      }
    }
    return true;
  }

  private int find(long key) {
    int mask = table.length - 1;
    for (int i = index(key, mask); ; i = (i + 1) & mask) {
      long entry = table[i];
      if (entry == 0) {
        return -1;
      }
      if ((entry & ~SLOT_MASK) == key) {
        return i;
      }
    }
  }

  private void insert(long entry) {
    if ((size + 1) * 2 > table.length && table.length < TABLE) {
      long[] old = table;
      table = new long[old.length * 2];
      size = 0;
      for (long e : old) {
        if (e != 0) {
          insert(e);
        }
      }
    }
    int mask = table.length - 1;
    int i = index(entry, mask);
    while (table[i] != 0) {
      i = (i + 1) & mask;
    }
    table[i] = entry;
    size++;
  }

  private static int index(long key, int mask) {
    return (int) (key >>> 40) & mask; // the hash's high bits: the slot bits stay out
  }
}
