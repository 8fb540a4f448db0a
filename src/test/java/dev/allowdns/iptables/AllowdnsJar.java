package dev.allowdns.iptables;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** The packaged {@code allowdns} command, as users run it. */
final class AllowdnsJar {
  private AllowdnsJar() {}

  /** Returns the command line {@code java -jar allowdns.jar ARGS}. */
  static List<String> command(String... args) {
    Path jar = Path.of(System.getProperty("allowdns.jar", "target/allowdns.jar"));
    Path java = Path.of(System.getProperty("java.home"), "bin", "java");
    List<String> command =
        new ArrayList<>(List.of(java.toString(), "-jar", jar.toAbsolutePath().toString()));
    command.addAll(List.of(args));
    return command;
  }
}
