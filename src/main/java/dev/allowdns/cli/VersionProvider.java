package dev.allowdns.cli;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;
import picocli.CommandLine.IVersionProvider;

/** Reads the version Maven wrote into {@code allowdns-version.properties}. */
final class VersionProvider implements IVersionProvider {
  @Override
  public String[] getVersion() {
    return new String[] {version()};
  }

  /** Returns {@code allowdns VERSION}. */
  String version() {
    Properties properties = new Properties();
    try (InputStream in = VersionProvider.class.getResourceAsStream("/allowdns-version.properties")) {
      if (in != null) {
        properties.load(in);
      }
    } catch (IOException e) {
      // the version is informative only
    }
    return "allowdns " + properties.getProperty("version", "unknown");
  }
}
