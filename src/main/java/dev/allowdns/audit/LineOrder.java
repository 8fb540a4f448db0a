package dev.allowdns.audit;

import java.util.ArrayList;
import java.util.List;

/**
 * Puts the lines of all threads back into the order they were written in: each line has its
 * place ({@link Chunk#sequence}), taken under its thread's encoder monitor. A round of the writer
 * first reads how many places were given (the horizon), then takes every thread's chunks: every
 * line placed before the horizon is then among them, so the lines before it can go to the file in
 * order, and the lines after it wait for the next round. Not thread-safe: the writer alone uses it.
 */
final class LineOrder {
  private final Chunk.Pool pool;
  /** Lines past an earlier round's horizon, each chunk one thread's, in order. */
  private List<Chunk> waiting = new ArrayList<>();
  private int waitingRecords;

  LineOrder(Chunk.Pool pool) {
    this.pool = pool;
  }

  /** Records kept for a later round. */
  int waitingRecords() {
    return waitingRecords;
  }

  /**
   * Returns, in the order written, the lines before {@code horizon} of the chunks kept from
   * earlier rounds and of {@code taken}; keeps the rest for the next call.
   */
  List<Chunk> before(long horizon, List<Chunk> taken) {
    List<Chunk> runs = waiting;
    runs.addAll(taken);
    waiting = new ArrayList<>();
    waitingRecords = 0;
    if (inOrderAndBefore(runs, horizon)) {
      return runs; // one thread only, or threads that took turns: nothing to merge
    }
    List<Chunk> merged = new ArrayList<>();
    Chunk out = null;
    int[] next = new int[runs.size()];
    while (true) {
      int pick = -1;
      for (int r = 0; r < runs.size(); r++) {
        Chunk run = runs.get(r);
        if (next[r] < run.records && run.sequence[next[r]] < horizon
            && (pick < 0 || run.sequence[next[r]] < runs.get(pick).sequence[next[pick]])) {
          pick = r;
        }
      }
      if (pick < 0) {
        break;
      }
      if (out == null || out.length >= Chunk.FULL_BYTES) {
        out = pool.take();
        merged.add(out);
      }
      out.appendLine(runs.get(pick), next[pick]++);
    }
    for (int r = 0; r < runs.size(); r++) {
      Chunk run = runs.get(r);
      if (next[r] < run.records) { // the lines past the horizon: a tail of this run
        Chunk rest = pool.take();
        for (int i = next[r]; i < run.records; i++) {
          rest.appendLine(run, i);
        }
        waiting.add(rest);
        waitingRecords += rest.records;
      }
      pool.give(run);
    }
    return merged;
  }

  private static boolean inOrderAndBefore(List<Chunk> runs, long horizon) {
    long last = -1;
    for (Chunk run : runs) {
      if (run.records == 0) {
        continue;
      }
      if (run.sequence[0] < last || run.sequence[run.records - 1] >= horizon) {
        return false;
      }
      last = run.sequence[run.records - 1];
    }
    return true;
  }
}
