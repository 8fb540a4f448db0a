package dev.allowdns.testing.netns;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Collectors;

/**
 * A throw-away certificate authority and one server certificate it signed, made with the
 * {@code openssl} command: clients trust {@link #caCertificate()} ({@code curl --cacert}, {@code
 * NODE_EXTRA_CA_CERTS}) and the server presents {@link #serverCertificate()}.
 *
 * @param caCertificate PEM of the CA
 * @param serverCertificate PEM of the server certificate, valid for every name given
 * @param serverKey PEM of the server's private key
 */
public record TestCertificates(Path caCertificate, Path serverCertificate, Path serverKey) {
  private static final Duration OPENSSL_TIMEOUT = Duration.ofSeconds(30);

  /** Creates the CA and a server certificate whose subjectAltName lists {@code dnsNames}. */
  public static TestCertificates create(Path dir, List<String> dnsNames) throws IOException {
    Path caKey = dir.resolve("ca.key");
    Path caCert = dir.resolve("ca.crt");
    Path key = dir.resolve("server.key");
    Path csr = dir.resolve("server.csr");
    Path cert = dir.resolve("server.crt");
    Path extensions = dir.resolve("server.ext");
    openssl(
        "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
        "-keyout", caKey.toString(), "-out", caCert.toString(), "-days", "2",
        "-subj", "/CN=allowdns e2e test CA",
        "-addext", "basicConstraints=critical,CA:TRUE",
        "-addext", "keyUsage=critical,keyCertSign,cRLSign");
    openssl(
        "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
        "-keyout", key.toString(), "-out", csr.toString(), "-subj", "/CN=" + dnsNames.get(0));
    Files.writeString(
        extensions,
        "basicConstraints=CA:FALSE\n"
            + "keyUsage=critical,digitalSignature\n"
            + "extendedKeyUsage=serverAuth\n"
            + "subjectAltName="
            + dnsNames.stream().map(n -> "DNS:" + n).collect(Collectors.joining(","))
            + "\n",
        StandardCharsets.UTF_8);
    openssl(
        "x509", "-req", "-in", csr.toString(), "-CA", caCert.toString(), "-CAkey", caKey.toString(),
        "-CAcreateserial", "-days", "2", "-extfile", extensions.toString(), "-out", cert.toString());
    return new TestCertificates(caCert, cert, key);
  }

  private static void openssl(String... args) {
    List<String> command = new java.util.ArrayList<>(List.of("openssl"));
    command.addAll(List.of(args));
    Output output = Namespace.runHere(OPENSSL_TIMEOUT, command);
    if (!output.succeeded()) {
      throw new IllegalStateException(output.describe());
    }
  }
}
