package dev.allowdns.audit;

/**
 * What a record log does while its file fails: how many bytes of records it holds in memory for
 * the file, and what happens once they are full.
 *
 * @param holdBytes bytes of records held (in memory) while the file takes none; once full the log
 *     is <em>unavailable</em> until the file has taken half of them
 * @param failOpen {@code false} (the default): while unavailable, new work is refused ({@link
 *     RecordLog#refusalCause()}) and only the records of work already taken are held, in up to as
 *     much room again; {@code true}: work goes on and each record that does not fit is dropped and
 *     counted ({@link RecordLog#dropped()})
 */
public record HoldPolicy(long holdBytes, boolean failOpen) {
  /** 32 MiB, failing closed. */
  public static final HoldPolicy DEFAULT = new HoldPolicy(32L << 20, false);

  public HoldPolicy {
    if (holdBytes < 1) {
      throw new IllegalArgumentException("the record hold must be at least 1 byte, got " + holdBytes);
    }
  }

  /**
   * The most held at all: room beyond the hold for the records of work taken before it was seen
   * full (queries in flight, open connections, and what the threads encoded while the writer,
   * at the lowest priority, waited for a processor).
   */
  long hardCapBytes() {
    return 2 * holdBytes;
  }
}
