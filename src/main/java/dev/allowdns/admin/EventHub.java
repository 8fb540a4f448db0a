package dev.allowdns.admin;

import dev.allowdns.audit.RecordLog;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Fans record lines out to live viewers ({@code GET /events}, {@code allowdns logs follow}).
 * Each viewer has a bounded queue: a viewer that cannot keep up loses lines (counted), never the
 * writer: the files on disk are the record, this is a view. Thread-safe.
 */
public final class EventHub implements RecordLog.LineListener {
  static final int VIEWER_QUEUE = 10_000;

  /** One viewer's queue of lines. */
  static final class Viewer {
    final BlockingQueue<String> lines = new ArrayBlockingQueue<>(VIEWER_QUEUE);
    final AtomicLong dropped = new AtomicLong();
  }

  private final Set<Viewer> viewers = ConcurrentHashMap.newKeySet();

  @Override
  public boolean listening() {
    return !viewers.isEmpty();
  }

  /** Offers one line to every viewer. */
  @Override
  public void accept(String line) {
    for (Viewer viewer : viewers) {
      if (!viewer.lines.offer(line)) {
        viewer.dropped.incrementAndGet();
      }
    }
  }

  Viewer join() {
    Viewer viewer = new Viewer();
    viewers.add(viewer);
    return viewer;
  }

  void leave(Viewer viewer) {
    viewers.remove(viewer);
  }

  int viewers() {
    return viewers.size();
  }
}
