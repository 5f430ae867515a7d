package dev.meshgate.jdbc;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;

/** The meshgate node under test and small helpers shared by the tests. */
final class Meshgate {
  private Meshgate() {}

  /** host:port of the demo node that run.sh started. */
  static String flightAddr() {
    return required("meshgate.flight.addr", "the demo node's Flight SQL address (run `make test-jdbc`)");
  }

  /** Path of the meshgate binary, for tests that start their own node. */
  static String binary() {
    return required("meshgate.bin", "the path of bin/meshgate (run `make test-jdbc`)");
  }

  /** The flight-sql-jdbc-driver version under test, for messages. */
  static String driverVersion() {
    return System.getProperty("flight.jdbc.version", "unknown");
  }

  private static String required(String name, String what) {
    String v = System.getProperty(name, "");
    if (v.isBlank()) {
      throw new IllegalStateException("system property " + name + " is not set: it is " + what);
    }
    return v;
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
}
