package dev.allowdns.app;

import dev.allowdns.config.Config;
import dev.allowdns.config.ConfigException;

/** Re-reads the configuration a reload applies the {@code policies:} and {@code limits:} of. */
@FunctionalInterface
public interface ConfigReader {
  /** The configuration of the server started without a config file: what it started with. */
  static ConfigReader fixed(Config config) {
    return () -> config;
  }

  /** @throws ConfigException listing every error of the file; the reload is then refused */
  Config read() throws ConfigException;
}
