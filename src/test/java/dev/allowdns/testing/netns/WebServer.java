package dev.allowdns.testing.netns;

import dev.allowdns.testing.ChildProcess;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * nginx inside a namespace, with its own configuration, pid file, logs and temp directories (never
 * the system's), serving HTTP on port 80 and HTTPS on 443 of every address of the namespace, IPv4
 * and IPv6. Every request gets {@code 200 "hello from HOST"}, but {@code /files/NAME}: the file
 * {@code NAME} of {@link #files()}; the access log has one line per request: {@code SERVER_ADDR
 * SERVER_PORT HOST SNI STATUS}.
 */
public final class WebServer {
  private static final Duration START_TIMEOUT = Duration.ofSeconds(15);

  private final ChildProcess nginx;
  private final Path accessLog;
  private final Path files;

  private WebServer(ChildProcess nginx, Path accessLog, Path files) {
    this.nginx = nginx;
    this.accessLog = accessLog;
    this.files = files;
  }

  /** Starts nginx in {@code namespace} and waits until it answers on 127.0.0.1:80. */
  public static WebServer start(Namespace namespace, Path dir, TestCertificates certificates)
      throws IOException, InterruptedException {
    Path temp = Files.createDirectories(dir.resolve("temp"));
    Path accessLog = dir.resolve("access.log");
    Path files = Files.createDirectories(dir.resolve("files"));
    String conf =
        """
        worker_processes 1;
        user root;
        pid %1$s/nginx.pid;
        error_log stderr notice;
        events { worker_connections 256; }
        http {
          log_format e2e '$server_addr $server_port $host $ssl_server_name $status';
          access_log %2$s e2e;
          client_body_temp_path %3$s/body;
          proxy_temp_path %3$s/proxy;
          fastcgi_temp_path %3$s/fastcgi;
          uwsgi_temp_path %3$s/uwsgi;
          scgi_temp_path %3$s/scgi;
          server {
            listen 80 default_server;
            listen [::]:80 default_server;
            listen 443 ssl default_server;
            listen [::]:443 ssl default_server;
            ssl_certificate %4$s;
            ssl_certificate_key %5$s;
            location /files/ {
              alias %6$s/;
              default_type application/octet-stream;
            }
            location / {
              default_type text/plain;
              return 200 "hello from $host\\n";
            }
          }
        }
        """
            .formatted(
                dir, accessLog, temp, certificates.serverCertificate(), certificates.serverKey(), files);
    Path config = dir.resolve("nginx.conf");
    Files.writeString(config, conf, StandardCharsets.UTF_8);
    ChildProcess nginx =
        namespace.start(
            "nginx",
            dir,
            Map.of(),
            List.of("nginx", "-p", dir.toString(), "-c", config.toString(), "-g", "daemon off;"));
    long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
    Output last;
    do {
      if (!nginx.isAlive()) {
        throw new IllegalStateException("nginx exited:\n" + nginx.describe());
      }
      last = namespace.run(Duration.ofSeconds(5), "curl", "-sf", "-m", "2", "http://127.0.0.1/");
      if (last.succeeded()) {
        return new WebServer(nginx, accessLog, files);
      }
      Thread.sleep(100);
    } while (System.nanoTime() < deadline);
    throw new IllegalStateException(
        "nginx did not answer within " + START_TIMEOUT + ":\n" + last.describe() + "\n"
            + nginx.describe());
  }

  /** Returns the directory served as {@code /files/}: a file written there is served at once. */
  public Path files() {
    return files;
  }

  /** Returns the access log lines so far ({@code SERVER_ADDR SERVER_PORT HOST SNI STATUS}). */
  public List<String> accessLog() throws IOException {
    return Files.exists(accessLog)
        ? Files.readAllLines(accessLog, StandardCharsets.UTF_8)
        : List.of();
  }

  /** Returns nginx's error output so far. */
  public String errors() {
    return nginx.stderr();
  }
}
