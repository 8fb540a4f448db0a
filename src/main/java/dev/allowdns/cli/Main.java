package dev.allowdns.cli;

import picocli.CommandLine;

/** The {@code allowdns} command line. */
public final class Main {
  private Main() {}

  public static void main(String[] args) {
    System.exit(AllowdnsCommand.commandLine().execute(args));
  }
}
