package dev.meshgate.jdbc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.Date;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.sql.Types;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Values survive the trip server → Arrow → JDBC getters (and JDBC setters → server → back) with
 * the JDBC types BI tools map columns by: decimal, date, timestamp with and without zone,
 * boolean, NULLs of every type, unicode and large strings.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class TypeRoundTripTest {
  private static final String UNICODE = "zürich ✓ 日本 🚀";
  private Connection conn;

  @BeforeAll
  void connect() throws SQLException {
    conn = Meshgate.connect("admin");
  }

  @AfterAll
  void close() throws SQLException {
    conn.close();
  }

  @Test
  void literals() throws SQLException {
    String sql = "SELECT CAST(-12345.67 AS numeric(15,2)) AS d, DATE '2024-02-29' AS dt,"
        + " TIMESTAMPTZ '2024-01-02 03:04:05.678+00' AS ts, TIMESTAMP '2024-01-02 03:04:05.5' AS lts,"
        + " true AS b, CAST(42 AS integer) AS i, CAST(9000000000 AS bigint) AS l, CAST(2.5 AS double precision) AS f,"
        + " '" + UNICODE + "' AS u, repeat('ab', 500000) AS big";
    try (Statement st = conn.createStatement(); ResultSet rs = st.executeQuery(sql)) {
      ResultSetMetaData md = rs.getMetaData();
      assertEquals(Types.DECIMAL, md.getColumnType(1));
      assertEquals(15, md.getPrecision(1));
      assertEquals(2, md.getScale(1));
      assertEquals(Types.DATE, md.getColumnType(2));
      assertEquals(Types.TIMESTAMP_WITH_TIMEZONE, md.getColumnType(3));
      assertEquals(Types.TIMESTAMP, md.getColumnType(4));
      assertEquals(Types.BOOLEAN, md.getColumnType(5));
      assertEquals(Types.INTEGER, md.getColumnType(6));
      assertEquals(Types.BIGINT, md.getColumnType(7));
      assertEquals(Types.DOUBLE, md.getColumnType(8));
      assertEquals(Types.VARCHAR, md.getColumnType(9));

      assertTrue(rs.next());
      assertEquals(new BigDecimal("-12345.67"), rs.getBigDecimal("d"));
      assertEquals(LocalDate.of(2024, 2, 29), rs.getDate("dt").toLocalDate());
      assertEquals(LocalDate.of(2024, 2, 29), rs.getObject("dt", LocalDate.class));
      // An instant: the same point in time whatever the JVM's zone.
      assertEquals(Instant.parse("2024-01-02T03:04:05.678Z"), rs.getTimestamp("ts").toInstant());
      assertEquals(LocalDateTime.of(2024, 1, 2, 3, 4, 5, 500_000_000), rs.getTimestamp("lts").toLocalDateTime());
      assertTrue(rs.getBoolean("b"));
      assertEquals(42, rs.getInt("i"));
      assertEquals(9_000_000_000L, rs.getLong("l"));
      assertEquals(2.5, rs.getDouble("f"));
      assertEquals(UNICODE, rs.getString("u"));
      assertEquals("ab".repeat(500_000), rs.getString("big"));
      assertFalse(rs.next());
    }
  }

  @Test
  void nullsOfEveryType() throws SQLException {
    String sql = "SELECT CAST(NULL AS numeric(10,3)) AS d, CAST(NULL AS date) AS dt, CAST(NULL AS timestamptz) AS ts,"
        + " CAST(NULL AS boolean) AS b, CAST(NULL AS bigint) AS l, CAST(NULL AS varchar) AS s, CAST(NULL AS double precision) AS f";
    try (Statement st = conn.createStatement(); ResultSet rs = st.executeQuery(sql)) {
      assertTrue(rs.next());
      for (int i = 1; i <= 7; i++) {
        if (i != 3) { // getObject of an instant: see getObjectOfAnInstant
          assertNull(rs.getObject(i), "column " + i);
        }
        assertNull(rs.getString(i), "column " + i);
      }
      assertFalse(rs.getBoolean("b"));
      assertTrue(rs.wasNull());
      assertEquals(0L, rs.getLong("l"));
      assertTrue(rs.wasNull());
      assertNull(rs.getBigDecimal("d"));
      assertNull(rs.getDate("dt"));
      assertNull(rs.getTimestamp("ts"));
    }
  }

  /**
   * getObject(int) of a TIMESTAMP_WITH_TIMEZONE column throws "not implemented" inside driver
   * 18.3.0 (its Avatica does not know the type: apache/arrow-java#787, fixed by #839). The
   * server sends what the Flight SQL spec asks for instants (timestamp with a UTC zone), so the
   * test is skipped, visibly, where the driver cannot read it this way; getTimestamp and
   * getObject(label) work with every version.
   */
  @Test
  void getObjectOfAnInstant() throws SQLException {
    try (Statement st = conn.createStatement();
        ResultSet rs = st.executeQuery("SELECT TIMESTAMPTZ '2024-01-02 03:04:05.678+00' AS ts")) {
      assertTrue(rs.next());
      assertEquals(Instant.parse("2024-01-02T03:04:05.678Z"), rs.getTimestamp(1).toInstant());
      Object v;
      try {
        v = rs.getObject(1);
      } catch (RuntimeException e) {
        Assumptions.assumeFalse("not implemented".equals(e.getMessage()),
            "driver " + Meshgate.driverVersion() + " cannot getObject(int) a TIMESTAMP_WITH_TIMEZONE (apache/arrow-java#787)");
        throw e;
      }
      assertNotNull(v);
    }
  }

  @Test
  void parameters() throws SQLException {
    String sql = "SELECT CAST(? AS numeric(15,2)) AS d, CAST(? AS date) AS dt, CAST(? AS timestamptz) AS ts,"
        + " CAST(? AS boolean) AS b, CAST(? AS bigint) AS l, CAST(? AS varchar) AS u, CAST(? AS varchar) AS big,"
        + " CAST(? AS varchar) AS n";
    Instant instant = Instant.parse("2024-01-02T03:04:05.678Z");
    String big = "x".repeat(1_000_000);
    try (PreparedStatement ps = conn.prepareStatement(sql)) {
      ps.setBigDecimal(1, new BigDecimal("-12345.67"));
      ps.setDate(2, Date.valueOf("2024-02-29"));
      ps.setTimestamp(3, Timestamp.from(instant));
      ps.setBoolean(4, true);
      ps.setLong(5, 9_000_000_000L);
      ps.setString(6, UNICODE);
      ps.setString(7, big);
      ps.setNull(8, Types.VARCHAR);
      try (ResultSet rs = ps.executeQuery()) {
        assertTrue(rs.next());
        assertEquals(new BigDecimal("-12345.67"), rs.getBigDecimal("d"));
        assertEquals(LocalDate.of(2024, 2, 29), rs.getDate("dt").toLocalDate());
        assertEquals(instant, rs.getTimestamp("ts").toInstant());
        assertTrue(rs.getBoolean("b"));
        assertEquals(9_000_000_000L, rs.getLong("l"));
        assertEquals(UNICODE, rs.getString("u"));
        assertEquals(big, rs.getString("big"));
        assertNull(rs.getString("n"));
        assertFalse(rs.next());
      }
    }
  }

  /** One 20 MB value is one message larger than gRPC's usual 4 MiB default: it still arrives. */
  @Test
  void aValueLargerThanTheDefaultMessageLimit() throws SQLException {
    try (Statement st = conn.createStatement(); ResultSet rs = st.executeQuery("SELECT repeat('x', 20000000) || 'y' AS s")) {
      assertTrue(rs.next());
      String s = rs.getString(1);
      assertEquals(20_000_001, s.length());
      assertTrue(s.endsWith("xy"));
    }
  }

  @Test
  void tableColumnsKeepTheirTypes() throws SQLException {
    try (Statement st = conn.createStatement();
        ResultSet rs = st.executeQuery("SELECT o_orderkey, o_totalprice, o_orderdate, o_orderstatus FROM sales.orders ORDER BY 1 LIMIT 5")) {
      ResultSetMetaData md = rs.getMetaData();
      assertEquals(Types.BIGINT, md.getColumnType(1));
      assertEquals(Types.DECIMAL, md.getColumnType(2));
      assertEquals(Types.DATE, md.getColumnType(3));
      assertEquals(Types.VARCHAR, md.getColumnType(4));
      int n = 0;
      while (rs.next()) {
        n++;
        assertTrue(rs.getBigDecimal(2).scale() == 2, rs.getBigDecimal(2).toPlainString());
        assertTrue(rs.getDate(3).toLocalDate().getYear() >= 1992);
      }
      assertEquals(5, n);
    }
  }
}
