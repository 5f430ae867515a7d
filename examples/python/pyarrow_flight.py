# %% [markdown]
# # meshgate from plain pyarrow.flight (no Flight SQL client)
#
# Any Arrow Flight client can run SQL: log in with Basic credentials, then send the SQL text
# as the command of a FlightDescriptor (GetFlightInfo, then DoGet every endpoint) or directly
# as a Ticket. Needs only pyarrow.

# %%
import os

import pyarrow as pa
import pyarrow.flight as flight

uri = os.environ.get("MESHGATE_URI", "grpc://127.0.0.1:32010")
user = os.environ.get("MESHGATE_USER", "admin")
password = os.environ.get("MESHGATE_PASSWORD", user)

client = flight.FlightClient(uri)
# The bearer token comes back in the response headers; send it with every call.
options = flight.FlightCallOptions(headers=[client.authenticate_basic_token(user, password)])

# %%
info = client.get_flight_info(flight.FlightDescriptor.for_command("SELECT * FROM supply.partsupp"), options)
print(info.schema)
parts = []
for endpoint in info.endpoints:
    # An endpoint without locations is served by this connection; otherwise any location works.
    source = flight.FlightClient(endpoint.locations[0]) if endpoint.locations else client
    parts.append(source.do_get(endpoint.ticket, options).read_all())
partsupp = pa.concat_tables(parts)
print(partsupp.num_rows, "rows from", len(info.endpoints), "endpoint(s)")

# %%
regions = client.do_get(flight.Ticket(b"SELECT r_regionkey, r_name FROM customers.region ORDER BY 1"), options).read_all()
print(regions.to_pandas())

client.close()
