package dev.allowdns.iptables;

/** A firewall program could not be run or refused the rules; the message says which and why. */
public final class IptablesException extends Exception {
  IptablesException(String message) {
    super(message);
  }

  IptablesException(String message, Throwable cause) {
    super(message, cause);
  }
}
