package dev.allowdns.app;

import java.io.IOException;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.FileSystems;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reloads when the zones directory changes ({@code --watch-zones}). Changes are gathered until the
 * directory has been quiet for a moment, so an editor's save (write, rename, chmod) or a
 * deployment that copies many files causes one reload, not a burst of them.
 */
final class ZoneWatcher implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ZoneWatcher.class);
  /** Quiet time after the last change before reloading. */
  static final long SETTLE_MILLIS = 500;

  private final WatchService watcher;
  private final Thread thread;

  private ZoneWatcher(WatchService watcher, Runnable reload) {
    this.watcher = watcher;
    this.thread = new Thread(() -> watch(reload), "allowdns-zone-watcher");
    this.thread.setDaemon(true);
  }

  /** Starts watching {@code zones}; {@code reload} runs on the watcher's own thread. */
  static ZoneWatcher start(Path zones, Runnable reload) throws IOException {
    WatchService watcher = FileSystems.getDefault().newWatchService();
    zones.register(
        watcher,
        StandardWatchEventKinds.ENTRY_CREATE,
        StandardWatchEventKinds.ENTRY_MODIFY,
        StandardWatchEventKinds.ENTRY_DELETE);
    ZoneWatcher zoneWatcher = new ZoneWatcher(watcher, reload);
    zoneWatcher.thread.start();
    return zoneWatcher;
  }

  private void watch(Runnable reload) {
    try {
      while (true) {
        WatchKey key = watcher.take();
        drain(key);
        // Settle: keep collecting until nothing changed for SETTLE_MILLIS.
        WatchKey more;
        while ((more = watcher.poll(SETTLE_MILLIS, TimeUnit.MILLISECONDS)) != null) {
          drain(more);
        }
        try {
          reload.run();
        } catch (RuntimeException e) {
          log.error("reload after a zones change failed", e);
        }
      }
    } catch (InterruptedException | ClosedWatchServiceException e) {
      // closed: stop watching
    }
  }

  private static void drain(WatchKey key) {
    key.pollEvents();
    key.reset();
  }

  @Override
  public void close() {
    try {
      watcher.close();
    } catch (IOException e) {
      log.debug("closing the zone watcher: {}", e.toString());
    }
    thread.interrupt();
  }
}
