package dev.allowdns.policy;

/** The outcome of a policy decision. */
public enum Verdict {
  ALLOWED,
  BLOCKED
}
