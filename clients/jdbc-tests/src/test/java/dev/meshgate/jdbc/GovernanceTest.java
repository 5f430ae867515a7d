package dev.meshgate.jdbc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/** Masks and row filters hold through JDBC, in statements and prepared statements alike. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class GovernanceTest {
  private static final String CUSTOMERS = "SELECT c_custkey, c_phone, c_address FROM customers.customer ORDER BY c_custkey";
  private static final String EUROPEAN = "SELECT c.c_custkey FROM customers.customer c"
      + " JOIN customers.nation n ON c.c_nationkey = n.n_nationkey JOIN customers.region r ON n.n_regionkey = r.r_regionkey"
      + " WHERE r.r_name = 'EUROPE' ORDER BY 1";

  private Connection admin;
  private Connection analyst;

  @BeforeAll
  void connect() throws SQLException {
    admin = Meshgate.connect("admin");
    analyst = Meshgate.connect("analyst");
  }

  @AfterAll
  void close() throws SQLException {
    admin.close();
    analyst.close();
  }

  /** custkey → [phone, address]. */
  private static Map<String, List<String>> customers(Connection conn) throws SQLException {
    Map<String, List<String>> out = new LinkedHashMap<>();
    try (Statement st = conn.createStatement()) {
      for (List<String> row : Meshgate.rows(st.executeQuery(CUSTOMERS))) {
        out.put(row.get(0), List.of(row.get(1), row.get(2)));
      }
    }
    return out;
  }

  @Test
  void analystSeesMaskedPiiOfEuropeanCustomersOnly() throws SQLException {
    Map<String, List<String>> clear = customers(admin);
    Map<String, List<String>> masked = customers(analyst);
    List<String> european;
    try (Statement st = admin.createStatement()) {
      european = Meshgate.column(st.executeQuery(EUROPEAN), "c_custkey");
    }
    assertFalse(masked.isEmpty());
    assertEquals(european, List.copyOf(masked.keySet()), "the row filter keeps European customers only");
    for (Map.Entry<String, List<String>> e : masked.entrySet()) {
      String phone = e.getValue().get(0);
      String address = e.getValue().get(1);
      String clearPhone = clear.get(e.getKey()).get(0);
      String clearAddress = clear.get(e.getKey()).get(1);
      assertNotEquals(clearPhone, phone);
      assertEquals(clearPhone.substring(clearPhone.length() - 4), phone.substring(phone.length() - 4), "show-last-4");
      assertTrue(phone.substring(0, phone.length() - 4).matches("[0-]*"), phone);
      assertNotEquals(clearAddress, address);
      assertTrue(address.matches("[xX0\\W_]*"), address);
    }
  }

  @Test
  void maskedThroughPreparedStatements() throws SQLException {
    try (PreparedStatement ps = analyst.prepareStatement("SELECT c_phone FROM customers.customer WHERE c_phone LIKE ?")) {
      ps.setString(1, "%");
      try (ResultSet rs = ps.executeQuery()) {
        int n = 0;
        while (rs.next()) {
          n++;
          assertTrue(rs.getString(1).matches("[0-]*\\d{4}"), rs.getString(1));
        }
        assertTrue(n > 0);
      }
      // Filtering on the clear value reveals nothing.
      ps.setString(1, "1%");
      assertTrue(Meshgate.rows(ps.executeQuery()).isEmpty());
    }
  }
}
