package dev.allowdns.config;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The YAML config file from arbitrary bytes, read and resolved as {@code serve --config} does:
 * a {@link Config}, or a {@link ConfigException} with a message; never another exception.
 */
class ConfigFileFuzzTest {
  private static final Path DIR = tempDir();
  private static final Path FILE = DIR.resolve("allowdns.yaml");
  private static final Path RESOLV_CONF = DIR.resolve("resolv.conf");

  private static Path tempDir() {
    try {
      Path dir = Files.createTempDirectory("allowdns-config-fuzz");
      Files.writeString(dir.resolve("resolv.conf"), "nameserver 192.0.2.53\n");
      return dir;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @FuzzTest
  void configFile(byte[] input) throws IOException {
    Files.write(FILE, input);
    try {
      Config config = Config.resolve(ConfigFile.read(FILE), RESOLV_CONF);
      assertNotNull(config.listen());
    } catch (ConfigException e) {
      assertNotNull(e.getMessage());
      assertFalse(e.getMessage().isBlank(), "a ConfigException without a message");
    }
  }
}
