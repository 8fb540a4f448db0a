package dev.allowdns.policy;

import java.net.IDN;
import java.util.Locale;

/** Normalises domain names the one way rules and queries are compared. */
public final class DomainName {
  /** RFC 1035 §2.3.4: labels of 63 octets or less. */
  static final int MAX_LABEL_LENGTH = 63;

  /** RFC 1035 §2.3.4: 255 octets on the wire, which is 253 characters in text without the dot. */
  static final int MAX_NAME_LENGTH = 253;

  private DomainName() {}

  /**
   * Returns {@code raw} in the form rules match against: IDNA to punycode, lower case, no trailing
   * dot.
   *
   * <p>Labels may hold {@code a-z}, {@code 0-9}, {@code -} and {@code _} (service labels such as
   * {@code _dmarc} are real names); empty labels, spaces and other characters are rejected.
   *
   * @throws IllegalArgumentException naming what is wrong with the name
   */
  public static String normalize(String raw) {
    if (raw == null) {
      throw new IllegalArgumentException("name must not be null");
    }
    String name = raw.trim();
    if (name.endsWith(".")) {
      name = name.substring(0, name.length() - 1);
    }
    if (name.isEmpty()) {
      throw new IllegalArgumentException("name '" + raw + "' is empty");
    }
    if (!isAscii(name)) {
      try {
        // IDNA 2003 (java.net.IDN): maps and lower-cases Unicode labels, then punycode.
        name = IDN.toASCII(name, IDN.ALLOW_UNASSIGNED);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(
            "name '" + raw + "' cannot be converted to IDNA: " + e.getMessage(), e);
      }
    }
    name = name.toLowerCase(Locale.ROOT);
    validate(name, raw);
    return name;
  }

  private static void validate(String name, String raw) {
    if (name.length() > MAX_NAME_LENGTH) {
      throw new IllegalArgumentException(
          "name '"
              + raw
              + "' is "
              + name.length()
              + " characters long (at most "
              + MAX_NAME_LENGTH
              + " allowed)");
    }
    int labelStart = 0;
    for (int i = 0; i <= name.length(); i++) {
      if (i < name.length() && name.charAt(i) != '.') {
        char c = name.charAt(i);
        if (!isLabelChar(c)) {
          throw new IllegalArgumentException(
              "name '" + raw + "' has character '" + c + "' (expected a-z, 0-9, '-' or '_')");
        }
        continue;
      }
      int labelLength = i - labelStart;
      if (labelLength == 0) {
        throw new IllegalArgumentException("name '" + raw + "' has an empty label");
      }
      if (labelLength > MAX_LABEL_LENGTH) {
        throw new IllegalArgumentException(
            "name '"
                + raw
                + "' has a label of "
                + labelLength
                + " characters (at most "
                + MAX_LABEL_LENGTH
                + " allowed)");
      }
      labelStart = i + 1;
    }
  }

  private static boolean isLabelChar(char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
  }

  private static boolean isAscii(String s) {
    for (int i = 0; i < s.length(); i++) {
      if (s.charAt(i) > 0x7f) {
        return false;
      }
    }
    return true;
  }

  /**
   * Returns {@code name} in normal form when it needs no more than lower-casing or dropping a
   * trailing dot; falls back to {@link #normalize} otherwise. Returns {@code null} for a name that
   * cannot be normalised. Cheap for names that are already in normal form (the DNS hot path).
   */
  static String normalizeLeniently(String name) {
    int length = name.length();
    boolean normal = length > 0 && name.charAt(length - 1) != '.';
    for (int i = 0; normal && i < length; i++) {
      char c = name.charAt(i);
      if ((c >= 'A' && c <= 'Z') || c > 0x7f) {
        normal = false;
      }
    }
    if (normal) {
      return name;
    }
    try {
      return normalize(name);
    } catch (IllegalArgumentException e) {
      return null;
    }
  }
}
