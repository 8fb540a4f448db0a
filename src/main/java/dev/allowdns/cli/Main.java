package dev.allowdns.cli;

import io.netty.util.ResourceLeakDetector;

/** The {@code allowdns} command line. */
public final class Main {
  private Main() {}

  public static void main(String[] args) {
    if (System.getProperty("io.netty.leakDetection.level") == null) {
      // Leak sampling costs several percent per query; tests turn it back on with the property.
      ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.DISABLED);
    }
    System.exit(AllowdnsCommand.commandLine().execute(args));
  }
}
