package dev.allowdns.relay;

import dev.allowdns.config.HostPort;
import java.time.Duration;

/**
 * The transparent TCP relay: accepts the connections iptables REDIRECTs to it and runs each
 * through {@link FrontendHandler}. Needs the epoll transport (the original destination is read
 * from the socket).
 */
public final class RelayServer implements AutoCloseable {
  /**
   * How the relay behaves.
   *
   * @param listen where it accepts redirected connections, or {@code null} when only the explicit
   *     proxy's tunnels use the relay
   * @param connectTimeout how long connecting to a destination may take
   * @param idleTimeout a connection with no traffic either way for this long is closed
   * @param peekTimeout how long to wait for a TLS ClientHello or HTTP request before deciding
   *     without a name (server-speaks-first protocols send nothing)
   * @param audit whether policy refusals are only recorded ({@code would_block}), not enforced
   */
  public record Settings(
      HostPort listen, Duration connectTimeout, Duration idleTimeout, Duration peekTimeout, boolean audit) {}

  private final Listener listener;
  private final RelayCore core;

  private RelayServer(Listener listener, RelayCore core) {
    this.listener = listener;
    this.core = core;
  }

  /**
   * Starts accepting on the core's {@code settings.listen()}.
   *
   * @param owners names the process of a refused connection (or of every one) before the reset
   * @throws IllegalStateException when epoll is unavailable or the address cannot be bound
   */
  public static RelayServer start(RelayCore core) throws InterruptedException {
    Listener listener =
        Listener.bind(
            core,
            "relay",
            core.settings.listen(),
            pipeline ->
                pipeline
                    .addLast("limit-gate", LimitGate.resetting(core))
                    .addLast("tls-name-peek", new TlsNamePeek())
                    .addLast(core.newFrontend()));
    return new RelayServer(listener, core);
  }

  /** Returns the address the relay accepts on (with the real port when 0 was asked for). */
  public HostPort listener() {
    return listener.address();
  }

  /**
   * Stops accepting, lets open connections (the explicit proxy's too: stop its listener first)
   * finish for up to {@code grace}, then closes the rest. Every connection's record has been
   * handed to the connection log when this returns.
   */
  public void close(Duration grace) {
    listener.stopAccepting();
    core.drain(grace);
    listener.close();
  }

  @Override
  public void close() {
    close(Duration.ZERO);
  }
}
