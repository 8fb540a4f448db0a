package dev.allowdns.audit;

import java.util.ArrayDeque;
import java.util.Arrays;

/**
 * Bytes of whole JSON lines, and where each ends. Filled by one thread's encoder, then owned by
 * the writer until the file has taken every byte of it; {@link #writtenBytes} says how far it got.
 */
final class Chunk {
  /** A thread's chunk is handed over whole once it holds this much. */
  static final int FULL_BYTES = 128 * 1024;

  byte[] bytes = new byte[FULL_BYTES + 4096];
  int length;
  int records;
  /** The offset just past each line. */
  int[] lineEnds = new int[1024];
  /** Each line's place in the log's order of writes (ascending within a chunk). */
  long[] sequence = new long[1024];
  /** Bytes the file has taken, from the start. */
  int writtenBytes;
  /** Lines the file has taken whole. */
  int writtenLines;

  void endLine(long place) {
    if (records == lineEnds.length) {
      lineEnds = Arrays.copyOf(lineEnds, records * 2);
      sequence = Arrays.copyOf(sequence, records * 2);
    }
    sequence[records] = place;
    lineEnds[records++] = length;
  }

  /** Returns where line {@code i} starts. */
  int lineStart(int i) {
    return i == 0 ? 0 : lineEnds[i - 1];
  }

  /** Appends line {@code i} of {@code from}. */
  void appendLine(Chunk from, int i) {
    int start = from.lineStart(i);
    append(from.bytes, start, from.lineEnds[i] - start);
    endLine(from.sequence[i]);
  }

  void append(byte[] b, int off, int len) {
    if (length + len > bytes.length) {
      bytes = Arrays.copyOf(bytes, Math.max(bytes.length * 2, length + len));
    }
    System.arraycopy(b, off, bytes, length, len);
    length += len;
  }

  /** Bytes that can be appended without growing the array. */
  int room() {
    return bytes.length - length;
  }

  /** Appends every line of {@code other} (which the file has not begun to take). */
  void appendLines(Chunk other) {
    int base = length;
    append(other.bytes, 0, other.length);
    for (int i = 0; i < other.records; i++) {
      length = base + other.lineEnds[i];
      endLine(other.sequence[i]);
    }
    length = base + other.length;
  }

  int unwrittenRecords() {
    return records - writtenLines;
  }

  void clear() {
    length = 0;
    records = 0;
    writtenBytes = 0;
    writtenLines = 0;
  }

  /** Emptied chunks for reuse, a bounded number: a drained hold must not stay in memory. */
  static final class Pool {
    private static final int KEPT = 64;
    private final ArrayDeque<Chunk> spare = new ArrayDeque<>();

    synchronized Chunk take() {
      Chunk chunk = spare.poll();
      return chunk == null ? new Chunk() : chunk;
    }

    synchronized void give(Chunk chunk) {
      if (spare.size() < KEPT && chunk.bytes.length <= 2 * FULL_BYTES) {
        chunk.clear();
        spare.push(chunk);
      }
    }
  }
}
