package dev.allowdns.identity;

import dev.allowdns.sandbox.Sandbox;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link SocketOwners} through {@code /proc} on two lookup threads of its own, with a bounded
 * queue: when lookups pile up (a flood of refusals), the new ones are answered {@code null} at once
 * instead of waiting, and a lookup that runs past its budget stops scanning.
 */
final class ProcSocketOwners implements SocketOwners {
  private static final Logger log = LoggerFactory.getLogger(ProcSocketOwners.class);
  private static final Path PROC = Path.of("/proc");
  private static final int THREADS = 2;
  private static final int QUEUE = 256;

  private final boolean all;
  private final Duration budget;
  private final ThreadPoolExecutor executor;

  ProcSocketOwners(boolean all, Duration budget) {
    this.all = all;
    this.budget = budget;
    AtomicInteger n = new AtomicInteger();
    this.executor =
        new ThreadPoolExecutor(
            THREADS,
            THREADS,
            0,
            TimeUnit.MILLISECONDS,
            new ArrayBlockingQueue<>(QUEUE),
            r -> {
              Thread t = new Thread(r, "process-identity-" + n.incrementAndGet());
              t.setDaemon(true);
              return t;
            },
            new ThreadPoolExecutor.AbortPolicy());
    // A first lookup loads and warms the scan's classes, so the first refusal does not pay it.
    executor.execute(
        () -> {
          try {
            new ProcScan(PROC, System.nanoTime() + Duration.ofSeconds(2).toNanos())
                .find(PROC.resolve("self/ns/net"), Transport.TCP, WARM_UP, WARM_UP);
          } catch (ProcScan.OutOfTime | RuntimeException e) {
            // only a warm-up
          }
        });
  }

  private static final InetSocketAddress WARM_UP = new InetSocketAddress(0);

  @Override
  public boolean wanted(Sandbox sandbox, boolean refused) {
    return sandbox != null && sandbox.netns() != null && (refused || all);
  }

  @Override
  public CompletableFuture<ProcessOwner> find(
      Sandbox sandbox, Transport transport, InetSocketAddress sandboxSide, InetSocketAddress peer) {
    CompletableFuture<ProcessOwner> owner = new CompletableFuture<>();
    if (sandbox == null || sandbox.netns() == null) {
      owner.complete(null); // a microVM: its processes are not ours to see, never guessed
      return owner;
    }
    long deadline = System.nanoTime() + budget.toNanos();
    try {
      executor.execute(
          () -> {
            try {
              long t0 = System.nanoTime();
              ProcessOwner found = new ProcScan(PROC, deadline).find(Path.of(sandbox.netns()), transport, sandboxSide, peer);
              log.debug("lookup {} {} -> {} in {} us: {}", transport, sandboxSide, peer, (System.nanoTime() - t0) / 1000, found);
              owner.complete(found);
            } catch (ProcScan.OutOfTime e) {
              log.debug("process lookup for {} ran out of time", sandboxSide);
              owner.complete(null);
            } catch (RuntimeException e) {
              log.debug("process lookup for {} failed", sandboxSide, e);
              owner.complete(null);
            }
          });
    } catch (RejectedExecutionException e) {
      owner.complete(null); // lookups are piling up: go without, never make the refusal wait
      return owner;
    }
    // The budget holds even for a lookup that waits in the queue.
    return owner.completeOnTimeout(null, budget.toNanos(), TimeUnit.NANOSECONDS);
  }

  @Override
  public void close() {
    executor.shutdownNow();
  }
}
