package dev.allowdns.cli;

/** The exit codes users and scripts rely on (DESIGN.md, "Interfaces"). */
final class ExitCodes {
  static final int OK = 0;
  static final int NEGATIVE = 1;
  static final int INPUT_ERROR = 2;

  private ExitCodes() {}
}
