package dev.allowdns.parent;

import dev.allowdns.config.ParentProxy;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The parents' Basic credentials, from {@code upstream_proxy_auth_file}: one line {@code
 * user:password} for every parent, or lines {@code HOST:PORT user:password}, one per parent
 * ({@code #} comments and blank lines allowed). Only the ready {@code Proxy-Authorization} values
 * are kept, and nothing here ever prints a secret. Immutable.
 */
public final class ParentCredentials {
  /** No credentials: parents are asked without {@code Proxy-Authorization}. */
  public static final ParentCredentials NONE = new ParentCredentials(null, Map.of());

  private final String forEveryParent;
  private final Map<String, String> byParent;

  private ParentCredentials(String forEveryParent, Map<String, String> byParent) {
    this.forEveryParent = forEveryParent;
    this.byParent = Map.copyOf(byParent);
  }

  /**
   * Reads the file. It must be readable by its owner only, as SSH requires of private keys.
   *
   * @throws IllegalArgumentException with every {@code file:line: reason} (never the secret)
   */
  public static ParentCredentials load(Path file) {
    List<String> lines;
    try {
      Set<PosixFilePermission> mode = Files.getPosixFilePermissions(file);
      if (mode.contains(PosixFilePermission.GROUP_READ) || mode.contains(PosixFilePermission.OTHERS_READ)) {
        throw new IllegalArgumentException(
            file + ": readable by group or others; credentials must be readable by their owner only (chmod 600)");
      }
      lines = Files.readAllLines(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new IllegalArgumentException(file + ": cannot read: " + e.getMessage());
    }
    List<String> errors = new ArrayList<>();
    String every = null;
    Map<String, String> byParent = new HashMap<>();
    for (int i = 0; i < lines.size(); i++) {
      String line = lines.get(i).strip();
      if (line.isEmpty() || line.startsWith("#")) {
        continue;
      }
      String at = file + ":" + (i + 1) + ": ";
      String[] words = line.split("\\s+");
      String secret = words[words.length - 1];
      if (words.length > 2 || secret.indexOf(':') <= 0) {
        errors.add(at + "expected user:password or HOST:PORT user:password");
        continue;
      }
      String header = "Basic " + Base64.getEncoder().encodeToString(secret.getBytes(StandardCharsets.UTF_8));
      if (words.length == 1) {
        if (every != null || !byParent.isEmpty()) {
          errors.add(at + "a line for every parent must be the file's only line");
        }
        every = header;
        continue;
      }
      String parent;
      try {
        parent = ParentProxy.parse("http://" + words[0]).label();
      } catch (IllegalArgumentException e) {
        errors.add(at + "'" + words[0] + "' is not HOST:PORT");
        continue;
      }
      if (every != null || byParent.put(parent, header) != null) {
        errors.add(at + (every != null ? "a line for every parent must be the file's only line" : "a second line for " + parent));
      }
    }
    if (!errors.isEmpty()) {
      throw new IllegalArgumentException(String.join("\n", errors));
    }
    return new ParentCredentials(every, byParent);
  }

  /** Returns the {@code Proxy-Authorization} value for {@code parent}, or {@code null} for none. */
  public String authorizationFor(ParentProxy parent) {
    String own = byParent.get(parent.label().toLowerCase(Locale.ROOT));
    return own != null ? own : forEveryParent;
  }

  @Override
  public String toString() {
    return "ParentCredentials[" + (forEveryParent != null ? "every parent" : byParent.keySet()) + "]";
  }
}
