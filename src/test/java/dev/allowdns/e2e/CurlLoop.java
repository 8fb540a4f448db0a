package dev.allowdns.e2e;

import dev.allowdns.testing.netns.Output;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;

/** A curl every 200 ms in the background, until stopped: a sandbox that must be served throughout. */
final class CurlLoop implements AutoCloseable {
  private final AtomicBoolean running = new AtomicBoolean(true);
  private final List<Output> outputs = new ArrayList<>();
  private final Thread thread;

  /** Starts running {@code curl} (one curl, e.g. in a sandbox namespace) every 200 ms. */
  CurlLoop(Supplier<Output> curl) {
    thread = new Thread(() -> {
      while (running.get()) {
        Output out = curl.get();
        synchronized (outputs) {
          outputs.add(out);
        }
        try {
          Thread.sleep(200);
        } catch (InterruptedException e) {
          return;
        }
      }
    }, "curl-loop");
    thread.start();
  }

  /** Stops the loop and returns every curl's output, in order. */
  List<Output> stop() throws InterruptedException {
    running.set(false);
    thread.join(30_000);
    synchronized (outputs) {
      return List.copyOf(outputs);
    }
  }

  @Override
  public void close() throws InterruptedException {
    stop();
  }
}
