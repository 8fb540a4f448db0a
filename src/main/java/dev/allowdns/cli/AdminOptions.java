package dev.allowdns.cli;

import dev.allowdns.config.Config;
import dev.allowdns.config.HostPort;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** The options of every command that talks to a running server: its admin address and token. */
final class AdminOptions {
  @Option(
      names = "--admin",
      paramLabel = "HOST:PORT",
      defaultValue = Config.DEFAULT_ADMIN_LISTEN,
      description = "Admin API of the running server (default: ${DEFAULT-VALUE}).")
  String admin;

  @Option(
      names = "--admin-token-file",
      paramLabel = "FILE",
      description =
          "File holding the bearer token the server was given (serve --admin-token-file).")
  Path tokenFile;

  /**
   * Returns a client for the server these options name.
   *
   * @throws AdminClient.Failure for a malformed address or an unreadable or empty token file
   */
  AdminClient client() throws AdminClient.Failure {
    HostPort address;
    try {
      address = HostPort.parse(admin, 0);
    } catch (IllegalArgumentException e) {
      throw new AdminClient.Failure("--admin: " + e.getMessage());
    }
    String token = null;
    if (tokenFile != null) {
      try {
        token = Files.readString(tokenFile).trim();
      } catch (IOException e) {
        throw new AdminClient.Failure("cannot read --admin-token-file " + tokenFile + ": " + e);
      }
      if (token.isEmpty()) {
        throw new AdminClient.Failure("--admin-token-file " + tokenFile + " is empty");
      }
    }
    return new AdminClient(address, token);
  }
}
