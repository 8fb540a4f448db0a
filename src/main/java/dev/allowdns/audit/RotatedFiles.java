package dev.allowdns.audit;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import java.util.zip.CRC32;
import java.util.zip.Deflater;

/**
 * Keeps the rotated files of one record log within its retention: gzips each rotated {@code
 * NAME.DATE.N.jsonl}, then deletes the archives whose last write is older than the maximum age,
 * and the oldest beyond the total size (the first limit a file reaches removes it). Only files
 * named as the rotation names them are touched: never the current file, nor anything else in the
 * directory. Not thread-safe: one caller at a time (the log's archiver thread).
 */
final class RotatedFiles {
  /** Size of each of the compressor's two buffers. */
  private static final int GZIP_BUFFER_BYTES = 64 * 1024;

  private final Path current;
  private final Pattern rotatedName;
  private final long totalBytes;
  private final Duration maxAge;

  /**
   * @param current the file being written, {@code DIR/NAME.jsonl}
   * @param totalBytes cap on the current file and the archives together
   * @param maxAge archives last written longer ago than this are deleted
   */
  RotatedFiles(Path current, long totalBytes, Duration maxAge) {
    Objects.requireNonNull(current, "current");
    if (totalBytes <= 0 || maxAge.isNegative() || maxAge.isZero()) {
      throw new IllegalArgumentException(
          "retention must be bounded and above 0, got total " + totalBytes + " bytes, age " + maxAge);
    }
    this.current = current.toAbsolutePath();
    String file = current.getFileName().toString();
    String name = file.substring(0, file.length() - ".jsonl".length());
    // NAME.DATE.N.jsonl as Logback rotates it; NAME.DATE.N.MILLIS.jsonl.gz after a name clash.
    this.rotatedName =
        Pattern.compile(Pattern.quote(name) + "\\.\\d{4}-\\d{2}-\\d{2}\\.\\d+(\\.\\d+)?\\.jsonl(\\.gz)?");
    this.totalBytes = totalBytes;
    this.maxAge = maxAge;
  }

  /**
   * Compresses the rotated files, then deletes the archives beyond the age or size limit, judged
   * at {@code now}.
   */
  void maintain(Instant now) throws IOException {
    for (Path rotated : rotated(".jsonl")) {
      compress(rotated);
    }
    long oldestKept = now.minus(maxAge).toEpochMilli();
    long total = current.toFile().length();
    for (Path archive : rotated(".jsonl.gz")) { // newest first
      total += archive.toFile().length();
      if (total > totalBytes || modified(archive) < oldestKept) {
        Files.deleteIfExists(archive);
      }
    }
  }

  /** Returns the rotated files with the given ending, newest first. */
  private List<Path> rotated(String ending) throws IOException {
    try (Stream<Path> listing = Files.list(current.getParent())) {
      return listing
          .filter(p -> p.getFileName().toString().endsWith(ending))
          .filter(p -> rotatedName.matcher(p.getFileName().toString()).matches())
          .filter(Files::isRegularFile)
          .sorted(Comparator.comparingLong(RotatedFiles::modified).reversed())
          .toList();
    }
  }

  private static long modified(Path path) {
    return path.toFile().lastModified();
  }

  /** Gzips {@code rotated} to a new {@code .gz} (never over an existing one), then removes it. */
  private static void compress(Path rotated) throws IOException {
    String base = rotated.getFileName().toString();
    Path target = rotated.resolveSibling(base + ".gz");
    if (Files.exists(target)) { // left by an earlier run that started its numbering again
      String stem = base.substring(0, base.length() - ".jsonl".length());
      target = rotated.resolveSibling(stem + "." + System.currentTimeMillis() + ".jsonl.gz");
    }
    Path partial = rotated.resolveSibling(target.getFileName() + ".part");
    try {
      gzip(rotated, partial);
    } catch (NoSuchFileException e) {
      Files.deleteIfExists(partial);
      return; // removed meanwhile (by hand): nothing to keep
    } catch (IOException e) {
      Files.deleteIfExists(partial); // a full disk: the half-written archive would only take space
      throw e;
    }
    // The archive keeps the time of its last record: the age limit is judged by it.
    Files.setLastModifiedTime(partial, Files.getLastModifiedTime(rotated));
    Files.move(partial, target, StandardCopyOption.ATOMIC_MOVE);
    Files.delete(rotated);
  }

  /** The gzip member header (RFC 1952 §2.3): deflate, no flags, no time, no extra flags, OS 0. */
  private static final byte[] GZIP_HEADER = {0x1f, (byte) 0x8b, 8, 0, 0, 0, 0, 0, 0, 0};

  /**
   * Writes {@code from} gzipped (RFC 1952) to {@code to} (replacing it), at the fastest level: at
   * full query rate the query log is tens of MB/s, and level 6 cost the server a fifth of its CPU
   * for files about 20% smaller than level 1 makes them.
   *
   * <p>Through direct buffers only: {@link Deflater} and {@link CRC32} on heap arrays run in JNI
   * critical sections, during which the collector cannot collect the young generation; with the
   * serial collector the resolver's short-lived objects then spilled into the old one and ended in
   * full collections (100+ ms pauses) every few seconds at full query rate.
   */
  static void gzip(Path from, Path to) throws IOException {
    Deflater deflater = new Deflater(Deflater.BEST_SPEED, true); // raw deflate, framed here
    CRC32 crc = new CRC32();
    ByteBuffer in = ByteBuffer.allocateDirect(GZIP_BUFFER_BYTES);
    ByteBuffer out = ByteBuffer.allocateDirect(GZIP_BUFFER_BYTES);
    try (FileChannel source = FileChannel.open(from, StandardOpenOption.READ);
        FileChannel sink =
            FileChannel.open(
                to, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE)) {
      writeFully(sink, ByteBuffer.wrap(GZIP_HEADER));
      long length = 0;
      while (source.read(in) != -1) {
        in.flip();
        length += in.remaining();
        crc.update(in.duplicate());
        // A view of its own: the deflater reads its input's remaining bytes on every call, also
        // while finishing, so clearing the buffer for the next read must not show it stale bytes.
        deflater.setInput(in.duplicate());
        while (!deflater.needsInput()) {
          deflateInto(deflater, out, sink);
        }
        in.clear();
      }
      deflater.finish();
      while (!deflater.finished()) {
        deflateInto(deflater, out, sink);
      }
      ByteBuffer trailer = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
      trailer.putInt((int) crc.getValue()).putInt((int) length).flip(); // ISIZE: length mod 2^32
      writeFully(sink, trailer);
    } finally {
      deflater.end();
    }
  }

  private static void deflateInto(Deflater deflater, ByteBuffer out, FileChannel sink) throws IOException {
    deflater.deflate(out);
    out.flip();
    writeFully(sink, out);
    out.clear();
  }

  private static void writeFully(FileChannel sink, ByteBuffer bytes) throws IOException {
    while (bytes.hasRemaining()) {
      sink.write(bytes);
    }
  }
}
