package dev.allowdns.dns;

import com.github.benmanes.caffeine.cache.AsyncCache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import com.github.benmanes.caffeine.cache.Ticker;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.cache.CaffeineCacheMetrics;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.function.Function;
import org.xbill.DNS.Name;

/**
 * Upstream answers by question and route. Concurrent misses for one key share one upstream query;
 * an expired answer is refreshed, and served stale (RFC 8767) while the refresh fails, for at most
 * the stale window. Thread-safe.
 */
final class AnswerCache {
  /** What a cache key is made of: never a formatted string. */
  record Key(Name name, int type, int dclass, Route route) {}

  /**
   * An answer and where it came from.
   *
   * @param cached whether it was answered without an upstream query of its own
   * @param stale whether its TTL had run out and the upstreams failed (RFC 8767)
   */
  record Lookup(CachedAnswer answer, boolean cached, boolean stale) {}

  private final AsyncCache<Key, CachedAnswer> cache;
  private final ConcurrentMap<Key, CompletableFuture<CachedAnswer>> refreshing =
      new ConcurrentHashMap<>();
  private final Ticker ticker;
  private final long staleMaxNanos;

  AnswerCache(long maxEntries, Duration staleMax, Ticker ticker) {
    this.ticker = ticker;
    this.staleMaxNanos = staleMax.toNanos();
    this.cache =
        Caffeine.newBuilder()
            .maximumSize(maxEntries)
            .ticker(ticker)
            .recordStats()
            .expireAfter(
                new Expiry<Key, CachedAnswer>() {
                  @Override
                  public long expireAfterCreate(Key key, CachedAnswer answer, long now) {
                    return answer.keepNanos(staleMaxNanos);
                  }

                  @Override
                  public long expireAfterUpdate(Key key, CachedAnswer answer, long now, long left) {
                    return answer.keepNanos(staleMaxNanos);
                  }

                  @Override
                  public long expireAfterRead(Key key, CachedAnswer answer, long now, long left) {
                    return left;
                  }
                })
            .buildAsync();
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
    CompletableFuture<CachedAnswer> present = cache.getIfPresent(key);
    if (present != null && present.isDone() && !present.isCompletedExceptionally()) {
      CachedAnswer answer = present.join();
      if (answer.isFresh(ticker.read())) {
        return CompletableFuture.completedFuture(new Lookup(answer, true, false));
      }
      return refresh(key, fetch)
          .handle(
              (fresh, error) -> {
                if (error == null) {
                  return new Lookup(fresh, false, false);
                }
                return new Lookup(answer, true, true); // still within the stale window: it is cached
              });
    }
    boolean[] loaded = {false};
    return cache
        .get(
            key,
            (k, executor) -> {
              loaded[0] = true;
              // A failed load must not stay cached; null (rather than an exception, which
              // Caffeine would log with a stack trace on every upstream failure) removes it.
              return fetch.apply(k).exceptionally(error -> null);
            })
        .thenApply(
            answer -> {
              if (answer == null) {
                throw new CompletionException(new IOException("no upstream answered for " + key.name()));
              }
              return new Lookup(answer, !loaded[0] && present != null, false);
            });
  }

  private CompletableFuture<CachedAnswer> refresh(
      Key key, Function<Key, CompletableFuture<CachedAnswer>> fetch) {
    CompletableFuture<CachedAnswer> mine = new CompletableFuture<>();
    CompletableFuture<CachedAnswer> underway = refreshing.putIfAbsent(key, mine);
    if (underway != null) {
      return underway; // one refresh per key, however many clients ask meanwhile
    }
    fetch
        .apply(key)
        .whenComplete(
            (fresh, error) -> {
              refreshing.remove(key, mine);
              if (error == null) {
                cache.put(key, CompletableFuture.completedFuture(fresh));
                mine.complete(fresh);
              } else {
                mine.completeExceptionally(error);
              }
            });
    return mine;
  }

  /** Drops every answer (a reload that changes routes or removes names calls this). */
  void invalidateAll() {
    cache.synchronous().invalidateAll();
  }

  long size() {
    return cache.synchronous().estimatedSize();
  }
}
