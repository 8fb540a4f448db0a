package dev.allowdns.ledger;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import com.github.benmanes.caffeine.cache.Ticker;
import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiPredicate;

/**
 * Which names each sandbox was given each address for. An entry lives for max(answer TTL, the
 * minimum TTL), so a client that caches DNS longer than the TTL is not cut off; an expired entry
 * is kept a while longer, so a late connection is refused as {@code expired_dns_answer} rather than
 * {@code no_dns_answer}. Bounded in size. Thread-safe.
 */
public final class Ledger {
  /** How many names one address keeps for one sandbox (CDN addresses serve many names). */
  static final int NAMES_PER_ADDRESS = 16;

  private record Key(String sandbox, InetAddress address) {}

  /** The names of one address for one sandbox, most recently answered first. Immutable. */
  private record Names(List<LedgerEntry> entries, long keepUntilNanos) {}

  private final Cache<Key, Names> entries;
  private final Ticker ticker;
  private final long minTtlNanos;
  private final long keepExpiredNanos;

  /**
   * @param maxAddresses how many (sandbox, address) pairs are kept at most
   * @param minTtl the shortest life of an entry, whatever the answer's TTL
   * @param keepExpired how long an expired entry is kept to explain a refusal
   */
  public Ledger(long maxAddresses, Duration minTtl, Duration keepExpired, Ticker ticker) {
    this.ticker = ticker;
    this.minTtlNanos = minTtl.toNanos();
    this.keepExpiredNanos = keepExpired.toNanos();
    this.entries =
        Caffeine.newBuilder()
            .maximumSize(maxAddresses)
            // Upkeep on the calling event loop, as the answer cache does: handing it to the common
            // pool woke another thread for a few entries at a time (2% of the relay's CPU).
            .executor(Runnable::run)
            .ticker(ticker)
            .expireAfter(
                new Expiry<Key, Names>() {
                  @Override
                  public long expireAfterCreate(Key key, Names names, long now) {
                    return Math.max(0, names.keepUntilNanos() - now);
                  }

                  @Override
                  public long expireAfterUpdate(Key key, Names names, long now, long left) {
                    return Math.max(0, names.keepUntilNanos() - now);
                  }

                  @Override
                  public long expireAfterRead(Key key, Names names, long now, long left) {
                    return left;
                  }
                })
            .build();
  }

  /**
   * Records that {@code sandbox} was told {@code address} for {@code name}. Call it before the
   * answer is sent, so the sandbox can never connect before the relay knows the name.
   */
  public void remember(
      String sandbox,
      InetAddress address,
      String name,
      List<String> chain,
      String rule,
      long generation,
      long ttlSeconds) {
    long now = ticker.read();
    long expiresAt = now + Math.max(Duration.ofSeconds(ttlSeconds).toNanos(), minTtlNanos);
    Key key = new Key(sandbox, address);
    Names present = entries.getIfPresent(key);
    if (present != null && alreadyCovers(present, name, generation, expiresAt)) {
      return; // the common cache-hit case: nothing new to record
    }
    LedgerEntry entry = new LedgerEntry(name, chain, rule, generation, expiresAt);
    entries.asMap().compute(key, (k, old) -> add(old, entry, now));
  }

  /** Returns whether an entry for {@code name} already lasts nearly as long as a new one would. */
  private boolean alreadyCovers(Names present, String name, long generation, long expiresAt) {
    LedgerEntry first = present.entries().get(0);
    // Refreshing at most every 1/8 of the minimum TTL keeps writes rare under load.
    return first.name().equals(name)
        && first.generation() == generation
        && expiresAt - first.expiresAtNanos() < minTtlNanos / 8;
  }

  private Names add(Names old, LedgerEntry entry, long now) {
    List<LedgerEntry> list = new ArrayList<>(NAMES_PER_ADDRESS);
    list.add(entry);
    if (old != null) {
      for (LedgerEntry e : old.entries()) {
        if (list.size() == NAMES_PER_ADDRESS) {
          break;
        }
        if (!e.name().equals(entry.name()) && e.expiresAtNanos() + keepExpiredNanos - now > 0) {
          list.add(e);
        }
      }
    }
    long keepUntil = entry.expiresAtNanos();
    for (LedgerEntry e : list) {
      keepUntil = Math.max(keepUntil, e.expiresAtNanos());
    }
    return new Names(List.copyOf(list), keepUntil + keepExpiredNanos);
  }

  /**
   * Returns what the ledger knows of {@code address} for {@code sandbox}: the names it was given
   * for, most recently answered first, live and expired alike (see {@link LedgerEntry#isLive}).
   * Empty when no answer ever gave it (or the entry is long gone).
   */
  public List<LedgerEntry> lookup(String sandbox, InetAddress address) {
    Names names = entries.getIfPresent(new Key(sandbox, address));
    return names == null ? List.of() : names.entries();
  }

  /** Returns the ticker's time now, to compare with {@link LedgerEntry#isLive}. */
  public long now() {
    return ticker.read();
  }

  /**
   * Drops every entry whose name {@code keep} rejects, e.g. names a reload no longer allows for
   * the sandbox.
   *
   * @param keep tests (sandbox id, name)
   */
  public void retainIf(BiPredicate<String, String> keep) {
    entries
        .asMap()
        .replaceAll(
            (key, names) -> {
              List<LedgerEntry> kept =
                  names.entries().stream().filter(e -> keep.test(key.sandbox(), e.name())).toList();
              return kept.size() == names.entries().size() ? names : new Names(kept, names.keepUntilNanos());
            });
    entries.asMap().values().removeIf(names -> names.entries().isEmpty());
  }

  /** Returns the number of (sandbox, address) pairs held. */
  public long size() {
    return entries.estimatedSize();
  }
}
