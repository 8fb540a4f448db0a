package dev.allowdns.audit;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One thread's encoder: turns records into JSON lines in a chunk of its own, and keeps its full
 * chunks until the writer takes them. Guarded by its own monitor.
 */
final class LineEncoder extends OutputStream {
  /** Full chunks a thread may have waiting before it waits for the writer. */
  static final int MAX_FULL_CHUNKS = 8;
  /** Writes root values back to back: each record ends with its own newline. */
  private static final JsonFactory LINES = lineFactory();

  /** Made on first use: Jackson databind takes long to load, and most runs never need it. */
  private static final class Json {
    static final ObjectMapper MAPPER =
        new ObjectMapper().setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE);
  }

  private static JsonFactory lineFactory() {
    JsonFactory factory = new JsonFactory();
    factory.setRootValueSeparator(null);
    return factory;
  }

  private final Chunk.Pool pool;
  /** The log's order of writes, shared by its encoders. */
  private final AtomicLong places;
  private Chunk chunk;
  private final List<Chunk> full = new ArrayList<>();
  private JsonGenerator json = newGenerator();
  /** Bytes of the lines waiting here, for callers that must know whether the hold is full. */
  private volatile long pendingBytes;

  LineEncoder(Chunk.Pool pool, AtomicLong places) {
    this.pool = pool;
    this.places = places;
    this.chunk = pool.take();
  }

  private JsonGenerator newGenerator() {
    try {
      return LINES.createGenerator(this);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public void write(int b) {
    chunk.append(new byte[] {(byte) b}, 0, 1);
  }

  @Override
  public void write(byte[] b, int off, int len) {
    chunk.append(b, off, len);
  }

  /**
   * Encodes {@code record} as one line; returns whether that filled a chunk. Callers hold this
   * encoder's monitor.
   *
   * @throws IllegalArgumentException when Jackson cannot encode it; nothing of it is kept
   */
  boolean append(Object record) {
    int start = chunk.length;
    try {
      if (record instanceof JsonLine line) {
        line.writeTo(json);
      } else {
        Json.MAPPER.writeValue(json, record);
      }
      json.writeRaw('\n');
      json.flush();
    } catch (IOException | RuntimeException e) {
      chunk.length = start; // a half-encoded line is never written
      json = newGenerator(); // the old one may hold the rest of it
      throw new IllegalArgumentException("cannot encode record " + record + ": " + e, e);
    }
    // Under this encoder's monitor, which the writer takes before it takes the chunk: a line
    // placed before the writer looked at the count is in what it takes (LineOrder).
    chunk.endLine(places.getAndIncrement());
    pendingBytes += chunk.length - start; // under this encoder's monitor, as is every write of it
    if (chunk.length < Chunk.FULL_BYTES) {
      return false;
    }
    full.add(chunk);
    chunk = pool.take();
    return true;
  }

  synchronized boolean mustWait() {
    return full.size() >= MAX_FULL_CHUNKS;
  }

  /** Moves every pending line into {@code into}, oldest first. */
  synchronized void takeAll(List<Chunk> into) {
    pendingBytes = 0;
    into.addAll(full);
    full.clear();
    if (chunk.records > 0) {
      into.add(chunk);
      chunk = pool.take();
    }
  }

  long pendingBytes() {
    return pendingBytes;
  }

  synchronized int pending() {
    int n = chunk.records;
    for (Chunk c : full) {
      n += c.records;
    }
    return n;
  }
}
