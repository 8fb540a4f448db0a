package dev.allowdns.fleet;

import dev.allowdns.config.Limits;
import dev.allowdns.config.LimitsConfig;
import dev.allowdns.policy.ZoneSource;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.xbill.DNS.DClass;
import org.xbill.DNS.NSRecord;
import org.xbill.DNS.Name;
import org.xbill.DNS.Record;
import org.xbill.DNS.SOARecord;
import org.xbill.DNS.TXTRecord;
import org.xbill.DNS.TextParseException;
import org.xbill.DNS.Type;

/**
 * Maps a zones directory and its {@code policies:} map to the records of one DNS zone and back,
 * losslessly, so any primary can serve a policy and every secondary rebuilds the same zone texts,
 * with the same {@code file:line}.
 *
 * <p>The layout below the origin {@code ORIGIN}:
 * <pre>
 * ORIGIN                   SOA, NS
 * _allowdns.ORIGIN         TXT "allowdns-policy 1"            the layout's version
 * 0.KEY.zones.ORIGIN       TXT "zones/npm.zone"               the file the zone was read from
 * N.KEY.zones.ORIGIN       TXT "line N, verbatim"             one record per line, N from 1
 * _policies.ORIGIN         TXT "default" "npm" "pypi"         one record per policy, zones in order
 * _limits.ORIGIN           TXT "*" "dns_qps=200" …            the limits: "*" for every sandbox,
 *                          TXT "strict" "dns_qps=20" …        then each policy's own (merged)
 * </pre>
 * KEY is the zone's name in lower case (its dots make more labels). Every line is carried as
 * written, comments and blank lines included, so directives this version does not know pass
 * through unchanged; a line longer than 255 bytes is split over several strings of its record
 * (RFC 1035 §3.3.14), which are joined again. One owner name per line keeps the records distinct
 * (an RRset holds no duplicates) and makes a one-line change a two-record IXFR.
 */
final class PolicyZone {
  static final String VERSION = "allowdns-policy 1";
  private static final String VERSION_LABEL = "_allowdns";
  private static final String POLICIES_LABEL = "_policies";
  private static final String LIMITS_LABEL = "_limits";
  private static final String EVERY_SANDBOX = "*";
  private static final String ZONES_LABEL = "zones";
  private static final int MAX_STRING = 255;

  private PolicyZone() {}

  /** The SOA fields the operator chooses. */
  record Soa(long serial, long refresh, long retry, long expire, long minimum) {}

  /**
   * What a policy zone carries: the zone texts, the policies map and the limits ({@code null}
   * when the zone has none: exported before limits, or by a primary that says none).
   */
  record Contents(
      long serial, List<ZoneSource> sources, Map<String, List<String>> policies, LimitsConfig limits) {}

  /**
   * Returns the records of the policy zone {@code origin}, apex first.
   *
   * @throws IllegalArgumentException naming a zone whose name cannot be a DNS owner name, or two
   *     zones whose names differ only in case
   */
  static List<Record> encode(
      Name origin, Soa soa, long ttl, List<ZoneSource> sources, Map<String, List<String>> policies) {
    return encode(origin, soa, ttl, sources, policies, null);
  }

  /** Returns the records like {@link #encode(Name, Soa, long, List, Map)}, with {@code limits} ({@code null}: none). */
  static List<Record> encode(
      Name origin, Soa soa, long ttl, List<ZoneSource> sources, Map<String, List<String>> policies,
      LimitsConfig limits) {
    List<Record> records = new ArrayList<>();
    Name ns = child("ns", origin);
    records.add(
        new SOARecord(origin, DClass.IN, ttl, ns, child("hostmaster", origin), soa.serial(), soa.refresh(),
            soa.retry(), soa.expire(), soa.minimum()));
    records.add(new NSRecord(origin, DClass.IN, ttl, ns));
    records.add(new TXTRecord(child(VERSION_LABEL, origin), DClass.IN, ttl, VERSION));
    Map<String, String> keys = new HashMap<>();
    Name zonesName = child(ZONES_LABEL, origin);
    for (ZoneSource source : sources) {
      String key = source.zoneName().toLowerCase(Locale.ROOT);
      String other = keys.putIfAbsent(key, source.file());
      if (other != null) {
        throw new IllegalArgumentException(
            source.file() + ": zone name differs from " + other + "'s only in case (DNS names ignore case)");
      }
      Name keyName;
      try {
        keyName = Name.concatenate(Name.fromString(key), zonesName);
      } catch (TextParseException | org.xbill.DNS.NameTooLongException e) {
        throw new IllegalArgumentException(source.file() + ": zone name cannot be a DNS name: " + e.getMessage(), e);
      }
      records.add(text(child("0", keyName), ttl, source.file()));
      for (int i = 0; i < source.lines().size(); i++) {
        records.add(text(child(Integer.toString(i + 1), keyName), ttl, source.lines().get(i)));
      }
    }
    Name policiesName = child(POLICIES_LABEL, origin);
    for (Map.Entry<String, List<String>> policy : new TreeMap<>(policies).entrySet()) {
      List<byte[]> strings = new ArrayList<>();
      strings.add(utf8(policy.getKey()));
      policy.getValue().forEach(zone -> strings.add(utf8(zone)));
      records.add(txt(policiesName, ttl, strings));
    }
    if (limits != null) {
      Name limitsName = child(LIMITS_LABEL, origin);
      records.add(limitsRecord(limitsName, ttl, EVERY_SANDBOX, limits.global()));
      new TreeMap<>(limits.policies()).forEach((policy, own) -> records.add(limitsRecord(limitsName, ttl, policy, own)));
    }
    return records;
  }

  private static Record limitsRecord(Name owner, long ttl, String policy, Limits limits) {
    List<byte[]> strings = new ArrayList<>();
    strings.add(utf8(policy));
    limits.asMap().forEach((key, value) -> strings.add(utf8(key + "=" + Limits.configText(key, value))));
    return txt(owner, ttl, strings);
  }

  /**
   * Rebuilds what {@link #encode} wrote from the records of a transferred zone, in any order.
   *
   * @throws IllegalArgumentException saying which record does not fit the layout
   */
  static Contents decode(Name origin, List<Record> records) {
    SOARecord soa = null;
    boolean versioned = false;
    Map<String, TreeMap<Integer, String>> linesByKey = new LinkedHashMap<>();
    Map<String, List<String>> policies = new TreeMap<>();
    Name zonesName = child(ZONES_LABEL, origin);
    Name policiesName = child(POLICIES_LABEL, origin);
    Name limitsName = child(LIMITS_LABEL, origin);
    Map<String, Map<String, String>> limits = new TreeMap<>();
    for (Record record : records) {
      Name owner = record.getName();
      if (record.getType() == Type.SOA && owner.equals(origin)) {
        soa = (SOARecord) record;
        continue;
      }
      if (record.getType() != Type.TXT) {
        continue; // NS at the apex, and whatever a primary adds (DNSSEC): not policy
      }
      List<byte[]> strings = ((TXTRecord) record).getStringsAsByteArrays();
      if (owner.equals(child(VERSION_LABEL, origin))) {
        String version = text(strings, record);
        if (!version.equals(VERSION)) {
          throw new IllegalArgumentException(
              owner + ": layout '" + version + "', expected '" + VERSION + "' (a newer allowdns exported it?)");
        }
        versioned = true;
      } else if (owner.equals(policiesName)) {
        List<String> values = strings.stream().map(s -> decodeUtf8(s, record)).toList();
        if (values.isEmpty() || policies.put(values.get(0), values.subList(1, values.size())) != null) {
          throw new IllegalArgumentException(owner + ": policy '" + values.get(0) + "' given twice");
        }
      } else if (owner.equals(limitsName)) {
        List<String> values = strings.stream().map(s -> decodeUtf8(s, record)).toList();
        Map<String, String> said = new LinkedHashMap<>();
        for (String pair : values.subList(Math.min(1, values.size()), values.size())) {
          int eq = pair.indexOf('=');
          if (eq < 1) {
            throw new IllegalArgumentException(owner + ": expected key=value, got '" + pair + "'");
          }
          said.put(pair.substring(0, eq), pair.substring(eq + 1));
        }
        if (values.isEmpty() || limits.put(values.get(0), said) != null) {
          throw new IllegalArgumentException(owner + ": limits of '" + (values.isEmpty() ? "" : values.get(0)) + "' given twice");
        }
      } else if (owner.subdomain(zonesName) && owner.labels() >= zonesName.labels() + 2) {
        String lineLabel = owner.getLabelString(0);
        int line;
        try {
          line = Integer.parseInt(lineLabel);
        } catch (NumberFormatException e) {
          throw new IllegalArgumentException(owner + ": expected a line number as first label, got '" + lineLabel + "'");
        }
        String key = keyOf(owner, zonesName);
        if (linesByKey.computeIfAbsent(key, k -> new TreeMap<>()).put(line, text(strings, record)) != null) {
          throw new IllegalArgumentException(owner + ": more than one record for one line");
        }
      } else {
        throw new IllegalArgumentException(owner + ": TXT outside the policy layout");
      }
    }
    if (soa == null) {
      throw new IllegalArgumentException(origin + ": no SOA at the apex");
    }
    if (!versioned) {
      throw new IllegalArgumentException(child(VERSION_LABEL, origin) + ": missing; is this an allowdns policy zone?");
    }
    List<ZoneSource> sources = new ArrayList<>();
    for (Map.Entry<String, TreeMap<Integer, String>> zone : linesByKey.entrySet()) {
      sources.add(source(zone.getKey(), zonesName, zone.getValue()));
    }
    sources.sort(Comparator.comparing(s -> s.file().substring(s.file().lastIndexOf('/') + 1)));
    LimitsConfig limitsConfig = null;
    if (!limits.isEmpty()) {
      Map<String, String> global = limits.remove(EVERY_SANDBOX);
      try {
        limitsConfig = LimitsConfig.parse(global, limits);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(limitsName + ": " + e.getMessage(), e);
      }
    }
    return new Contents(soa.getSerial(), sources, policies, limitsConfig);
  }

  private static ZoneSource source(String key, Name zonesName, TreeMap<Integer, String> lines) {
    String owner = key + "." + zonesName;
    String file = lines.remove(0);
    if (file == null) {
      throw new IllegalArgumentException("0." + owner + ": missing (it names the zone's file)");
    }
    if (!file.endsWith(".zone") || !new ZoneSource(file, List.of()).zoneName().toLowerCase(Locale.ROOT).equals(key)) {
      throw new IllegalArgumentException("0." + owner + ": file '" + file + "' does not name zone " + key);
    }
    int last = lines.isEmpty() ? 0 : lines.lastKey();
    if (lines.size() != last || (last > 0 && lines.firstKey() != 1)) {
      throw new IllegalArgumentException(owner + ": lines 1.." + last + " expected, " + lines.size() + " present");
    }
    return new ZoneSource(file, new ArrayList<>(lines.values()));
  }

  private static String keyOf(Name owner, Name zonesName) {
    StringBuilder key = new StringBuilder();
    for (int i = 1; i < owner.labels() - zonesName.labels(); i++) {
      key.append(i > 1 ? "." : "").append(owner.getLabelString(i).toLowerCase(Locale.ROOT));
    }
    return key.toString();
  }

  private static Record text(Name owner, long ttl, String value) {
    byte[] bytes = utf8(value);
    List<byte[]> strings = new ArrayList<>();
    for (int from = 0; from < bytes.length || strings.isEmpty(); from += MAX_STRING) {
      strings.add(Arrays.copyOfRange(bytes, from, Math.min(bytes.length, from + MAX_STRING)));
    }
    return txt(owner, ttl, strings);
  }

  /** Builds the record from its wire rdata, so no byte is escaped or unescaped on the way. */
  private static Record txt(Name owner, long ttl, List<byte[]> strings) {
    ByteArrayOutputStream rdata = new ByteArrayOutputStream();
    for (byte[] string : strings) {
      if (string.length > MAX_STRING) {
        throw new IllegalArgumentException(owner + ": a TXT string of " + string.length + " bytes (at most 255)");
      }
      rdata.write(string.length);
      rdata.writeBytes(string);
    }
    return Record.newRecord(owner, Type.TXT, DClass.IN, ttl, rdata.toByteArray());
  }

  private static String text(List<byte[]> strings, Record record) {
    ByteArrayOutputStream joined = new ByteArrayOutputStream();
    strings.forEach(joined::writeBytes);
    return decodeUtf8(joined.toByteArray(), record);
  }

  private static String decodeUtf8(byte[] bytes, Record record) {
    try {
      return StandardCharsets.UTF_8
          .newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(bytes))
          .toString();
    } catch (CharacterCodingException e) {
      throw new IllegalArgumentException(record.getName() + ": TXT is not UTF-8 text");
    }
  }

  private static byte[] utf8(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }

  private static Name child(String label, Name parent) {
    try {
      return Name.concatenate(Name.fromString(label), parent);
    } catch (TextParseException | org.xbill.DNS.NameTooLongException e) {
      throw new IllegalArgumentException(label + "." + parent + ": " + e.getMessage(), e);
    }
  }
}
