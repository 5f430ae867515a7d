package dev.meshgate.jdbc;

import java.io.File;
import java.io.IOException;
import java.net.HttpURLConnection;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Properties;
import java.util.stream.Stream;

/**
 * The meshgate node under test and small helpers shared by the tests.
 *
 * <p>The node is a real {@code meshgate demo} started once per JVM from the binary named by the
 * {@code meshgate.bin} system property, on free ports with a temporary data directory, and
 * stopped when the JVM exits. Setting {@code meshgate.flight.addr} instead points the suite at a
 * node that is already running (for debugging against a node you started yourself).
 */
final class Meshgate {
  private Meshgate() {}

  private static final Duration STARTUP_TIMEOUT = Duration.ofSeconds(120);
  private static String flightAddr;

  /** host:port of the node under test, starting it on first use. */
  static synchronized String flightAddr() {
    if (flightAddr == null) {
      String given = System.getProperty("meshgate.flight.addr", "");
      flightAddr = given.isBlank() ? startDemoNode() : given;
    }
    return flightAddr;
  }

  /** Path of the meshgate binary. */
  static String binary() {
    String v = System.getProperty("meshgate.bin", "");
    if (v.isBlank()) {
      throw new IllegalStateException(
          "system property meshgate.bin is not set: it is the path of bin/meshgate (run `make test-jdbc`,"
              + " or mvn test -Dmeshgate.bin=$PWD/../../bin/meshgate after `make build`)");
    }
    if (!new File(v).canExecute()) {
      throw new IllegalStateException("meshgate.bin=" + v + " is not an executable file: run `make build`");
    }
    return v;
  }

  /** The flight-sql-jdbc-driver version under test. */
  static String driverVersion() {
    return System.getProperty("flight.jdbc.version", "unknown");
  }

  private static String startDemoNode() {
    String bin = binary();
    try {
      Path dir = Files.createTempDirectory("meshgate-jdbc-");
      String flight = "127.0.0.1:" + freePort();
      String http = "127.0.0.1:" + freePort();
      startNode(List.of(bin, "demo", "--data-dir", dir.resolve("data").toString(), "--flight-addr", flight, "--http-addr", http),
          dir, http);
      return flight;
    } catch (IOException e) {
      throw new IllegalStateException("starting " + bin + " demo", e);
    }
  }

  /**
   * Starts a meshgate process (command) in dir, waits until http answers /healthz, and stops it
   * and deletes dir when the JVM exits.
   */
  static void startNode(List<String> command, Path dir, String http) {
    Path log = dir.resolve("node.log");
    try {
      Process node = new ProcessBuilder(command)
          .directory(dir.toFile())
          .redirectErrorStream(true)
          .redirectOutput(log.toFile())
          .start();
      Runtime.getRuntime().addShutdownHook(new Thread(() -> stop(node, dir)));
      Instant deadline = Instant.now().plus(STARTUP_TIMEOUT);
      while (!healthy(http)) {
        if (!node.isAlive()) {
          throw new IllegalStateException(command + " exited with " + node.exitValue() + ":\n" + read(log));
        }
        if (Instant.now().isAfter(deadline)) {
          throw new IllegalStateException(command + " not healthy after " + STARTUP_TIMEOUT + ":\n" + read(log));
        }
        Thread.sleep(100);
      }
    } catch (IOException e) {
      throw new IllegalStateException("starting " + command, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while starting " + command, e);
    }
  }

  /** A free TCP port on 127.0.0.1. */
  static int freePort() {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    } catch (IOException e) {
      throw new IllegalStateException("no free port", e);
    }
  }

  private static boolean healthy(String http) {
    try {
      HttpURLConnection c = (HttpURLConnection) URI.create("http://" + http + "/healthz").toURL().openConnection();
      c.setConnectTimeout(1000);
      c.setReadTimeout(2000);
      try {
        return c.getResponseCode() == 200;
      } finally {
        c.disconnect();
      }
    } catch (IOException e) {
      return false;
    }
  }

  private static void stop(Process node, Path dir) {
    node.destroy();
    try {
      if (!node.waitFor(30, java.util.concurrent.TimeUnit.SECONDS)) {
        node.destroyForcibly().waitFor();
      }
    } catch (InterruptedException e) {
      node.destroyForcibly();
    }
    try (Stream<Path> files = Files.walk(dir)) {
      files.sorted(Comparator.reverseOrder()).map(Path::toFile).forEach(File::delete);
    } catch (IOException ignored) {
      // A temporary directory left behind is harmless.
    }
  }

  private static String read(Path log) {
    try {
      return Files.readString(log, StandardCharsets.UTF_8);
    } catch (IOException e) {
      return "(no log: " + e + ")";
    }
  }

  /** The URL DBeaver and the README use: plaintext, credentials in the URL. */
  static String url(String user) {
    return "jdbc:arrow-flight-sql://" + flightAddr() + "/?useEncryption=false&user=" + user + "&password=" + user;
  }

  /** Connects as a demo user (password = name). */
  static Connection connect(String user) throws SQLException {
    return DriverManager.getConnection(url(user), new Properties());
  }

  /** Reads a result set's rows as strings (getString of every column), closing it. */
  static List<List<String>> rows(ResultSet rs) throws SQLException {
    try (rs) {
      int n = rs.getMetaData().getColumnCount();
      List<List<String>> out = new ArrayList<>();
      while (rs.next()) {
        List<String> row = new ArrayList<>(n);
        for (int i = 1; i <= n; i++) {
          row.add(rs.getString(i));
        }
        out.add(row);
      }
      return out;
    }
  }

  /** Reads one column of a result set by label, closing it. */
  static List<String> column(ResultSet rs, String label) throws SQLException {
    try (rs) {
      List<String> out = new ArrayList<>();
      while (rs.next()) {
        out.add(rs.getString(label));
      }
      return out;
    }
  }

  /** The single value of a one-row, one-column query. */
  static String scalar(Connection conn, String sql) throws SQLException {
    try (var st = conn.createStatement()) {
      List<List<String>> rows = rows(st.executeQuery(sql));
      if (rows.size() != 1 || rows.get(0).size() != 1) {
        throw new AssertionError("expected one value from " + sql + ", got " + rows);
      }
      return rows.get(0).get(0);
    }
  }
}
