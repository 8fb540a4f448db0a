package dev.allowdns.dns;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Ticker;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.cache.CaffeineCacheMetrics;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.function.Function;

/**
 * Upstream answers by question and route, bounded in number. Concurrent misses for one key share
 * one upstream query; an expired answer is refreshed, and served stale (RFC 8767) while the
 * refresh fails, for at most the stale window. Thread-safe.
 *
 * <p>Freshness is judged here from each answer's own TTL, so Caffeine only bounds the size: no
 * per-entry timers on the hit path, and its maintenance runs on the calling thread instead of
 * waking a pool thread.
 */
final class AnswerCache {
  /**
   * What a cache key is made of: the question as rules see it (names compare case-insensitively,
   * RFC 4343), and the route. Its hash is computed once: Caffeine asks for it on the lookup and
   * again for its frequency sketch.
   */
  static final class Key {
    private final String name;
    private final int type;
    private final int dclass;
    private final Route route;
    private final int hash;

    Key(String name, int type, int dclass, Route route) {
      this.name = name;
      this.type = type;
      this.dclass = dclass;
      this.route = route;
      this.hash = ((name.hashCode() * 31 + type) * 31 + dclass) * 31 + route.hashCode();
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Key other
          && hash == other.hash
          && type == other.type
          && dclass == other.dclass
          && name.equals(other.name)
          && route.equals(other.route);
    }

    @Override
    public int hashCode() {
      return hash;
    }

    @Override
    public String toString() {
      return name + "/" + type + "/" + dclass;
    }
  }

  /**
   * An answer and where it came from.
   *
   * @param cached whether it was answered without an upstream query of its own
   * @param stale whether its TTL had run out and the upstreams failed (RFC 8767)
   */
  record Lookup(CachedAnswer answer, boolean cached, boolean stale) {}

  private final Cache<Key, CachedAnswer> cache;
  private final ConcurrentMap<Key, CompletableFuture<CachedAnswer>> fetching =
      new ConcurrentHashMap<>();
  private final Ticker ticker;
  private final long staleMaxNanos;

  AnswerCache(long maxEntries, Duration staleMax, Ticker ticker) {
    this.ticker = ticker;
    this.staleMaxNanos = staleMax.toNanos();
    this.cache =
        Caffeine.newBuilder()
            .maximumSize(maxEntries)
            .executor(Runnable::run)
            .recordStats()
            .build();
  }

  /** Publishes hit, miss, size and eviction meters of the cache. */
  void bindTo(MeterRegistry registry) {
    CaffeineCacheMetrics.monitor(registry, cache, "allowdns_dns_cache");
  }

  /**
   * Returns the cached answer for {@code key}, fetching it with {@code fetch} when absent or
   * expired. The future fails only when the fetch fails and no answer may be served stale.
   */
  CompletableFuture<Lookup> get(Key key, Function<Key, CompletableFuture<CachedAnswer>> fetch) {
    CachedAnswer present = cache.getIfPresent(key);
    long now = ticker.read();
    if (present != null && present.isFresh(now)) {
      return CompletableFuture.completedFuture(new Lookup(present, true, false));
    }
    CompletableFuture<CachedAnswer> fetched = fetchOnce(key, fetch);
    if (present != null && present.isServableStale(now, staleMaxNanos)) {
      return fetched.handle(
          (fresh, error) -> error == null ? new Lookup(fresh, false, false) : new Lookup(present, true, true));
    }
    return fetched.thenApply(fresh -> new Lookup(fresh, false, false));
  }

  /** Starts one upstream fetch per key, however many clients ask while it runs. */
  private CompletableFuture<CachedAnswer> fetchOnce(
      Key key, Function<Key, CompletableFuture<CachedAnswer>> fetch) {
    CompletableFuture<CachedAnswer> mine = new CompletableFuture<>();
    CompletableFuture<CachedAnswer> underway = fetching.putIfAbsent(key, mine);
    if (underway != null) {
      return underway;
    }
    CompletableFuture<CachedAnswer> started;
    try {
      started = fetch.apply(key);
    } catch (RuntimeException e) {
      started = CompletableFuture.failedFuture(e);
    }
    started.whenComplete(
        (fresh, error) -> {
          if (error == null) {
            cache.put(key, fresh);
          }
          fetching.remove(key, mine);
          if (error == null) {
            mine.complete(fresh);
          } else {
            mine.completeExceptionally(error);
          }
        });
    return mine;
  }

  /** Drops every answer (a reload that changes routes or removes names calls this). */
  void invalidateAll() {
    cache.invalidateAll();
  }

  long size() {
    return cache.estimatedSize();
  }
}
