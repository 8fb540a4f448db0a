package dev.allowdns.testing;

import java.io.IOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Reads the test fixtures under {@code src/test/resources/it} (on the classpath they live in {@code
 * target/test-classes}, a plain directory).
 */
public final class Fixtures {
  private Fixtures() {}

  /** Returns the text of a classpath resource, e.g. {@code /it/upstream/it.test.zone}. */
  public static String text(String resource) {
    try {
      return Files.readString(path(resource), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new IllegalStateException("cannot read " + resource, e);
    }
  }

  /** Returns file name → text of every {@code *.zone} file in a classpath directory. */
  public static Map<String, String> zoneFiles(String directory) {
    Path dir = path(directory);
    Map<String, String> files = new LinkedHashMap<>();
    try (Stream<Path> paths = Files.list(dir)) {
      for (Path file : paths.filter(p -> p.toString().endsWith(".zone")).sorted().toList()) {
        files.put(file.getFileName().toString(), Files.readString(file, StandardCharsets.UTF_8));
      }
    } catch (IOException e) {
      throw new IllegalStateException("cannot read fixtures in " + dir, e);
    }
    if (files.isEmpty()) {
      throw new IllegalStateException("no *.zone fixtures in " + dir);
    }
    return files;
  }

  /** Copies every {@code *.zone} file of a classpath directory into {@code target}. */
  public static Path copyZones(String directory, Path target) {
    try {
      Files.createDirectories(target);
      for (Map.Entry<String, String> zone : zoneFiles(directory).entrySet()) {
        Files.writeString(target.resolve(zone.getKey()), zone.getValue(), StandardCharsets.UTF_8);
      }
      return target;
    } catch (IOException e) {
      throw new IllegalStateException("cannot copy " + directory + " to " + target, e);
    }
  }

  /** Returns the 1-based line number of the first line of a fixture equal to {@code line}. */
  public static int lineOf(String resource, String line) {
    String[] lines = text(resource).split("\n", -1);
    for (int i = 0; i < lines.length; i++) {
      if (lines[i].strip().equals(line)) {
        return i + 1;
      }
    }
    throw new IllegalStateException(resource + " has no line '" + line + "'");
  }

  private static Path path(String resource) {
    URL url = Fixtures.class.getResource(resource);
    if (url == null) {
      throw new IllegalStateException("no test resource " + resource);
    }
    try {
      return Path.of(url.toURI());
    } catch (URISyntaxException e) {
      throw new IllegalStateException("bad resource URL " + url, e);
    }
  }
}
