package dev.meshgate.jdbc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.Date;
import java.sql.ParameterMetaData;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.sql.Types;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/** Statements and prepared statements: the driver prepares every statement it runs. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class QueryTest {
  private Connection conn;

  @BeforeAll
  void connect() throws SQLException {
    conn = Meshgate.connect("admin");
  }

  @AfterAll
  void close() throws SQLException {
    conn.close();
  }

  private List<List<String>> query(String sql) throws SQLException {
    try (Statement st = conn.createStatement()) {
      return Meshgate.rows(st.executeQuery(sql));
    }
  }

  @Test
  void statementExecuteQuery() throws SQLException {
    String orders = Meshgate.scalar(conn, "SELECT count(*) FROM sales.orders");
    assertTrue(Long.parseLong(orders) > 10_000, orders);
    assertEquals(List.of(List.of(orders)), query("SELECT count(*) FROM \"sales\".orders"));
    assertEquals(List.of(List.of("25")), query("SELECT count(*) FROM \"mesh\".\"customers\".\"nation\""));
    try (Statement st = conn.createStatement()) {
      assertTrue(st.execute("SELECT r_name FROM customers.region ORDER BY r_regionkey"), "a SELECT is a query, not an update");
      assertEquals(List.of("AFRICA", "AMERICA", "ASIA", "EUROPE", "MIDDLE EAST"), Meshgate.column(st.getResultSet(), "r_name"));
      assertEquals(-1, st.getUpdateCount());
    }
  }

  @Test
  void maxRowsAndFetchSize() throws SQLException {
    try (Statement st = conn.createStatement()) {
      st.setMaxRows(3);
      st.setFetchSize(100);
      st.setQueryTimeout(60);
      assertEquals(3, Meshgate.rows(st.executeQuery("SELECT o_orderkey FROM sales.orders")).size());
    }
    long lineitems = Long.parseLong(Meshgate.scalar(conn, "SELECT count(*) FROM sales.lineitem"));
    assertTrue(lineitems > 100_000, "lineitem has " + lineitems + " rows");
    try (Statement st = conn.createStatement()) {
      // Several record batches, each within the message size limit, read to the end.
      assertEquals(lineitems, Meshgate.rows(st.executeQuery("SELECT * FROM sales.lineitem")).size());
    }
  }

  /** Each parameter kind against the same query with literals, so the engine is the oracle. */
  @Test
  void preparedStatementParameters() throws SQLException {
    String sql = "SELECT o_orderkey FROM sales.orders WHERE o_custkey = %s AND o_orderdate >= %s AND o_totalprice > %s"
        + " AND o_orderpriority <> %s ORDER BY 1";
    List<List<String>> literal = query(String.format(sql, "370", "DATE '1995-01-01'", "10000.00", "'1-URGENT'"));
    assertFalse(literal.isEmpty());
    try (PreparedStatement ps = conn.prepareStatement(String.format(sql, "?", "?", "?", "?"))) {
      ParameterMetaData pmd = ps.getParameterMetaData();
      assertEquals(4, pmd.getParameterCount());
      assertEquals(Types.BIGINT, pmd.getParameterType(1));
      assertEquals(Types.DATE, pmd.getParameterType(2));
      assertEquals(Types.DECIMAL, pmd.getParameterType(3));
      assertEquals(Types.VARCHAR, pmd.getParameterType(4));
      assertEquals(1, ps.getMetaData().getColumnCount(), "the dataset schema is known before execution");

      ps.setInt(1, 370);
      ps.setDate(2, Date.valueOf("1995-01-01"));
      // The driver binds a BigDecimal only at the parameter's scale (numeric(15,2) here).
      ps.setBigDecimal(3, new BigDecimal("10000").setScale(pmd.getScale(3) == 0 ? 2 : pmd.getScale(3)));
      ps.setString(4, "1-URGENT");
      assertEquals(literal, Meshgate.rows(ps.executeQuery()));

      // Re-binding re-executes the same statement.
      ps.setLong(1, 371);
      assertEquals(query(String.format(sql, "371", "DATE '1995-01-01'", "10000.00", "'1-URGENT'")), Meshgate.rows(ps.executeQuery()));
    }
  }

  @Test
  void preparedTimestampParameter() throws SQLException {
    Instant instant = Instant.parse("2024-01-02T03:04:05.678Z");
    try (PreparedStatement ps = conn.prepareStatement("SELECT CAST(? AS timestamptz) AS ts")) {
      ps.setTimestamp(1, Timestamp.from(instant));
      try (ResultSet rs = ps.executeQuery()) {
        assertTrue(rs.next());
        assertEquals(instant, rs.getTimestamp(1).toInstant());
      }
    }
  }

  @Test
  void preparedNullParameter() throws SQLException {
    try (PreparedStatement ps = conn.prepareStatement("SELECT count(*) FROM customers.customer WHERE c_nationkey = ?")) {
      ps.setNull(1, Types.BIGINT);
      assertEquals(List.of(List.of("0")), Meshgate.rows(ps.executeQuery()));
    }
  }

  /**
   * An empty result reads as no rows. (Drivers 15.0.0 to 19.0.0 report each column twice in the
   * metadata of an empty result, apache/arrow-java#44; the first columns are the right ones.)
   */
  @Test
  void emptyResult() throws SQLException {
    try (Statement st = conn.createStatement();
        ResultSet rs = st.executeQuery("SELECT r_regionkey, r_name FROM customers.region WHERE r_regionkey < 0")) {
      assertFalse(rs.next());
      assertEquals("r_regionkey", rs.getMetaData().getColumnLabel(1));
      assertEquals("r_name", rs.getMetaData().getColumnLabel(2));
    }
  }

  @Test
  void preparedWithoutParametersRunsTwice() throws SQLException {
    try (PreparedStatement ps = conn.prepareStatement("SELECT count(*) FROM customers.nation")) {
      assertEquals(List.of(List.of("25")), Meshgate.rows(ps.executeQuery()));
      assertEquals(List.of(List.of("25")), Meshgate.rows(ps.executeQuery()));
    }
  }

  @Test
  void errorsAreClear() {
    SQLException notFound = assertThrows(SQLException.class, () -> query("SELECT * FROM sales.order"));
    assertTrue(notFound.getMessage().contains("did you mean sales.orders?"), notFound.getMessage());
    SQLException readOnly = assertThrows(SQLException.class, () -> {
      try (Statement st = conn.createStatement()) {
        st.executeUpdate("DELETE FROM sales.orders");
      }
    });
    assertTrue(readOnly.getMessage().contains("read-only"), readOnly.getMessage());
  }

  @Test
  void wrongPasswordIsRefused() {
    SQLException e = assertThrows(SQLException.class, () -> java.sql.DriverManager.getConnection(
        "jdbc:arrow-flight-sql://" + Meshgate.flightAddr() + "/?useEncryption=false&user=admin&password=wrong").close());
    assertTrue(e.getMessage().contains("invalid user name or password"), e.getMessage());
  }

  @Test
  void cancelStopsARunningQuery() throws Exception {
    // A cross join the engine needs minutes for.
    String sql = "SELECT count(*) FROM sales.lineitem a, sales.lineitem b WHERE a.l_comment < b.l_comment";
    try (Statement st = conn.createStatement()) {
      AtomicBoolean done = new AtomicBoolean();
      // Cancel until the query has ended: a cancel that comes before the query started is a
      // no-op, so one cancel after a guessed delay would be racy.
      Thread canceller = new Thread(() -> {
        while (!done.get()) {
          try {
            st.cancel();
            Thread.sleep(100);
          } catch (SQLException | InterruptedException e) {
            return;
          }
        }
      });
      canceller.start();
      long start = System.nanoTime();
      try {
        SQLException e = assertThrows(SQLException.class, () -> Meshgate.rows(st.executeQuery(sql)));
        assertTrue(e.getMessage().toLowerCase().contains("cancel"), e.getMessage());
      } finally {
        done.set(true);
        canceller.join();
      }
      assertTrue(System.nanoTime() - start < 60_000_000_000L, "the query stopped when it was cancelled");
    }
    // The connection keeps working.
    assertEquals(List.of(List.of("5")), query("SELECT count(*) FROM customers.region"));
  }
}
