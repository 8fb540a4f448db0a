package dev.allowdns.limit;

import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.LongFunction;

/**
 * Refusals by a limit, summarised so that a flood cannot flood the disk (DESIGN.md, "Limits"):
 * one record per sandbox, limit and second, with how many there were. The first refusal of a
 * second makes the record (the caller's record type {@code R}, stamped with the second's start);
 * the rest only count. Each second the seconds that are over are handed to the sink, in a thread
 * of its own; {@link #close} hands over the rest. Thread-safe.
 *
 * @param <R> the record type of the log the summaries go to
 */
public final class RefusalSummaries<R> implements AutoCloseable {
  /** One summarised second: the first refusal's record, how many, by which limit. */
  public record Summary<R>(R first, long count, Limit limit, long secondStartMillis) {}

  private record Key(String sandbox, Limit limit, long second) {}

  private static final class Counted<R> {
    final R first;
    final AtomicLong count = new AtomicLong();

    Counted(R first) {
      this.first = first;
    }
  }

  private final ConcurrentMap<Key, Counted<R>> open = new ConcurrentHashMap<>();
  private final Consumer<Summary<R>> sink;
  private final ScheduledExecutorService flusher;

  private RefusalSummaries(String name, Consumer<Summary<R>> sink) {
    this.sink = sink;
    this.flusher =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread thread = new Thread(r, "allowdns-" + name + "-summaries");
              thread.setDaemon(true);
              return thread;
            });
    flusher.scheduleAtFixedRate(() -> flush(System.currentTimeMillis() / 1000), 1, 1, TimeUnit.SECONDS);
  }

  /** Starts summarising into {@code sink} (the record log's writer), flushing each second. */
  public static <R> RefusalSummaries<R> start(String name, Consumer<Summary<R>> sink) {
    return new RefusalSummaries<>(name, sink);
  }

  /**
   * Counts one refusal of {@code sandbox} by {@code limit} at {@code nowMillis}; the first of its
   * second makes its record with {@code first} (given the second's start, epoch milliseconds).
   */
  public void refused(String sandbox, Limit limit, long nowMillis, LongFunction<R> first) {
    long second = Math.floorDiv(nowMillis, 1000);
    open.computeIfAbsent(new Key(sandbox, limit, second), k -> new Counted<>(first.apply(k.second * 1000)))
        .count
        .incrementAndGet();
  }

  /** Hands over every second before {@code currentSecond}. */
  void flush(long currentSecond) {
    try {
      for (Iterator<Map.Entry<Key, Counted<R>>> it = open.entrySet().iterator(); it.hasNext(); ) {
        Map.Entry<Key, Counted<R>> e = it.next();
        if (e.getKey().second < currentSecond) {
          it.remove();
          Key key = e.getKey();
          sink.accept(new Summary<>(e.getValue().first, e.getValue().count.get(), key.limit, key.second * 1000));
        }
      }
    } catch (RuntimeException e) {
      // a sink that failed once must not stop the summaries of every later second
      org.slf4j.LoggerFactory.getLogger(RefusalSummaries.class).warn("refusal summaries: {}", e.toString());
    }
  }

  /** Stops the timer and hands over every second, the current one too. */
  @Override
  public void close() {
    flusher.shutdownNow();
    flush(Long.MAX_VALUE);
  }
}
