package dev.allowdns.audit;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;

/**
 * The lines a record log has taken from its threads and the file has not (yet): kept in order
 * and handed to the file piece by piece. While the file fails they stay here; small chunks are
 * packed into the last one, so the memory held stays within about twice the bytes held. Not
 * thread-safe: the log's writer thread alone uses it.
 */
final class Hold {
  /** Largest single append: a file never outgrows its rotation size by more than this. */
  static final int APPEND_BYTES = 64 * 1024;

  /** Hears of every line the file took whole, in order. */
  interface Delivered {
    void lines(Chunk chunk, int fromLine, int toLine);
  }

  private final ArrayDeque<Chunk> chunks = new ArrayDeque<>();
  private final Chunk.Pool pool;
  private long bytes;
  private int records;

  Hold(Chunk.Pool pool) {
    this.pool = pool;
  }

  boolean isEmpty() {
    return chunks.isEmpty();
  }

  /** Bytes held that the file has not taken. */
  long bytes() {
    return bytes;
  }

  /** Records held that the file has not taken whole. */
  int records() {
    return records;
  }

  /** Adds a chunk fresh from a thread, after every line held already. */
  void add(Chunk chunk) {
    Chunk last = chunks.peekLast();
    bytes += chunk.length;
    records += chunk.records;
    if (last != null && last.room() >= chunk.length) {
      last.appendLines(chunk);
      pool.give(chunk);
    } else {
      chunks.addLast(chunk);
    }
  }

  /**
   * Hands every held line to {@code file}, in order, telling {@code delivered} of each the file
   * took whole.
   *
   * @throws IOException when the file fails; what it took is accounted, the rest stays held
   */
  void writeTo(RecordFile file, Delivered delivered) throws IOException {
    while (!chunks.isEmpty()) {
      Chunk chunk = chunks.peekFirst();
      while (chunk.writtenBytes < chunk.length) {
        if (atLineBoundary(chunk)) {
          file.rotateIfDue();
        }
        int end = pieceEnd(chunk);
        ByteBuffer piece = ByteBuffer.wrap(chunk.bytes, chunk.writtenBytes, end - chunk.writtenBytes);
        try {
          file.write(piece);
        } finally {
          advance(chunk, piece.position(), delivered);
        }
      }
      chunks.removeFirst();
      pool.give(chunk);
    }
  }

  /** Drops every held line; returns how many records were held. */
  int discard() {
    int dropped = records;
    while (!chunks.isEmpty()) {
      pool.give(chunks.removeFirst());
    }
    bytes = 0;
    records = 0;
    return dropped;
  }

  private static boolean atLineBoundary(Chunk chunk) {
    return chunk.writtenLines == 0
        ? chunk.writtenBytes == 0
        : chunk.lineEnds[chunk.writtenLines - 1] == chunk.writtenBytes;
  }

  /** Returns the end of the next piece: whole lines of at most {@link #APPEND_BYTES}, at least one. */
  private static int pieceEnd(Chunk chunk) {
    int line = chunk.writtenLines;
    int end = chunk.lineEnds[line];
    while (line + 1 < chunk.records && chunk.lineEnds[line + 1] - chunk.writtenBytes <= APPEND_BYTES) {
      end = chunk.lineEnds[++line];
    }
    return end;
  }

  private void advance(Chunk chunk, int writtenTo, Delivered delivered) {
    bytes -= writtenTo - chunk.writtenBytes;
    chunk.writtenBytes = writtenTo;
    int from = chunk.writtenLines;
    while (chunk.writtenLines < chunk.records && chunk.lineEnds[chunk.writtenLines] <= writtenTo) {
      chunk.writtenLines++;
    }
    if (chunk.writtenLines > from) {
      records -= chunk.writtenLines - from;
      delivered.lines(chunk, from, chunk.writtenLines);
    }
  }
}
