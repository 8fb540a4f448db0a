package dev.allowdns.fleet;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.xbill.DNS.Name;
import org.xbill.DNS.TSIG;
import org.xbill.DNS.TextParseException;

/**
 * Reads a TSIG key file: BIND's {@code key} clause as {@code tsig-keygen} writes it, or the YAML
 * Knot's {@code keymgr -t} prints.
 *
 * <pre>
 * key "xfr-key" {                       key:
 *         algorithm hmac-sha256;          - id: xfr-key
 *         secret "base64...";               algorithm: hmac-sha256
 * };                                        secret: base64...
 * </pre>
 */
final class TsigKeyFile {
  private static final Pattern BIND_NAME = Pattern.compile("\\bkey\\s+\"?([^\"\\s{]+)\"?\\s*\\{");
  private static final Pattern BIND_ALGORITHM = Pattern.compile("\\balgorithm\\s+\"?([A-Za-z0-9.-]+)\"?\\s*;");
  private static final Pattern BIND_SECRET = Pattern.compile("\\bsecret\\s+\"([^\"]*)\"\\s*;");
  private static final Pattern KNOT_FIELD =
      Pattern.compile("^\\s*(?:-\\s+)?(id|algorithm|secret)\\s*:\\s*\"?([^\"#\\s]+)\"?\\s*$");
  private static final List<String> ALGORITHMS =
      List.of("hmac-md5", "hmac-sha1", "hmac-sha224", "hmac-sha256", "hmac-sha384", "hmac-sha512");

  private TsigKeyFile() {}

  /**
   * Reads the one key of {@code file}.
   *
   * @throws IOException saying which file, and what is missing or wrong in it
   */
  static TSIG read(Path file) throws IOException {
    String text;
    try {
      text = Files.readString(file);
    } catch (IOException e) {
      throw new IOException(file + ": cannot read the TSIG key file: " + e, e);
    }
    try {
      return parse(text);
    } catch (IllegalArgumentException e) {
      throw new IOException(file + ": " + e.getMessage(), e);
    }
  }

  /** Parses the text of a key file; see {@link #read}. */
  static TSIG parse(String text) {
    String name;
    String algorithm;
    String secret;
    String uncommented = text.replaceAll("(?m)(#|//).*$", "");
    Matcher bindName = BIND_NAME.matcher(uncommented);
    if (bindName.find()) {
      name = bindName.group(1);
      algorithm = group(BIND_ALGORITHM.matcher(uncommented), "algorithm NAME;");
      secret = group(BIND_SECRET.matcher(uncommented), "secret \"BASE64\";");
    } else {
      name = null;
      algorithm = null;
      secret = null;
      for (String line : uncommented.split("\n")) {
        Matcher field = KNOT_FIELD.matcher(line);
        if (field.matches()) {
          switch (field.group(1)) {
            case "id" -> name = field.group(2);
            case "algorithm" -> algorithm = field.group(2);
            default -> secret = field.group(2);
          }
        }
      }
      if (name == null || algorithm == null || secret == null) {
        throw new IllegalArgumentException(
            "expected a BIND key clause (key \"NAME\" { algorithm ALG; secret \"BASE64\"; };)"
                + " or keymgr -t output (key: - id: NAME, algorithm: ALG, secret: BASE64)");
      }
    }
    String alg = algorithm.toLowerCase(Locale.ROOT);
    if (!ALGORITHMS.contains(alg)) {
      throw new IllegalArgumentException("algorithm '" + algorithm + "' is not one of " + ALGORITHMS);
    }
    byte[] key;
    try {
      key = Base64.getDecoder().decode(secret);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("secret is not base64: " + e.getMessage(), e);
    }
    if (key.length == 0) {
      throw new IllegalArgumentException("secret is empty");
    }
    try {
      return new TSIG(Name.fromString(alg + "."), Name.fromString(name.endsWith(".") ? name : name + "."), key);
    } catch (TextParseException e) {
      throw new IllegalArgumentException("key name '" + name + "' is not a domain name", e);
    }
  }

  private static String group(Matcher matcher, String expected) {
    if (!matcher.find()) {
      throw new IllegalArgumentException("the key clause has no " + expected);
    }
    return matcher.group(1);
  }
}
