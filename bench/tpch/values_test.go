package tpch_test

import (
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/stretchr/testify/require"
)

// The value tests restate the spec's rules (TPC-H v3 clause 4.2.3) independently of the
// generator's code and check every row of the shared SF 0.01 data set against them.

const specColors = "almond antique aquamarine azure beige bisque black blanched blue blush brown burlywood " +
	"burnished chartreuse chiffon chocolate coral cornflower cornsilk cream cyan dark deep dim dodger drab " +
	"firebrick floral forest frosted gainsboro ghost goldenrod green grey honeydew hot indian ivory khaki " +
	"lace lavender lawn lemon light lime linen magenta maroon medium metallic midnight mint misty moccasin " +
	"navajo navy olive orange orchid pale papaya peach peru pink plum powder puff purple red rose rosy " +
	"royal saddle salmon sandy seashell sienna sky slate smoke snow spring steel tan thistle tomato " +
	"turquoise violet wheat white yellow"

var (
	partTypeRE  = regexp.MustCompile(`^(STANDARD|SMALL|MEDIUM|LARGE|ECONOMY|PROMO) (ANODIZED|BURNISHED|PLATED|POLISHED|BRUSHED) (TIN|NICKEL|BRASS|STEEL|COPPER)$`)
	containerRE = regexp.MustCompile(`^(SM|LG|MED|JUMBO|WRAP) (CASE|BOX|BAG|JAR|PKG|PACK|CAN|DRUM)$`)
	phoneRE     = regexp.MustCompile(`^(\d\d)-[1-9]\d\d-[1-9]\d\d-[1-9]\d\d\d$`)
)

func date(s string) int64 {
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return d.Unix() / 86400
}

// tableColumns holds one table of the shared data set, one array per column.
type tableColumns struct {
	t      *testing.T
	rows   int
	arrays map[string]arrow.Array
}

func load(t *testing.T, name string) *tableColumns {
	t.Helper()
	mem := memory.NewGoAllocator()
	tbl := readTable(t, name, mem)
	defer tbl.Release()
	c := &tableColumns{t: t, rows: int(tbl.NumRows()), arrays: map[string]arrow.Array{}}
	for i := range int(tbl.NumCols()) {
		c.arrays[tbl.Schema().Field(i).Name] = concat(t, tbl.Column(i).Data(), mem)
	}
	return c
}

func (c *tableColumns) int64s(name string) *array.Int64 { return c.arrays[name].(*array.Int64) }
func (c *tableColumns) int32s(name string) *array.Int32 { return c.arrays[name].(*array.Int32) }
func (c *tableColumns) strs(name string) *array.String  { return c.arrays[name].(*array.String) }
func (c *tableColumns) dates(name string) *array.Date32 { return c.arrays[name].(*array.Date32) }

// cents returns a decimal(15,2) column as integers in hundredths.
func (c *tableColumns) cents(name string) []int64 {
	a := c.arrays[name].(*array.Decimal128)
	out := make([]int64, a.Len())
	for i := range out {
		out[i] = int64(a.Value(i).LowBits())
	}
	return out
}

func requireLength(t *testing.T, s string, minLen, maxLen int, what string) {
	t.Helper()
	require.GreaterOrEqual(t, len(s), minLen, what)
	require.LessOrEqual(t, len(s), maxLen, what)
}

func TestNationAndRegionValues(t *testing.T) {
	regions := load(t, "region")
	require.Equal(t, 5, regions.rows)
	for i, name := range []string{"AFRICA", "AMERICA", "ASIA", "EUROPE", "MIDDLE EAST"} {
		require.Equal(t, int64(i), regions.int64s("r_regionkey").Value(i))
		require.Equal(t, name, regions.strs("r_name").Value(i))
		requireLength(t, regions.strs("r_comment").Value(i), 31, 115, "r_comment")
	}

	nations := load(t, "nation")
	want := []struct {
		name   string
		region int64
	}{
		{"ALGERIA", 0}, {"ARGENTINA", 1}, {"BRAZIL", 1}, {"CANADA", 1}, {"EGYPT", 4}, {"ETHIOPIA", 0},
		{"FRANCE", 3}, {"GERMANY", 3}, {"INDIA", 2}, {"INDONESIA", 2}, {"IRAN", 4}, {"IRAQ", 4},
		{"JAPAN", 2}, {"JORDAN", 4}, {"KENYA", 0}, {"MOROCCO", 0}, {"MOZAMBIQUE", 0}, {"PERU", 1},
		{"CHINA", 2}, {"ROMANIA", 3}, {"SAUDI ARABIA", 4}, {"VIETNAM", 2}, {"RUSSIA", 3},
		{"UNITED KINGDOM", 3}, {"UNITED STATES", 1},
	}
	require.Equal(t, len(want), nations.rows)
	for i, w := range want {
		require.Equal(t, int64(i), nations.int64s("n_nationkey").Value(i))
		require.Equal(t, w.name, nations.strs("n_name").Value(i))
		require.Equal(t, w.region, nations.int64s("n_regionkey").Value(i), w.name)
		requireLength(t, nations.strs("n_comment").Value(i), 31, 114, "n_comment")
	}
}

func TestPartValues(t *testing.T) {
	colors := strings.Fields(specColors)
	require.Len(t, colors, 92)
	parts := load(t, "part")
	prices := parts.cents("p_retailprice")
	types, containers := map[string]bool{}, map[string]bool{}
	for i := range parts.rows {
		key := parts.int64s("p_partkey").Value(i)
		require.Equal(t, int64(i+1), key)

		words := strings.Split(parts.strs("p_name").Value(i), " ")
		require.Len(t, words, 5)
		for j, w := range words {
			require.Contains(t, colors, w)
			require.NotContains(t, words[:j], w, "p_name words are distinct")
		}

		mfgr := parts.strs("p_mfgr").Value(i)
		brand := parts.strs("p_brand").Value(i)
		require.Regexp(t, `^Manufacturer#[1-5]$`, mfgr)
		require.Regexp(t, `^Brand#[1-5][1-5]$`, brand)
		require.Equal(t, mfgr[len(mfgr)-1], brand[len("Brand#")], "brand starts with the manufacturer digit")

		partType := parts.strs("p_type").Value(i)
		require.Regexp(t, partTypeRE, partType)
		types[partType] = true
		container := parts.strs("p_container").Value(i)
		require.Regexp(t, containerRE, container)
		containers[container] = true

		size := parts.int32s("p_size").Value(i)
		require.True(t, size >= 1 && size <= 50, "p_size %d", size)
		require.Equal(t, 90000+(key/10)%20001+100*(key%1000), prices[i], "p_retailprice formula")
		requireLength(t, parts.strs("p_comment").Value(i), 5, 22, "p_comment")
	}
	require.Len(t, types, 150, "every combination of the type syllables occurs")
	require.Len(t, containers, 40, "every combination of the container syllables occurs")
}

func TestSupplierAndCustomerValues(t *testing.T) {
	checkCommon := func(t *testing.T, c *tableColumns, prefix, keyColumn, namePrefix string, commentMin, commentMax int) {
		balances := c.cents(prefix + "_acctbal")
		for i := range c.rows {
			key := c.int64s(keyColumn).Value(i)
			require.Equal(t, int64(i+1), key)
			require.Equal(t, namePrefix+strings.Repeat("0", 9-len(strconv.FormatInt(key, 10)))+strconv.FormatInt(key, 10), c.strs(prefix+"_name").Value(i))
			requireLength(t, c.strs(prefix+"_address").Value(i), 10, 40, "address")
			nation := c.int64s(prefix + "_nationkey").Value(i)
			require.True(t, nation >= 0 && nation <= 24)
			m := phoneRE.FindStringSubmatch(c.strs(prefix + "_phone").Value(i))
			require.NotNil(t, m, c.strs(prefix+"_phone").Value(i))
			require.Equal(t, strconv.FormatInt(nation+10, 10), m[1], "country code is nationkey + 10")
			require.True(t, balances[i] >= -99999 && balances[i] <= 999999, "acctbal %d", balances[i])
			requireLength(t, c.strs(prefix+"_comment").Value(i), commentMin, commentMax, "comment")
		}
	}
	t.Run("supplier", func(t *testing.T) {
		checkCommon(t, load(t, "supplier"), "s", "s_suppkey", "Supplier#", 25, 100)
	})
	t.Run("customer", func(t *testing.T) {
		customers := load(t, "customer")
		checkCommon(t, customers, "c", "c_custkey", "Customer#", 29, 116)
		segments := map[string]int{}
		for i := range customers.rows {
			segments[customers.strs("c_mktsegment").Value(i)]++
		}
		require.ElementsMatch(t, []string{"AUTOMOBILE", "BUILDING", "FURNITURE", "MACHINERY", "HOUSEHOLD"}, keys(segments))
	})
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// specSupplier is clause 4.2.3's PS_SUPPKEY formula for S suppliers.
func specSupplier(partKey, i, s int64) int64 { return (partKey+i*(s/4+(partKey-1)/s))%s + 1 }

func TestPartSuppValues(t *testing.T) {
	const suppliers = 100
	ps := load(t, "partsupp")
	costs := ps.cents("ps_supplycost")
	require.Equal(t, 4*2000, ps.rows)
	for i := range ps.rows {
		part, supp := ps.int64s("ps_partkey").Value(i), ps.int64s("ps_suppkey").Value(i)
		require.Equal(t, int64(i/4+1), part)
		require.Equal(t, specSupplier(part, int64(i%4), suppliers), supp)
		if i%4 == 3 {
			four := []int64{ps.int64s("ps_suppkey").Value(i - 3), ps.int64s("ps_suppkey").Value(i - 2), ps.int64s("ps_suppkey").Value(i - 1), supp}
			slices.Sort(four)
			require.Len(t, slices.Compact(four), 4, "part %d has 4 distinct suppliers", part)
		}
		qty := ps.int32s("ps_availqty").Value(i)
		require.True(t, qty >= 1 && qty <= 9999)
		require.True(t, costs[i] >= 100 && costs[i] <= 100000)
		requireLength(t, ps.strs("ps_comment").Value(i), 49, 198, "ps_comment")
	}
}

func TestOrderAndLineItemValues(t *testing.T) {
	const (
		customers, parts, suppliers, clerks = 1500, 2000, 100, 10
	)
	var (
		firstOrderDate = date("1992-01-01")
		lastOrderDate  = date("1998-08-02")
		current        = date("1995-06-17")
		priorities     = []string{"1-URGENT", "2-HIGH", "3-MEDIUM", "4-NOT SPECIFIED", "5-LOW"}
		instructions   = []string{"DELIVER IN PERSON", "COLLECT COD", "NONE", "TAKE BACK RETURN"}
		modes          = []string{"REG AIR", "AIR", "RAIL", "SHIP", "TRUCK", "MAIL", "FOB"}
	)
	orders := load(t, "orders")
	lines := load(t, "lineitem")
	totals := orders.cents("o_totalprice")
	qtys, prices := lines.cents("l_quantity"), lines.cents("l_extendedprice")
	discounts, taxes := lines.cents("l_discount"), lines.cents("l_tax")

	statuses, flags := map[string]int{}, map[string]int{}
	line := 0
	for i := range orders.rows {
		key := orders.int64s("o_orderkey").Value(i)
		require.Less(t, key&31, int64(8), "only the first 8 of every 32 order keys are used")
		if i > 0 {
			require.Greater(t, key, orders.int64s("o_orderkey").Value(i-1))
		}
		require.LessOrEqual(t, key, int64(4*15000))
		cust := orders.int64s("o_custkey").Value(i)
		require.True(t, cust >= 1 && cust <= customers && cust%3 != 0, "o_custkey %d", cust)
		orderDate := int64(orders.dates("o_orderdate").Value(i))
		require.True(t, orderDate >= firstOrderDate && orderDate <= lastOrderDate)
		require.Contains(t, priorities, orders.strs("o_orderpriority").Value(i))
		clerk := orders.strs("o_clerk").Value(i)
		require.Regexp(t, `^Clerk#\d{9}$`, clerk)
		clerkNo, _ := strconv.Atoi(clerk[len("Clerk#"):])
		require.True(t, clerkNo >= 1 && clerkNo <= clerks)
		require.Equal(t, int32(0), orders.int32s("o_shippriority").Value(i))
		requireLength(t, orders.strs("o_comment").Value(i), 19, 78, "o_comment")

		var total, exact float64
		var truncated int64
		var open, count int
		for ; line < lines.rows && lines.int64s("l_orderkey").Value(line) == key; line++ {
			count++
			require.Equal(t, int32(count), lines.int32s("l_linenumber").Value(line))
			part := lines.int64s("l_partkey").Value(line)
			require.True(t, part >= 1 && part <= parts)
			supp := lines.int64s("l_suppkey").Value(line)
			require.Contains(t, []int64{specSupplier(part, 0, suppliers), specSupplier(part, 1, suppliers),
				specSupplier(part, 2, suppliers), specSupplier(part, 3, suppliers)}, supp)
			require.Zero(t, qtys[line]%100, "l_quantity is a whole number")
			require.True(t, qtys[line] >= 100 && qtys[line] <= 5000)
			require.Equal(t, qtys[line]/100*(90000+(part/10)%20001+100*(part%1000)), prices[line], "l_extendedprice = quantity × p_retailprice")
			require.True(t, discounts[line] >= 0 && discounts[line] <= 10)
			require.True(t, taxes[line] >= 0 && taxes[line] <= 8)

			ship := int64(lines.dates("l_shipdate").Value(line))
			commit := int64(lines.dates("l_commitdate").Value(line))
			receipt := int64(lines.dates("l_receiptdate").Value(line))
			require.True(t, ship-orderDate >= 1 && ship-orderDate <= 121)
			require.True(t, commit-orderDate >= 30 && commit-orderDate <= 90)
			require.True(t, receipt-ship >= 1 && receipt-ship <= 30)

			flag := lines.strs("l_returnflag").Value(line)
			flags[flag]++
			if receipt <= current {
				require.Contains(t, []string{"R", "A"}, flag)
			} else {
				require.Equal(t, "N", flag)
			}
			status := lines.strs("l_linestatus").Value(line)
			if ship > current {
				require.Equal(t, "O", status)
				open++
			} else {
				require.Equal(t, "F", status)
			}
			require.Contains(t, instructions, lines.strs("l_shipinstruct").Value(line))
			require.Contains(t, modes, lines.strs("l_shipmode").Value(line))
			requireLength(t, lines.strs("l_comment").Value(line), 10, 43, "l_comment")

			truncated += prices[line] * (100 - discounts[line]) / 100 * (100 + taxes[line]) / 100
			exact += float64(prices[line]) * (1 - float64(discounts[line])/100) * (1 + float64(taxes[line])/100)
		}
		require.True(t, count >= 1 && count <= 7, "order %d has %d lines", key, count)
		total = float64(totals[i])
		require.Equal(t, truncated, totals[i], "o_totalprice of order %d", key)
		require.InDelta(t, exact, total, float64(2*count), "o_totalprice is within rounding of the spec formula")

		status := orders.strs("o_orderstatus").Value(i)
		statuses[status]++
		switch open {
		case 0:
			require.Equal(t, "F", status)
		case count:
			require.Equal(t, "O", status)
		default:
			require.Equal(t, "P", status)
		}
	}
	require.Equal(t, lines.rows, line, "every line belongs to an order, in order")
	require.ElementsMatch(t, []string{"F", "O", "P"}, keys(statuses))
	require.ElementsMatch(t, []string{"A", "N", "R"}, keys(flags))
}

func TestCommentsSupportTheQueryPatterns(t *testing.T) {
	orders := load(t, "orders")
	special := regexp.MustCompile(`special.*requests`)
	matches := 0
	for i := range orders.rows {
		if special.MatchString(orders.strs("o_comment").Value(i)) {
			matches++
		}
	}
	require.Positive(t, matches, "Q13 excludes some orders")
	require.Less(t, matches, orders.rows/20, "Q13 excludes a small share of orders")

	parts := load(t, "part")
	var forest, green int
	for i := range parts.rows {
		name := parts.strs("p_name").Value(i)
		if strings.HasPrefix(name, "forest") {
			forest++
		}
		if strings.Contains(name, "green") {
			green++
		}
	}
	require.Positive(t, forest, "Q20 finds parts named forest%%")
	require.Positive(t, green, "Q9 finds parts named %%green%%")
}
