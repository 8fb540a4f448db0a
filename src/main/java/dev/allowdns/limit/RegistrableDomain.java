package dev.allowdns.limit;

import com.google.common.net.InternetDomainName;

/**
 * The registrable domain of a name: its public suffix and one label more, by the ICANN section of
 * the Public Suffix List the zone parser uses (Guava's copy); under a suffix not on the list, its
 * last two labels (DESIGN.md, "Limits").
 */
final class RegistrableDomain {
  private RegistrableDomain() {}

  static String of(String name) {
    String trimmed = name.endsWith(".") ? name.substring(0, name.length() - 1) : name;
    try {
      InternetDomainName domain = InternetDomainName.from(trimmed);
      if (domain.isUnderRegistrySuffix()) {
        return domain.topDomainUnderRegistrySuffix().toString();
      }
      if (domain.isRegistrySuffix()) {
        return domain.toString();
      }
    } catch (IllegalArgumentException | IllegalStateException e) {
      // not a name Guava accepts (an odd label): fall back to the last two labels
    }
    int last = trimmed.lastIndexOf('.');
    int before = last <= 0 ? -1 : trimmed.lastIndexOf('.', last - 1);
    return before < 0 ? trimmed : trimmed.substring(before + 1);
  }
}
