// A plain JDBC program against meshgate through the Apache Arrow Flight SQL JDBC driver.
//
//   curl -fLO https://repo1.maven.org/maven2/org/apache/arrow/flight-sql-jdbc-driver/18.3.0/flight-sql-jdbc-driver-18.3.0.jar
//   java --add-opens=java.base/java.nio=ALL-UNNAMED -cp flight-sql-jdbc-driver-18.3.0.jar Example.java \
//       "jdbc:arrow-flight-sql://127.0.0.1:32010/?useEncryption=false" analyst analyst
//
// (Java 11+ runs a single source file directly; the --add-opens flag is required by the driver's
// Arrow memory module on Java 16+.)

import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.util.Properties;

public class Example {
  public static void main(String[] args) throws SQLException {
    String url = args.length > 0 ? args[0] : "jdbc:arrow-flight-sql://127.0.0.1:32010/?useEncryption=false";
    Properties props = new Properties();
    props.setProperty("user", args.length > 1 ? args[1] : "admin");
    props.setProperty("password", args.length > 2 ? args[2] : "admin");

    try (Connection conn = DriverManager.getConnection(url, props)) {
      DatabaseMetaData md = conn.getMetaData();
      System.out.println(md.getDatabaseProductName() + " " + md.getDatabaseProductVersion()
          + " via " + md.getDriverName() + " " + md.getDriverVersion());

      // The navigator view: domains are schemas, datasets are tables.
      try (ResultSet tables = md.getTables("mesh", "customers", "%", new String[] {"TABLE"})) {
        while (tables.next()) {
          System.out.println("table " + tables.getString("TABLE_SCHEM") + "." + tables.getString("TABLE_NAME"));
        }
      }

      // Every statement is prepared; ? parameters are typed by the server.
      String sql = "SELECT c.c_name, c.c_phone, c.c_acctbal, n.n_name"
          + " FROM customers.customer c JOIN customers.nation n ON c.c_nationkey = n.n_nationkey"
          + " WHERE c.c_acctbal > ? ORDER BY c.c_acctbal DESC LIMIT 5";
      try (PreparedStatement ps = conn.prepareStatement(sql)) {
        ps.setBigDecimal(1, new java.math.BigDecimal("9000.00"));
        try (ResultSet rs = ps.executeQuery()) {
          ResultSetMetaData rsmd = rs.getMetaData();
          for (int i = 1; i <= rsmd.getColumnCount(); i++) {
            System.out.print((i > 1 ? " | " : "") + rsmd.getColumnLabel(i) + " " + rsmd.getColumnTypeName(i));
          }
          System.out.println();
          while (rs.next()) {
            System.out.println(rs.getString(1) + " | " + rs.getString(2) + " | " + rs.getBigDecimal(3) + " | " + rs.getString(4));
          }
        }
      }
    }
  }
}
