package dev.allowdns.testing;

/**
 * The standard set-up of the resolver tests: knotd serving {@code it.test} from {@code
 * /it/upstream/it.test.zone}, and allowdns in front of it with the allowlist in {@code /it/zones}
 * and a 500 ms upstream timeout (so failure cases stay quick), warmed up by one forwarded query.
 */
public final class ResolverStack implements AutoCloseable {
  /** The allowlist fixtures every resolver test uses. */
  public static final String ZONES = "/it/zones";

  /**
   * Allowed by {@code **.many.it.test} and answered by the upstream's wildcard; no test asks for
   * it.
   */
  public static final String WARM_UP_NAME = "warm-up.many.it.test";

  private final UpstreamDns upstream;
  private final AllowdnsProcess allowdns;

  private ResolverStack(UpstreamDns upstream, AllowdnsProcess allowdns) {
    this.upstream = upstream;
    this.allowdns = allowdns;
  }

  /** Starts knotd, then allowdns forwarding to it; extra flags come as name, value pairs. */
  public static ResolverStack start(String... flagPairs) {
    return startWithConfig(null, flagPairs);
  }

  /** Like {@link #start(String...)}, with this YAML as {@code --config} (null: none). */
  public static ResolverStack startWithConfig(String configYaml, String... flagPairs) {
    if (flagPairs.length % 2 != 0) {
      throw new IllegalArgumentException("flags come in name, value pairs: " + flagPairs.length);
    }
    UpstreamDns upstream = startUpstream();
    try {
      AllowdnsProcess.Builder builder =
          AllowdnsProcess.builder()
              .zonesFromResource(ZONES)
              .upstream(upstream.address())
              .flag("--upstream-timeout", "500ms")
              .warmUp(WARM_UP_NAME);
      if (configYaml != null) {
        builder.config(configYaml);
      }
      for (int i = 0; i < flagPairs.length; i += 2) {
        builder.flag(flagPairs[i], flagPairs[i + 1]);
      }
      return new ResolverStack(upstream, builder.start());
    } catch (RuntimeException | Error e) {
      upstream.close();
      throw e;
    }
  }

  /** Starts knotd with the {@code it.test} fixture zone. */
  public static UpstreamDns startUpstream() {
    return UpstreamDns.builder()
        .zone("it.test", Fixtures.text("/it/upstream/it.test.zone"))
        .start();
  }

  public UpstreamDns upstream() {
    return upstream;
  }

  public AllowdnsProcess allowdns() {
    return allowdns;
  }

  public Dig dig() {
    return Dig.at(allowdns.port());
  }

  public RawDns raw() {
    return RawDns.at(allowdns.port());
  }

  public QueryLog queryLog() {
    return allowdns.queryLog();
  }

  @Override
  public void close() {
    try {
      allowdns.close();
    } finally {
      upstream.close();
    }
  }
}
