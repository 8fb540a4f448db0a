package dev.allowdns.fleet;

import dev.allowdns.config.FeedSource;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import org.xbill.DNS.Name;
import org.xbill.DNS.TSIG;
import org.xbill.DNS.ZoneTransferException;
import org.xbill.DNS.ZoneTransferIn;

/**
 * One zone this server transfers (its policy or an RPZ feed): where from, with which key, and the
 * copy in force. The copy is swapped whole; reads need no lock.
 */
final class Feed {
  private static final Duration TRANSFER_TIMEOUT = Duration.ofSeconds(10);
  /** Retry interval before any SOA has said one. */
  static final Duration FIRST_RETRY = Duration.ofSeconds(10);

  enum Kind {
    POLICY,
    RPZ;

    String label() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  /** A transfer's result: the new copy (or the same one when current) and how it came. */
  record Transfer(ZoneCopy copy, String type) {}

  final Kind kind;
  final FeedSource source;
  final Name origin;
  final TSIG key;
  final Path stateFile;
  private volatile ZoneCopy copy;

  private Feed(Kind kind, FeedSource source, Name origin, TSIG key, Path stateFile, ZoneCopy copy) {
    this.kind = kind;
    this.source = source;
    this.origin = origin;
    this.key = key;
    this.stateFile = stateFile;
    this.copy = copy;
  }

  /**
   * Opens a feed with the last good copy kept under {@code stateDir}, if any.
   *
   * @throws IOException naming a key file or a saved copy that cannot be read
   */
  static Feed open(Kind kind, FeedSource source, Path stateDir) throws IOException {
    Name origin = PolicyExport.absolute(source.zone());
    TSIG key = source.tsigKeyFile() == null ? null : TsigKeyFile.read(source.tsigKeyFile());
    Path file = ZoneCopy.file(stateDir, source.zone());
    return new Feed(kind, source, origin, key, file, ZoneCopy.load(file, origin));
  }

  /** Returns the copy in force, {@code null} before the first good transfer. */
  ZoneCopy copy() {
    return copy;
  }

  void replace(ZoneCopy next) {
    copy = next;
  }

  /**
   * Transfers the zone from the primary: IXFR from the copy's serial when there is a copy (the
   * primary may answer with a full zone, or say the copy is current), else AXFR (RFC 1995 §4).
   *
   * @throws IOException when the primary cannot be reached or refuses (bad TSIG included)
   */
  Transfer fetch() throws IOException {
    ZoneCopy now = copy;
    InetSocketAddress primary = source.primary().socketAddress();
    ZoneTransferIn xfr =
        now == null
            ? ZoneTransferIn.newAXFR(origin, primary, key)
            : ZoneTransferIn.newIXFR(origin, now.serial(), true, primary, key);
    xfr.setTimeout(TRANSFER_TIMEOUT);
    try {
      xfr.run();
    } catch (ZoneTransferException e) {
      throw new IOException(origin + " from " + source.primary() + ": " + e.getMessage(), e);
    }
    try {
      if (xfr.isCurrent()) {
        return new Transfer(now, "current");
      }
      if (xfr.isIXFR()) {
        return new Transfer(now.apply(xfr.getIXFR().stream().map(ZoneCopy.Difference::of).toList()), "ixfr");
      }
      return new Transfer(ZoneCopy.of(origin, xfr.getAXFR()), "axfr");
    } catch (IllegalArgumentException e) {
      throw new IOException(e.getMessage(), e);
    }
  }

  /** Returns when to check the primary again: the SOA's refresh after success, its retry after a failure. */
  Duration next(boolean succeeded) {
    ZoneCopy now = copy;
    if (now == null) {
      return FIRST_RETRY;
    }
    return Duration.ofSeconds(Math.max(1, succeeded ? now.soa().getRefresh() : now.soa().getRetry()));
  }

  @Override
  public String toString() {
    return kind.label() + " zone " + source.zone() + " from " + source.primary();
  }
}
