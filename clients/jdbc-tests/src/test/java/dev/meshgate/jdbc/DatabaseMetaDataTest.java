package dev.meshgate.jdbc;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Types;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * What DBeaver asks DatabaseMetaData when it connects and when a user expands its navigator:
 * catalogs, schemas, tables, columns, keys, types, keywords, and every capability flag.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class DatabaseMetaDataTest {
  private Connection conn;
  private DatabaseMetaData md;

  @BeforeAll
  void connect() throws SQLException {
    conn = Meshgate.connect("admin");
    md = conn.getMetaData();
  }

  @AfterAll
  void close() throws SQLException {
    conn.close();
  }

  @Test
  void productAndDriver() throws SQLException {
    assertEquals("meshgate", md.getDatabaseProductName());
    assertFalse(md.getDatabaseProductVersion().isBlank());
    assertTrue(md.getDriverName().contains("Arrow Flight SQL JDBC"), md.getDriverName());
    assertEquals(Meshgate.driverVersion(), md.getDriverVersion());
    assertEquals("\"", md.getIdentifierQuoteString());
    assertTrue(md.isReadOnly());
    assertEquals(Meshgate.url("admin"), md.getURL());
  }

  @Test
  void keywordsAndFunctions() throws SQLException {
    List<String> keywords = Arrays.stream(md.getSQLKeywords().split(",")).map(String::trim).toList();
    assertTrue(keywords.contains("ILIKE"), md.getSQLKeywords());
    assertTrue(md.getNumericFunctions().contains("round"));
    assertTrue(md.getStringFunctions().contains("lower"));
    assertTrue(md.getTimeDateFunctions().contains("date_trunc"));
    assertTrue(md.getSystemFunctions().contains("coalesce"));
    assertEquals("\\", md.getSearchStringEscape());
  }

  @Test
  void catalogsAndSchemas() throws SQLException {
    assertEquals(List.of(List.of("mesh")), Meshgate.rows(md.getCatalogs()));
    assertEquals(
        List.of("customers", "mesh", "sales", "supply"), Meshgate.column(md.getSchemas(), "TABLE_SCHEM"));
    assertEquals(List.of("sales"), Meshgate.column(md.getSchemas("mesh", "sal%"), "TABLE_SCHEM"));
    assertEquals(List.of("SYSTEM TABLE", "TABLE", "VIEW"), Meshgate.column(md.getTableTypes(), "TABLE_TYPE"));
  }

  @Test
  void tablesWithPatternsAndTypes() throws SQLException {
    List<String> all = qualified(md.getTables(null, null, "%", null));
    assertTrue(all.containsAll(List.of("sales.orders", "sales.lineitem", "customers.customer", "supply.partsupp", "mesh.datasets")), all.toString());

    assertEquals(List.of("customers.customer", "customers.nation", "customers.region"),
        qualified(md.getTables("mesh", "customers", "%", new String[] {"TABLE"})));
    // DBeaver passes exact names as patterns; _ matches one character.
    assertEquals(List.of("customers.customer"), qualified(md.getTables("mesh", "cust%", "c_stomer", null)));
    assertEquals(List.of(), qualified(md.getTables("mesh", "sales", "%", new String[] {"VIEW"})));
    assertTrue(qualified(md.getTables(null, "mesh", null, new String[] {"SYSTEM TABLE"})).contains("mesh.datasets"));
  }

  @Test
  void columnsWithPatterns() throws SQLException {
    List<List<String>> cols = columns(md.getColumns("mesh", "customers", "customer", null));
    assertEquals(List.of("c_custkey", "c_name", "c_address", "c_nationkey", "c_phone", "c_acctbal", "c_mktsegment", "c_comment"),
        cols.stream().map(c -> c.get(0)).toList());
    List<String> acctbal = cols.get(5);
    assertEquals(List.of("c_acctbal", String.valueOf(Types.DECIMAL), "numeric", "15", "2", "Account balance.", "6"), acctbal);

    // The column pattern is matched by the driver, the schema and table patterns by meshgate.
    assertEquals(List.of("c_name"), columns(md.getColumns(null, "cust%", "cust%", "c_name")).stream().map(c -> c.get(0)).toList());
    assertEquals(List.of("o_orderkey", "o_orderstatus", "o_orderdate", "o_orderpriority"),
        columns(md.getColumns(null, null, "orders", "o_order%")).stream().map(c -> c.get(0)).toList());
  }

  @Test
  void keys() throws SQLException {
    try (ResultSet rs = md.getPrimaryKeys("mesh", "customers", "customer")) {
      assertTrue(rs.next());
      assertEquals("c_custkey", rs.getString("COLUMN_NAME"));
      assertEquals(1, rs.getInt("KEY_SEQ"));
      assertFalse(rs.next());
    }
    assertEquals(List.of("c_custkey"), Meshgate.column(md.getPrimaryKeys(null, null, "customer"), "COLUMN_NAME"));
    // Contracts declare no foreign keys yet: empty results. (The server sends the reference
    // schemas; the driver builds a metadata result's columns from its first non-empty batch,
    // so an empty one reads with no columns. DBeaver only iterates it.)
    assertTrue(Meshgate.rows(md.getImportedKeys("mesh", "sales", "orders")).isEmpty());
    assertTrue(Meshgate.rows(md.getExportedKeys("mesh", "customers", "customer")).isEmpty());
    assertTrue(Meshgate.rows(md.getCrossReference("mesh", "customers", "customer", "mesh", "sales", "orders")).isEmpty());
  }

  @Test
  void navigatorCallsWithoutServerSupport() {
    // DBeaver reads these for every table; the driver answers them itself (empty), and they
    // must not fail.
    assertDoesNotThrow(() -> Meshgate.rows(md.getTypeInfo()));
    assertDoesNotThrow(() -> Meshgate.rows(md.getIndexInfo("mesh", "customers", "customer", false, true)));
    assertDoesNotThrow(() -> Meshgate.rows(md.getProcedures(null, null, "%")));
    assertDoesNotThrow(() -> Meshgate.rows(md.getFunctions(null, null, "%")));
    assertDoesNotThrow(() -> Meshgate.rows(md.getUDTs(null, null, "%", null)));
    assertDoesNotThrow(() -> Meshgate.rows(md.getSuperTables(null, null, "%")));
    assertDoesNotThrow(() -> Meshgate.rows(md.getTablePrivileges(null, null, "%")));
    assertDoesNotThrow(() -> Meshgate.rows(md.getVersionColumns(null, "customers", "customer")));
    assertDoesNotThrow(() -> Meshgate.rows(md.getBestRowIdentifier(null, "customers", "customer", DatabaseMetaData.bestRowSession, true)));
    assertDoesNotThrow(() -> Meshgate.rows(md.getPseudoColumns(null, null, "%", "%")));
    assertDoesNotThrow(() -> Meshgate.rows(md.getClientInfoProperties()));
  }

  /**
   * Every argument-less boolean, int, long and String method of DatabaseMetaData: tools call
   * them reflectively (DBeaver's driver properties, SQuirreL's metadata tab) and the driver
   * answers most from GetSqlInfo, casting each value to the type it expects.
   */
  @Test
  void everyCapabilityMethodAnswers() throws Exception {
    List<String> failures = new ArrayList<>();
    int called = 0;
    Method[] methods = DatabaseMetaData.class.getMethods();
    Arrays.sort(methods, Comparator.comparing(Method::getName));
    for (Method m : methods) {
      Class<?> r = m.getReturnType();
      if (m.getParameterCount() != 0 || !(r == boolean.class || r == int.class || r == long.class || r == String.class)) {
        continue;
      }
      called++;
      try {
        Object v = m.invoke(md);
        if (r == String.class) {
          assertNotNull(v, m.getName());
        }
      } catch (InvocationTargetException e) {
        failures.add(m.getName() + ": " + e.getCause());
      }
    }
    assertTrue(called > 130, "called " + called + " methods");
    assertEquals(List.of(), failures);

    // And the ones DBeaver calls with arguments.
    int[] types = {Types.INTEGER, Types.BIGINT, Types.DECIMAL, Types.VARCHAR, Types.DATE, Types.TIMESTAMP, Types.BOOLEAN};
    for (int from : types) {
      for (int to : types) {
        assertDoesNotThrow(() -> md.supportsConvert(from, to));
      }
    }
    assertTrue(md.supportsConvert(Types.INTEGER, Types.VARCHAR));
    assertTrue(md.supportsResultSetType(ResultSet.TYPE_FORWARD_ONLY));
    assertDoesNotThrow(() -> md.supportsResultSetConcurrency(ResultSet.TYPE_FORWARD_ONLY, ResultSet.CONCUR_READ_ONLY));
    assertDoesNotThrow(() -> md.supportsTransactionIsolationLevel(Connection.TRANSACTION_NONE));
    // supportsResultSetHoldability is unimplemented in the driver itself (Avatica "todo"); the
    // holdability DBeaver reads is getResultSetHoldability, covered above.
    assertFalse(md.supportsTransactions());
    assertTrue(md.supportsColumnAliasing());
  }

  @Test
  void connectionStateDBeaverReads() throws SQLException {
    assertTrue(conn.isValid(5));
    assertTrue(conn.getAutoCommit());
    conn.setAutoCommit(true);
    conn.setReadOnly(true);
    assertEquals(Connection.TRANSACTION_NONE, conn.getTransactionIsolation());
    assertDoesNotThrow(conn::getWarnings);
    assertDoesNotThrow(() -> conn.getClientInfo());
  }

  private static List<String> qualified(ResultSet rs) throws SQLException {
    Set<String> out = new TreeSet<>();
    try (rs) {
      while (rs.next()) {
        assertEquals("mesh", rs.getString("TABLE_CAT"));
        out.add(rs.getString("TABLE_SCHEM") + "." + rs.getString("TABLE_NAME"));
      }
    }
    return new ArrayList<>(out);
  }

  /** COLUMN_NAME, DATA_TYPE, TYPE_NAME, COLUMN_SIZE, DECIMAL_DIGITS, REMARKS, ORDINAL_POSITION. */
  private static List<List<String>> columns(ResultSet rs) throws SQLException {
    List<List<String>> out = new ArrayList<>();
    try (rs) {
      ResultSetMetaData rsmd = rs.getMetaData();
      assertEquals("TABLE_CAT", rsmd.getColumnName(1));
      while (rs.next()) {
        out.add(Arrays.asList(rs.getString("COLUMN_NAME"), rs.getString("DATA_TYPE"), rs.getString("TYPE_NAME"),
            rs.getString("COLUMN_SIZE"), rs.getString("DECIMAL_DIGITS"), rs.getString("REMARKS"), rs.getString("ORDINAL_POSITION")));
      }
    }
    return out;
  }
}
