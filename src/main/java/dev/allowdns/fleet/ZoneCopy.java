package dev.allowdns.fleet;

import dev.allowdns.state.StateFile;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.xbill.DNS.Master;
import org.xbill.DNS.Name;
import org.xbill.DNS.Record;
import org.xbill.DNS.SOARecord;
import org.xbill.DNS.Type;
import org.xbill.DNS.ZoneTransferIn;

/**
 * One transferred zone, as a set of records with its SOA. Immutable. Kept in the state directory
 * as a zone file ({@code STATE/transfers/ZONE.zone}) so a restart without the primary still has it.
 */
record ZoneCopy(Name origin, SOARecord soa, List<Record> records) {
  ZoneCopy {
    records = List.copyOf(records);
  }

  /** Returns the copy of the records of a full transfer (AXFR), which start and end with the SOA. */
  static ZoneCopy of(Name origin, List<Record> records) {
    Set<Record> set = new LinkedHashSet<>(records); // an AXFR repeats the SOA at its end
    SOARecord soa = null;
    for (Record record : set) {
      if (record.getType() == Type.SOA && record.getName().equals(origin)) {
        soa = (SOARecord) record;
      }
    }
    if (soa == null) {
      throw new IllegalArgumentException(origin + ": the transfer has no SOA");
    }
    return new ZoneCopy(origin, soa, new ArrayList<>(set));
  }

  long serial() {
    return soa.getSerial();
  }

  /** One difference of an IXFR: from serial {@code start}, records deleted then added (each with its SOA). */
  record Difference(long start, List<Record> deletes, List<Record> adds) {
    static Difference of(ZoneTransferIn.Delta delta) {
      return new Difference(delta.start, delta.deletes, delta.adds);
    }
  }

  /** Returns this copy with the differences of an IXFR applied, in order (RFC 1995 §4). */
  ZoneCopy apply(List<Difference> differences) {
    Set<Record> set = new LinkedHashSet<>(records);
    SOARecord now = soa;
    for (Difference delta : differences) {
      if (delta.start() != now.getSerial()) {
        throw new IllegalArgumentException(
            origin + ": IXFR difference starts at serial " + delta.start() + ", the copy is at " + now.getSerial());
      }
      delta.deletes().stream().filter(r -> r.getType() != Type.SOA).forEach(set::remove);
      for (Record added : delta.adds()) {
        if (added.getType() == Type.SOA) {
          now = (SOARecord) added;
        } else {
          set.add(added);
        }
      }
    }
    SOARecord last = now;
    set.removeIf(r -> r.getType() == Type.SOA);
    List<Record> all = new ArrayList<>();
    all.add(last);
    all.addAll(set);
    return new ZoneCopy(origin, last, all);
  }

  /** Returns the file the copy of {@code zone} is kept in under {@code stateDir}. */
  static Path file(Path stateDir, String zone) {
    return stateDir.resolve("transfers").resolve(zone + ".zone");
  }

  /** Writes the copy to {@code file}, replacing it atomically. */
  void save(Path file) throws IOException {
    StringBuilder text = new StringBuilder();
    text.append("; allowdns: last good copy of ").append(origin).append(" serial ").append(serial()).append('\n');
    for (Record record : records) {
      text.append(record).append('\n');
    }
    StateFile.replace(file, text.toString().getBytes(StandardCharsets.UTF_8));
  }

  /**
   * Reads a copy {@link #save} wrote; {@code null} when there is none yet.
   *
   * @throws IOException naming the file when it cannot be read or parsed
   */
  static ZoneCopy load(Path file, Name origin) throws IOException {
    List<Record> records = new ArrayList<>();
    try (Master master = new Master(file.toString(), origin)) {
      for (Record record = master.nextRecord(); record != null; record = master.nextRecord()) {
        records.add(record);
      }
    } catch (NoSuchFileException | java.io.FileNotFoundException e) {
      return null;
    } catch (IOException | RuntimeException e) {
      throw new IOException(file + ": cannot read the last good copy: " + e.getMessage(), e);
    }
    try {
      return of(origin, records);
    } catch (IllegalArgumentException e) {
      throw new IOException(file + ": " + e.getMessage(), e);
    }
  }
}
