package dev.meshgate.jdbc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.net.HttpURLConnection;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.Properties;
import org.junit.jupiter.api.Test;

/** Ways JDBC tools configure a connection: properties, URL parameters, default schema. */
class ConnectionTest {
  private static final String BASE = "jdbc:arrow-flight-sql://%s/?useEncryption=false";

  @Test
  void credentialsAsProperties() throws SQLException {
    Properties props = new Properties();
    props.setProperty("user", "analyst");
    props.setProperty("password", "analyst");
    try (Connection conn = DriverManager.getConnection(String.format(BASE, Meshgate.flightAddr()), props)) {
      assertEquals("analyst", conn.getMetaData().getUserName());
      String phone = Meshgate.scalar(conn, "SELECT c_phone FROM customers.customer ORDER BY c_custkey LIMIT 1");
      assertTrue(phone.matches("[0-]*\\d{4}"), phone);
    }
  }

  @Test
  void defaultSchemaThroughAUrlParameter() throws SQLException {
    // URL parameters the driver does not know travel as request headers.
    String url = Meshgate.url("admin") + "&x-meshgate-schema=customers";
    try (Connection conn = DriverManager.getConnection(url)) {
      assertEquals("5", Meshgate.scalar(conn, "SELECT count(*) FROM region"));
      assertEquals("25", Meshgate.scalar(conn, "SELECT count(*) FROM \"mesh\".\"customers\".nation"));
    }
    try (Connection conn = Meshgate.connect("admin")) {
      SQLException e = assertThrows(SQLException.class, () -> Meshgate.scalar(conn, "SELECT count(*) FROM region"));
      assertTrue(e.getMessage().contains("set a default schema"), e.getMessage());
    }
  }

  @Test
  void catalogProperty() throws SQLException {
    // The driver sets the catalog as a Flight SQL session option when it connects.
    Connection conn = DriverManager.getConnection(Meshgate.url("admin") + "&catalog=mesh");
    assertEquals("5", Meshgate.scalar(conn, "SELECT count(*) FROM customers.region"));
    try {
      conn.close();
    } catch (SQLException e) {
      // With a catalog set, drivers up to 19.0.0 send CloseSession on a channel they already
      // shut down and report it from close() (apache/arrow-java#66, #863); the server's
      // CloseSession is never reached. Anything else is a real failure.
      assertTrue(e.getMessage().contains("Channel shutdown invoked"), e.getMessage());
    }
  }

  @Test
  void unknownUserIsRefused() {
    SQLException e = assertThrows(SQLException.class, () -> DriverManager.getConnection(
        String.format(BASE, Meshgate.flightAddr()) + "&user=nobody&password=nobody").close());
    assertTrue(e.getMessage().contains("invalid user name or password"), e.getMessage());
  }
}
