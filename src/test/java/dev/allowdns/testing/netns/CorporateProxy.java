package dev.allowdns.testing.netns;

import dev.allowdns.testing.ChildProcess;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * Squid as the corporate proxy, in a namespace, with default-like ACLs: {@code CONNECT} only to
 * port 443, plain HTTP to 80, and every request needs Basic credentials checked by {@code
 * basic_ncsa_auth} against an htpasswd file. It resolves names through {@code hosts} (names only
 * the corporate network knows), then {@code dnsServer}. Its
 * access log has Squid's native format, one line per request.
 */
public final class CorporateProxy {
  private static final Duration START_TIMEOUT = Duration.ofSeconds(20);
  private static final String NCSA_AUTH = "/usr/lib/squid/basic_ncsa_auth";

  private final Namespace namespace;
  private final ChildProcess squid;
  private final Path accessLog;

  private CorporateProxy(Namespace namespace, ChildProcess squid, Path accessLog) {
    this.namespace = namespace;
    this.squid = squid;
    this.accessLog = accessLog;
  }

  /** Starts Squid on {@code address:port} of each port and waits until it accepts. */
  public static CorporateProxy start(
      Namespace namespace,
      Path dir,
      String address,
      List<Integer> ports,
      String dnsServer,
      Map<String, String> hosts,
      String user,
      String password)
      throws IOException, InterruptedException {
    // Squid drops to its own user: it must reach its directory through every parent.
    for (Path d = dir; d != null && d.startsWith("/tmp/") ; d = d.getParent()) {
      Files.setPosixFilePermissions(d, PosixFilePermissions.fromString(d.equals(dir) ? "rwxrwxrwx" : "rwxr-xr-x"));
    }
    Path passwords = dir.resolve("htpasswd");
    Output hash = namespace.runChecked(Duration.ofSeconds(10), "openssl", "passwd", "-apr1", password);
    Files.writeString(passwords, user + ":" + hash.stdout().strip() + "\n", StandardCharsets.UTF_8);
    Path accessLog = dir.resolve("access.log");
    StringBuilder hostsFile = new StringBuilder("127.0.0.1 localhost\n");
    hosts.forEach((name, ip) -> hostsFile.append(ip).append(' ').append(name).append('\n'));
    Files.writeString(dir.resolve("hosts"), hostsFile, StandardCharsets.UTF_8);
    StringBuilder conf = new StringBuilder();
    for (int port : ports) {
      conf.append("http_port ").append(address).append(':').append(port).append('\n');
    }
    conf.append(
        """
        pid_filename %1$s/squid.pid
        cache_log %1$s/cache.log
        access_log %1$s/access.log squid
        coredump_dir %1$s
        cache deny all
        shutdown_lifetime 1 seconds
        dns_nameservers %2$s
        hosts_file %1$s/hosts
        auth_param basic program %3$s %1$s/htpasswd
        auth_param basic realm corp
        acl SSL_ports port 443
        acl Safe_ports port 80 443
        acl CONNECT method CONNECT
        acl authenticated proxy_auth REQUIRED
        http_access deny !Safe_ports
        http_access deny CONNECT !SSL_ports
        http_access allow authenticated
        http_access deny all
        """
            .formatted(dir, dnsServer, NCSA_AUTH));
    Path config = dir.resolve("squid.conf");
    Files.writeString(config, conf, StandardCharsets.UTF_8);
    Files.createFile(accessLog);
    for (Path p : List.of(passwords, accessLog, config, dir.resolve("hosts"))) {
      Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rw-rw-rw-"));
    }
    ChildProcess squid =
        namespace.start("squid", dir, Map.of(), List.of("squid", "-N", "-d", "1", "-f", config.toString()));
    CorporateProxy proxy = new CorporateProxy(namespace, squid, accessLog);
    long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
    while (!proxy.accepts(address, ports.get(0))) {
      if (!squid.isAlive() || System.nanoTime() > deadline) {
        Path cacheLog = dir.resolve("cache.log");
        String described = squid.describe() + (Files.exists(cacheLog) ? "\n" + Files.readString(cacheLog) : "");
        squid.close();
        throw new IllegalStateException("squid did not start:\n" + described);
      }
      Thread.sleep(100);
    }
    return proxy;
  }

  private boolean accepts(String address, int port) {
    return namespace
        .run(Duration.ofSeconds(5), "python3", "-c",
            "import socket; socket.create_connection(('" + address + "', " + port + "), 1).close()")
        .succeeded();
  }

  /** Returns the access log's lines: {@code time elapsed client CODE/STATUS bytes METHOD URL ...}. */
  public List<String> accessLog() throws IOException {
    return Files.readAllLines(accessLog, StandardCharsets.UTF_8);
  }

  /** Stops Squid (as an outage would) and waits for it to exit. */
  public void stop() throws InterruptedException {
    squid.close();
  }

  public String describe() {
    return squid.describe();
  }
}
