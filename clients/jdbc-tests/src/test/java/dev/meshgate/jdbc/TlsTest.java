package dev.meshgate.jdbc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * TLS: a node serving a self-signed certificate (made with openssl) from a `meshgate serve`
 * configuration, reached with useEncryption=true, either skipping certificate verification or
 * trusting the certificate through tlsRootCerts.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class TlsTest {
  private Path dir;
  private String addr;

  @BeforeAll
  void startTlsNode() throws Exception {
    dir = Files.createTempDirectory("meshgate-jdbc-tls-");
    Path cert = dir.resolve("cert.pem");
    Path key = dir.resolve("key.pem");
    int rc;
    try {
      Process p = new ProcessBuilder("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
              "-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
              "-keyout", key.toString(), "-out", cert.toString())
          .redirectErrorStream(true).redirectOutput(dir.resolve("openssl.log").toFile()).start();
      rc = p.waitFor(60, TimeUnit.SECONDS) ? p.exitValue() : -1;
    } catch (IOException e) {
      rc = -2;
    }
    if (rc != 0) {
      String why = "openssl is needed to make a test certificate (rc " + rc + ")";
      if ("1".equals(System.getenv("MESHGATE_REQUIRE_SERVICES"))) {
        throw new IllegalStateException(why + " and MESHGATE_REQUIRE_SERVICES=1");
      }
      Assumptions.abort(why);
    }
    String hash = run(Meshgate.binary(), "hash-password", "tester").trim();
    addr = "127.0.0.1:" + Meshgate.freePort();
    String http = "127.0.0.1:" + Meshgate.freePort();
    Path config = dir.resolve("meshgate.yaml");
    Files.writeString(config, String.join("\n",
        "node:",
        "  data_dir: " + dir.resolve("data"),
        "  flight_addr: " + addr,
        "  http_addr: " + http,
        "  gossip_addr: \"off\"",
        "  tls_cert_file: " + cert,
        "  tls_key_file: " + key,
        "users:",
        "  - name: tester",
        "    password_hash: \"" + hash + "\"",
        "    roles: [analyst]",
        ""), StandardCharsets.UTF_8);
    Meshgate.startNode(List.of(Meshgate.binary(), "serve", "--config", config.toString()), dir, http);
  }

  private static String run(String... command) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (p.waitFor() != 0) {
      throw new IllegalStateException(String.join(" ", command) + " failed: " + out);
    }
    return out;
  }

  private String url(String options) {
    return "jdbc:arrow-flight-sql://" + addr + "/?user=tester&password=tester&" + options;
  }

  @Test
  void selfSignedWithoutVerification() throws SQLException {
    try (Connection conn = DriverManager.getConnection(url("useEncryption=true&disableCertificateVerification=true"))) {
      assertEquals("42", Meshgate.scalar(conn, "SELECT 40 + 2"));
    }
  }

  @Test
  void trustedThroughTlsRootCerts() throws SQLException {
    String certs = dir.resolve("cert.pem").toString();
    try (Connection conn = DriverManager.getConnection(url("useEncryption=true&tlsRootCerts=" + certs))) {
      assertEquals("42", Meshgate.scalar(conn, "SELECT 40 + 2"));
    }
  }

  @Test
  void untrustedCertificateIsRefused() {
    // Neither the JVM's trust store nor the system's knows the self-signed certificate.
    assertThrows(SQLException.class, () -> DriverManager.getConnection(url("useEncryption=true&useSystemTrustStore=false")).close());
  }

  @Test
  void plaintextClientIsRefused() {
    assertThrows(SQLException.class, () -> DriverManager.getConnection(url("useEncryption=false")).close());
  }
}
