package dev.allowdns.policy;

import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/** Every policy loaded from one zones directory, with the generation that loaded them. */
public final class PolicySet {
  /** The policy a client gets when nothing names another. */
  public static final String DEFAULT_POLICY = "default";

  static final String ZONE_SUFFIX = ".zone";
  // Zone names appear in POLICY:ZONE labels of logs and metrics: keep them plain.
  private static final Pattern ZONE_NAME = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9._-]*");

  private final long generation;
  private final Long serial;
  private final Map<String, Policy> policies;
  private final List<Zone> zones;
  private final List<DenyList> denyLists;

  private PolicySet(
      long generation, Long serial, Map<String, Policy> policies, List<Zone> zones, List<DenyList> denyLists) {
    this.generation = generation;
    this.serial = serial;
    this.policies = Collections.unmodifiableMap(new TreeMap<>(policies));
    this.zones = List.copyOf(zones);
    this.denyLists = List.copyOf(denyLists);
  }

  /**
   * Loads every {@code *.zone} file of {@code zonesDir} and builds the policies.
   *
   * <p>Files are read in name order; hidden files ({@code .name.zone}, such as editor lock files)
   * are skipped, as a shell glob would. An empty directory gives policies without rules, which
   * block every name.
   *
   * @param policyZones zone names per policy; when empty, one policy {@code default} of every zone
   * @param generation the number this load gets (1 at start-up, +1 per successful reload)
   * @throws PolicyException listing every error as {@code file:line: reason}; nothing is loaded
   */
  public static PolicySet load(Path zonesDir, Map<String, List<String>> policyZones, long generation)
      throws PolicyException {
    return load(zonesDir, policyZones, generation, List.of());
  }

  /** Loads like {@link #load(Path, Map, long)}, with {@code denyLists} on top of every policy. */
  public static PolicySet load(
      Path zonesDir, Map<String, List<String>> policyZones, long generation, List<DenyList> denyLists)
      throws PolicyException {
    List<String> errors = new ArrayList<>();
    List<ZoneSource> sources = readZones(zonesDir, errors);
    return build(sources, errors, policyZones, generation, null, denyLists);
  }

  /**
   * Reads the text of every {@code *.zone} file of {@code zonesDir}, in name order, without
   * parsing it; a file that cannot be read adds {@code file: reason} to {@code errors}.
   */
  public static List<ZoneSource> readZones(Path zonesDir, List<String> errors) {
    Objects.requireNonNull(zonesDir, "zonesDir");
    List<ZoneSource> sources = new ArrayList<>();
    for (Path file : listZoneFiles(zonesDir, errors)) {
      List<String> lines = readLines(file, errors);
      if (lines != null) {
        sources.add(new ZoneSource(file.toString(), lines));
      }
    }
    return sources;
  }

  /**
   * Builds the policies from zone texts read elsewhere (a zones directory, a zone transfer),
   * checked exactly as {@link #load} checks a directory.
   *
   * @param serial the SOA serial of the transferred zone the texts came from, {@code null} when
   *     they came from a directory
   * @param denyLists deny lists applied on top of every policy (RPZ feeds)
   * @throws PolicyException listing every error as {@code file:line: reason}; nothing is loaded
   */
  public static PolicySet build(
      List<ZoneSource> sources,
      Map<String, List<String>> policyZones,
      long generation,
      Long serial,
      List<DenyList> denyLists)
      throws PolicyException {
    return build(sources, new ArrayList<>(), policyZones, generation, serial, denyLists);
  }

  private static PolicySet build(
      List<ZoneSource> sources,
      List<String> errors,
      Map<String, List<String>> policyZones,
      long generation,
      Long serial,
      List<DenyList> denyLists)
      throws PolicyException {
    Objects.requireNonNull(policyZones, "policyZones");
    if (!errors.isEmpty() && sources.isEmpty()) {
      throw new PolicyException(errors);
    }
    Set<String> zoneNames = new HashSet<>();
    Map<String, Zone> zones = new TreeMap<>();
    for (ZoneSource source : sources) {
      String zoneName = source.zoneName();
      zoneNames.add(zoneName);
      Zone zone = parseZone(source, errors);
      if (zone != null) {
        zones.put(zoneName, zone);
      }
    }

    Map<String, Policy> policies = new LinkedHashMap<>();
    if (policyZones.isEmpty()) {
      policies.put(DEFAULT_POLICY, new Policy(DEFAULT_POLICY, List.copyOf(zones.values()), denyLists));
    } else {
      for (Map.Entry<String, List<String>> entry : new TreeMap<>(policyZones).entrySet()) {
        String policyName = entry.getKey();
        List<Zone> members = new ArrayList<>();
        for (String zoneName : entry.getValue()) {
          if (!zoneNames.contains(zoneName)) {
            errors.add(
                "config: policy '" + policyName + "' names unknown zone '" + zoneName + "'");
          } else if (zones.containsKey(zoneName) && !members.contains(zones.get(zoneName))) {
            members.add(zones.get(zoneName));
          }
        }
        policies.put(policyName, new Policy(policyName, members, denyLists));
      }
    }

    if (!errors.isEmpty()) {
      throw new PolicyException(errors);
    }
    return new PolicySet(generation, serial, policies, List.copyOf(zones.values()), denyLists);
  }

  private static List<Path> listZoneFiles(Path zonesDir, List<String> errors) {
    if (!Files.isDirectory(zonesDir)) {
      errors.add(
          zonesDir
              + ": "
              + (Files.exists(zonesDir) ? "is not a directory" : "zones directory does not exist")
              + " (expected a directory of NAME.zone files)");
      return List.of();
    }
    try (Stream<Path> entries = Files.list(zonesDir)) {
      return entries
          .filter(
              path -> {
                String name = path.getFileName().toString();
                return name.endsWith(ZONE_SUFFIX) && !name.startsWith(".");
              })
          .filter(path -> !Files.isDirectory(path))
          .sorted(Comparator.comparing(path -> path.getFileName().toString()))
          .toList();
    } catch (IOException | RuntimeException e) { // Files.list wraps late failures unchecked
      errors.add(zonesDir + ": cannot list the zones directory: " + describe(e));
      return List.of();
    }
  }

  private static List<String> readLines(Path file, List<String> errors) {
    try {
      return Files.readAllLines(file, StandardCharsets.UTF_8);
    } catch (CharacterCodingException e) {
      errors.add(file + ": is not UTF-8 text");
    } catch (IOException e) {
      errors.add(file + ": cannot read: " + describe(e));
    }
    return null;
  }

  private static Zone parseZone(ZoneSource source, List<String> errors) {
    String zoneName = source.zoneName();
    if (!ZONE_NAME.matcher(zoneName).matches()) {
      errors.add(
          source.file()
              + ": zone name '"
              + zoneName
              + "' must be letters, digits, '.', '_' or '-' (it names the zone in logs)");
      return null;
    }
    return ZoneParser.parse(zoneName, source.file(), source.lines(), errors);
  }

  private static String describe(Exception e) {
    if (e instanceof AccessDeniedException) {
      return "permission denied";
    }
    if (e instanceof NoSuchFileException) {
      return "no such file";
    }
    if (e.getCause() instanceof IOException cause && e instanceof RuntimeException) {
      return describe(cause);
    }
    return String.valueOf(e.getMessage());
  }

  public long generation() {
    return generation;
  }

  /** Returns the SOA serial of the transferred zone in force, {@code null} when not a secondary. */
  public Long serial() {
    return serial;
  }

  /** Returns the deny lists (RPZ feeds) every policy applies on top of its zones. */
  public List<DenyList> denyLists() {
    return denyLists;
  }

  public Optional<Policy> policy(String name) {
    return Optional.ofNullable(policies.get(name));
  }

  /** Returns the policies by name, in a stable (sorted) order. */
  public Map<String, Policy> policies() {
    return policies;
  }

  /** Returns every zone loaded, sorted by name. */
  public List<Zone> zones() {
    return zones;
  }

  @Override
  public String toString() {
    return "PolicySet[generation=" + generation + ", serial=" + serial + ", policies=" + policies.keySet() + "]";
  }
}
