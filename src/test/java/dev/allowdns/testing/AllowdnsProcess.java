package dev.allowdns.testing;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Message;
import org.xbill.DNS.Record;
import org.xbill.DNS.SimpleResolver;
import org.xbill.DNS.Type;

/**
 * {@code allowdns serve} as a real subprocess ({@code java -jar allowdns.jar serve ...}) on a free
 * loopback port, with its own zones directory and log directory. {@link Builder#start()} returns
 * once the process printed its {@code " ready: "} line, i.e. once every socket is bound.
 */
public final class AllowdnsProcess implements AutoCloseable {
  /** The marker the contract says {@code serve} prints on stdout once every socket is bound. */
  public static final String READY_MARKER = " ready: ";

  private static final Duration READY_TIMEOUT = Duration.ofSeconds(20);
  private static final int START_ATTEMPTS = 3;

  private final Path dir;
  private final Path zonesDir;
  private final Path logDir;
  private final int port;
  private final ChildProcess process;
  private final String readyLine;

  private AllowdnsProcess(
      Path dir, Path zonesDir, Path logDir, int port, ChildProcess process, String readyLine) {
    this.dir = dir;
    this.zonesDir = zonesDir;
    this.logDir = logDir;
    this.port = port;
    this.process = process;
    this.readyLine = readyLine;
  }

  /** Returns a builder: name the zones and upstreams, then {@link Builder#start()}. */
  public static Builder builder() {
    return new Builder();
  }

  /** What to serve and from where; every {@code serve} flag not set here keeps its default. */
  public static final class Builder {
    private final Map<String, String> zoneFiles = new LinkedHashMap<>();
    private final List<String> upstreams = new ArrayList<>();
    private final List<String> extraArgs = new ArrayList<>();
    private String configYaml;
    private String warmUpName;
    private boolean launcher;
    private Path logDir;

    private Builder() {}

    /**
     * Runs the server through the shipped launcher {@code bin/allowdns} (its heap and collector),
     * as users do, instead of the tests' own small JVM flags.
     */
    public Builder throughLauncher() {
      launcher = true;
      return this;
    }

    /**
     * Asks for {@code name} (A) once after start-up and ignores the result. The first forwarded
     * query of a fresh JVM can take most of a second (class loading, cold code), longer than the
     * short upstream timeouts the tests use; tests about something else should not see that.
     */
    public Builder warmUp(String name) {
      warmUpName = name;
      return this;
    }

    /** Adds every {@code *.zone} file of a classpath directory, e.g. {@code /it/zones}. */
    public Builder zonesFromResource(String directory) {
      for (Map.Entry<String, String> zone : Fixtures.zoneFiles(directory).entrySet()) {
        zoneFile(zone.getKey(), zone.getValue());
      }
      return this;
    }

    /** Adds one zone file named {@code fileName} (e.g. {@code basic.zone}) with this text. */
    public Builder zoneFile(String fileName, String text) {
      zoneFiles.put(fileName, text);
      return this;
    }

    /** Adds an {@code --upstream HOST:PORT}. */
    public Builder upstream(String address) {
      upstreams.add(address);
      return this;
    }

    /** Writes this YAML to a file and passes it as {@code --config}. */
    public Builder config(String yaml) {
      configYaml = yaml;
      return this;
    }

    /** Writes the records to {@code dir} (e.g. a small filesystem) instead of a fresh directory. */
    public Builder logDir(Path dir) {
      logDir = dir;
      return this;
    }

    /** Adds a flag with its value, e.g. {@code ("--upstream-timeout", "500ms")}. */
    public Builder flag(String name, String value) {
      extraArgs.add(name);
      extraArgs.add(value);
      return this;
    }

    /**
     * Starts the server and waits for its ready line; fails with everything it printed if it exits
     * or stays silent for 20 s. Retries on another port if the chosen one was taken.
     */
    public AllowdnsProcess start() {
      List<String> failures = new ArrayList<>();
      for (int attempt = 1; attempt <= START_ATTEMPTS; attempt++) {
        Path dir = TempDirs.create("allowdns-serve-");
        try {
          Path zonesDir = Files.createDirectories(dir.resolve("zones"));
          Path logDir = this.logDir != null ? this.logDir : Files.createDirectories(dir.resolve("logs"));
          for (Map.Entry<String, String> zone : zoneFiles.entrySet()) {
            Files.writeString(zonesDir.resolve(zone.getKey()), zone.getValue());
          }
          int port = FreePorts.udpAndTcp();
          List<String> args = new ArrayList<>();
          args.add("serve");
          args.add("--listen");
          args.add("127.0.0.1:" + port);
          for (String upstream : upstreams) {
            args.add("--upstream");
            args.add(upstream);
          }
          args.add("--zones");
          args.add(zonesDir.toString());
          args.add("--log-dir");
          args.add(logDir.toString());
          // Never the default admin port: other test runs on this machine may hold it.
          args.add("--admin-listen");
          args.add("127.0.0.1:" + FreePorts.udpAndTcp());
          if (configYaml != null) {
            Path config = dir.resolve("allowdns.yaml");
            Files.writeString(config, configYaml, StandardCharsets.UTF_8);
            args.add("--config");
            args.add(config.toString());
          }
          args.addAll(extraArgs);
          ChildProcess process =
              launcher
                  ? ChildProcess.start("bin/allowdns serve@" + port, AllowdnsCli.launcher(args, dir))
                  : ChildProcess.start("allowdns serve@" + port, AllowdnsCli.javaCommand(args), dir);
          Optional<String> ready =
              process.awaitStdoutLine(line -> line.contains(READY_MARKER), READY_TIMEOUT);
          if (ready.isPresent() && process.isAlive()) {
            if (warmUpName != null) {
              sendWarmUpQuery(port, warmUpName);
            }
            return new AllowdnsProcess(dir, zonesDir, logDir, port, process, ready.get());
          }
          process.close();
          String described = process.describe();
          failures.add("attempt " + attempt + " with " + args + ":\n" + described);
          TempDirs.deleteQuietly(dir);
          if (!described.contains("Address already in use")) {
            break;
          }
        } catch (IOException e) {
          TempDirs.deleteQuietly(dir);
          throw new IllegalStateException("cannot prepare allowdns serve", e);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IllegalStateException("interrupted while starting allowdns", e);
        }
      }
      throw new AssertionError(
          "allowdns serve did not print a line containing '"
              + READY_MARKER
              + "' within "
              + READY_TIMEOUT
              + ":\n"
              + String.join("\n", failures));
    }
  }

  private static void sendWarmUpQuery(int port, String name) {
    try {
      SimpleResolver resolver =
          new SimpleResolver(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
      resolver.setTimeout(Duration.ofSeconds(3));
      resolver.send(Message.newQuery(Record.newRecord(DnsRecords.name(name), Type.A, DClass.IN)));
    } catch (IOException ignored) {
      // Only a warm-up: the tests themselves say what must work.
    }
  }

  /** Returns the DNS port (UDP and TCP) on 127.0.0.1. */
  public int port() {
    return port;
  }

  /** Returns the admin API's {@code HOST:PORT}, as the ready line names it. */
  public String adminAddress() {
    java.util.regex.Matcher m = java.util.regex.Pattern.compile("; admin (\\S+);").matcher(readyLine);
    if (!m.find()) {
      throw new AssertionError("the ready line names no admin address: " + readyLine);
    }
    return m.group(1);
  }

  /** Returns the directory the process runs in (its {@code ./state} is under it). */
  public Path workDir() {
    return dir;
  }

  public Path zonesDir() {
    return zonesDir;
  }

  public Path logDir() {
    return logDir;
  }

  /** Returns the query log, {@code <log-dir>/queries.jsonl}. */
  public QueryLog queryLog() {
    return new QueryLog(logDir.resolve("queries.jsonl"));
  }

  /** Returns the stdout line that announced readiness. */
  public String readyLine() {
    return readyLine;
  }

  public List<String> stdoutLines() {
    return process.stdoutLines();
  }

  public String stderr() {
    return process.stderr();
  }

  public boolean isAlive() {
    return process.isAlive();
  }

  public long pid() {
    return process.pid();
  }

  /** Returns everything the server printed, for assertion messages. */
  public String describe() {
    return process.describe();
  }

  /** Ends the server (SIGTERM, SIGKILL after a grace) and deletes its directories. */
  @Override
  public void close() {
    process.close();
    TempDirs.deleteQuietly(dir);
  }

  @Override
  public String toString() {
    return "allowdns serve 127.0.0.1:" + port;
  }
}
