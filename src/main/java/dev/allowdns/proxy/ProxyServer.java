package dev.allowdns.proxy;

import dev.allowdns.config.HostPort;
import dev.allowdns.dns.NameLookup;
import dev.allowdns.relay.LimitGate;
import dev.allowdns.relay.Listener;
import dev.allowdns.relay.RelayCore;
import io.netty.handler.codec.http.HttpServerCodec;

/**
 * The explicit HTTP/1.1 forward proxy: accepts sandboxes that set {@code HTTP(S)_PROXY} and runs
 * each connection through {@link ProxyHandler}. Request heads are bounded ({@value
 * #MAX_HEAD_BYTES} bytes of headers, {@value #MAX_REQUEST_LINE} of request line) and must arrive
 * within the relay's peek timeout. Needs the epoll transport, as the relay does.
 */
public final class ProxyServer implements AutoCloseable {
  static final int MAX_REQUEST_LINE = 8 * 1024;
  static final int MAX_HEAD_BYTES = 16 * 1024;
  static final String CODEC = "http-codec";

  private final Listener listener;

  private ProxyServer(Listener listener) {
    this.listener = listener;
  }

  /**
   * Starts accepting on {@code listen}.
   *
   * @param lookup resolves names for a sandbox through the resolver's own pipeline
   * @throws IllegalStateException when epoll is unavailable or the address cannot be bound
   */
  public static ProxyServer start(HostPort listen, RelayCore core, NameLookup lookup) throws InterruptedException {
    return new ProxyServer(
        Listener.bind(
            core,
            "proxy",
            listen,
            pipeline ->
                pipeline
                    .addLast(LimitGate.answering(core, refusal -> Answers.refusal(429, refusal.reason(), refusal.text())))
                    .addLast(new ClientPacer(core))
                    .addLast(new ByteTally())
                    .addLast(CODEC, new HttpServerCodec(MAX_REQUEST_LINE, MAX_HEAD_BYTES, 8192))
                    .addLast(new ProxyHandler(core, lookup::resolve))));
  }

  /** Returns the address the proxy accepts on (with the real port when 0 was asked for). */
  public HostPort listener() {
    return listener.address();
  }

  /** Stops accepting; open connections are drained with the relay's ({@link RelayCore#drain}). */
  public void stopAccepting() {
    listener.stopAccepting();
  }

  /** Stops accepting and the event loops; call after the relay core has drained. */
  @Override
  public void close() {
    listener.close();
  }
}
