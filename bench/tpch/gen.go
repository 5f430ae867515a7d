package tpch

import (
	"slices"
	"strconv"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

const (
	// blockRows is the number of driving rows (orders for ORDERS and LINEITEM, parts for
	// PARTSUPP) generated from one seed. It fixes the data: changing it needs a new
	// GeneratorVersion.
	blockRows = 16384

	suppliersPerPart = 4
	maxLinesPerOrder = 7
)

// Dates of clause 4.2.2.12 as days since 1970-01-01 (Arrow date32).
const (
	startDate   = 8035  // 1992-01-01
	currentDate = 9298  // 1995-06-17
	endDate     = 10591 // 1998-12-31
	// lastOrderDate leaves every order's lines room to ship and arrive before endDate.
	lastOrderDate = endDate - 151 // 1998-08-02
)

// blocks returns the number of seeded blocks covering n driving rows.
func blocks(n int64) int64 { return (n + blockRows - 1) / blockRows }

// blockRange returns the 0-based driving-row range [first, end) of block blk.
func blockRange(blk, n int64) (first, end int64) {
	return blk * blockRows, min((blk+1)*blockRows, n)
}

// lineItems counts LINEITEM rows by replaying only the per-order line-count stream, which is
// separate from the other line values for exactly this purpose.
func (s scale) lineItems() int64 {
	var total int64
	for blk := range blocks(s.orders) {
		first, end := blockRange(blk, s.orders)
		r := newRNG(streamLineCount, uint64(blk))
		for range end - first {
			total += r.between(1, maxLinesPerOrder)
		}
	}
	return total
}

// sparseOrderKey maps the i-th order (1-based) to its key: of every 32 keys only the first 8
// are used (clause 4.2.3, as the reference generator's mk_sparse does), so keys of orders
// added by refresh functions would fit in between.
func sparseOrderKey(i int64) int64 { return (i>>3)<<5 | i&7 }

// retailPriceCents is P_RETAILPRICE of clause 4.2.3 in cents; LINEITEM derives its extended
// price from it without reading PART.
func retailPriceCents(partKey int64) int64 {
	return 90000 + (partKey/10)%20001 + 100*(partKey%1000)
}

// partSupplier is the spec's supplier formula for the i-th (0..3) supplier of a part, used by
// PARTSUPP and, with a random i, by LINEITEM so every line's (part, supplier) exists in
// PARTSUPP.
func partSupplier(partKey, i, suppliers int64) int64 {
	return (partKey+i*(suppliers/4+(partKey-1)/suppliers))%suppliers + 1
}

// orderLineTotalCents is one line's share of O_TOTALPRICE: extendedprice × (1 − discount) ×
// (1 + tax), truncated to cents after each factor as the reference generator does. Discount
// and tax are in hundredths.
func orderLineTotalCents(extendedPrice, discount, tax int64) int64 {
	return extendedPrice * (100 - discount) / 100 * (100 + tax) / 100
}

// generator makes record batches block by block. It is safe for concurrent use: all its
// fields are read-only after newGenerator.
type generator struct {
	scale   scale
	mem     memory.Allocator
	text    *textPool
	schemas [tableCount]*arrow.Schema
	words   wordBytes
}

// wordBytes holds the fixed value lists as byte slices so appending them allocates nothing.
type wordBytes struct {
	segments, priorities, instructions, modes [][]byte
	partTypes, containers, colors             [][]byte
}

func toBytes(words []string) [][]byte {
	out := make([][]byte, len(words))
	for i, w := range words {
		out[i] = []byte(w)
	}
	return out
}

func newGenerator(s scale, mem memory.Allocator) *generator {
	g := &generator{scale: s, mem: mem, text: newTextPool()}
	defs := tableDefs()
	for id := range tableCount {
		g.schemas[id] = defs[id].schema()
	}
	var types, containers []string
	for _, a := range typeSyllable1 {
		for _, b := range typeSyllable2 {
			for _, c := range typeSyllable3 {
				types = append(types, a+" "+b+" "+c)
			}
		}
	}
	for _, a := range containerSyllable1 {
		for _, b := range containerSyllable2 {
			containers = append(containers, a+" "+b)
		}
	}
	g.words = wordBytes{
		segments:     toBytes(marketSegments[:]),
		priorities:   toBytes(orderPriorities[:]),
		instructions: toBytes(shipInstructions[:]),
		modes:        toBytes(shipModes[:]),
		partTypes:    toBytes(types),
		containers:   toBytes(containers),
		colors:       toBytes(partColors[:]),
	}
	return g
}

// family is a set of tables generated together from the same blocks: ORDERS and LINEITEM
// (an order's status and total price come from its lines), every other table alone.
type family struct {
	tables []tableID
	// units is the number of driving rows; blocks(units) blocks cover them.
	units int64
	// block generates block blk, one record per table of the family, owned by the caller.
	block func(blk int64) []arrow.RecordBatch
}

func (g *generator) families() []family {
	s := g.scale
	one := func(id tableID, units int64, gen func(first, end int64) arrow.RecordBatch) family {
		return family{tables: []tableID{id}, units: units, block: func(blk int64) []arrow.RecordBatch {
			first, end := blockRange(blk, units)
			return []arrow.RecordBatch{gen(first, end)}
		}}
	}
	return []family{
		one(tableRegion, int64(len(regionNames)), g.regions),
		one(tableNation, int64(len(nations)), g.nations),
		one(tableSupplier, s.suppliers, g.suppliers),
		one(tableCustomer, s.customers, g.customers),
		one(tablePart, s.parts, g.parts),
		one(tablePartSupp, s.parts, g.partSupps),
		{tables: []tableID{tableOrders, tableLineItem}, units: s.orders, block: func(blk int64) []arrow.RecordBatch {
			orders, lines := g.ordersAndLines(blk)
			return []arrow.RecordBatch{orders, lines}
		}},
	}
}

// columns gives typed access to a record builder's fields in schema order.
type columns struct {
	b        *array.RecordBuilder
	capacity int
}

func (c columns) int64s(i int) *array.Int64Builder { return c.b.Field(i).(*array.Int64Builder) }
func (c columns) int32s(i int) *array.Int32Builder { return c.b.Field(i).(*array.Int32Builder) }
func (c columns) dates(i int) *array.Date32Builder { return c.b.Field(i).(*array.Date32Builder) }
func (c columns) decimals(i int) *array.Decimal128Builder {
	return c.b.Field(i).(*array.Decimal128Builder)
}

// strings returns a string column with room for avgLen bytes per row reserved up front, so
// its data buffer is not regrown while the block fills it.
func (c columns) strings(i int, avgLen int) *array.BinaryBuilder {
	sb := c.b.Field(i).(*array.StringBuilder).BinaryBuilder
	sb.ReserveData(c.capacity * avgLen)
	return sb
}

// newColumns returns a builder for rows rows of table id; the caller releases it.
func (g *generator) newColumns(id tableID, rows int64) (columns, *array.RecordBuilder) {
	b := array.NewRecordBuilder(g.mem, g.schemas[id])
	b.Reserve(int(rows))
	return columns{b: b, capacity: int(rows)}, b
}

func cents(v int64) decimal128.Num { return decimal128.FromI64(v) }

// appendKeyName appends prefix followed by the key zero-padded to 9 digits ("Supplier#000000001").
func appendKeyName(buf []byte, prefix string, key int64) []byte {
	buf = append(buf, prefix...)
	var digits [20]byte
	d := strconv.AppendInt(digits[:0], key, 10)
	for range 9 - len(d) {
		buf = append(buf, '0')
	}
	return append(buf, d...)
}

// appendPhone appends a phone number of clause 4.2.2.9: country code nationkey+10, then
// three random local groups ("25-989-741-2988").
func appendPhone(buf []byte, r *rng, nationKey int64) []byte {
	buf = strconv.AppendInt(buf, nationKey+10, 10)
	buf = append(buf, '-')
	buf = strconv.AppendInt(buf, r.between(100, 999), 10)
	buf = append(buf, '-')
	buf = strconv.AppendInt(buf, r.between(100, 999), 10)
	buf = append(buf, '-')
	return strconv.AppendInt(buf, r.between(1000, 9999), 10)
}

func (g *generator) regions(first, end int64) arrow.RecordBatch {
	c, b := g.newColumns(tableRegion, end-first)
	defer b.Release()
	r := newRNG(streamRegion, 0)
	keys, names, comments := c.int64s(0), c.strings(1, 8), c.strings(2, 73)
	for k := first; k < end; k++ {
		keys.Append(k)
		names.Append([]byte(regionNames[k]))
		comments.Append(g.text.comment(&r, 31, 115))
	}
	return b.NewRecordBatch()
}

func (g *generator) nations(first, end int64) arrow.RecordBatch {
	c, b := g.newColumns(tableNation, end-first)
	defer b.Release()
	r := newRNG(streamNation, 0)
	keys, names, regions, comments := c.int64s(0), c.strings(1, 8), c.int64s(2), c.strings(3, 73)
	for k := first; k < end; k++ {
		keys.Append(k)
		names.Append([]byte(nations[k].name))
		regions.Append(nations[k].region)
		comments.Append(g.text.comment(&r, 31, 114))
	}
	return b.NewRecordBatch()
}

// Supplier comments carry a customer review for SF × 10 of the SF × 10000 suppliers (clause
// 4.2.3): half match '%Customer%Complaints%' (Q16 excludes them), half '%Customer%Recommends%'.
const (
	reviewOdds      = 10 // in reviewOddsRange
	reviewOddsRange = 10000
	reviewBase      = "Customer "
	reviewMinLen    = len(reviewBase) + len("Complaints")
)

// addReview overwrites part of comment (owned by the caller) with a customer review when the
// supplier is one of the reviewed ones.
func addReview(comment []byte, r *rng) []byte {
	if r.between(1, reviewOddsRange) > reviewOdds || len(comment) < reviewMinLen {
		return comment
	}
	verdict := "Complaints"
	if r.index(2) == 1 {
		verdict = "Recommends"
	}
	noise := int(r.between(0, int64(len(comment)-reviewMinLen)))
	offset := int(r.between(0, int64(len(comment)-reviewMinLen-noise)))
	copy(comment[offset:], reviewBase)
	copy(comment[offset+len(reviewBase)+noise:], verdict)
	return comment
}

func (g *generator) suppliers(first, end int64) arrow.RecordBatch {
	c, b := g.newColumns(tableSupplier, end-first)
	defer b.Release()
	r := newRNG(streamSupplier, uint64(first/blockRows))
	keys, names, addresses, nationKeys := c.int64s(0), c.strings(1, 18), c.strings(2, 25), c.int64s(3)
	phones, balances, comments := c.strings(4, 15), c.decimals(5), c.strings(6, 63)
	buf, comment := make([]byte, 0, 128), make([]byte, 0, 128)
	for k := first + 1; k <= end; k++ {
		keys.Append(k)
		names.Append(appendKeyName(buf[:0], "Supplier#", k))
		addresses.Append(appendVString(buf[:0], &r, 10, 40))
		nation := r.between(0, int64(len(nations)-1))
		nationKeys.Append(nation)
		phones.Append(appendPhone(buf[:0], &r, nation))
		balances.Append(cents(r.between(-99999, 999999)))
		comment = append(comment[:0], g.text.comment(&r, 25, 100)...)
		comments.Append(addReview(comment, &r))
	}
	return b.NewRecordBatch()
}

func (g *generator) customers(first, end int64) arrow.RecordBatch {
	c, b := g.newColumns(tableCustomer, end-first)
	defer b.Release()
	r := newRNG(streamCustomer, uint64(first/blockRows))
	keys, names, addresses, nationKeys := c.int64s(0), c.strings(1, 18), c.strings(2, 25), c.int64s(3)
	phones, balances, segments, comments := c.strings(4, 15), c.decimals(5), c.strings(6, 10), c.strings(7, 73)
	buf := make([]byte, 0, 128) // scratch for formatted values; the builders copy them
	for k := first + 1; k <= end; k++ {
		keys.Append(k)
		names.Append(appendKeyName(buf[:0], "Customer#", k))
		addresses.Append(appendVString(buf[:0], &r, 10, 40))
		nation := r.between(0, int64(len(nations)-1))
		nationKeys.Append(nation)
		phones.Append(appendPhone(buf[:0], &r, nation))
		balances.Append(cents(r.between(-99999, 999999)))
		segments.Append(g.words.segments[r.index(len(g.words.segments))])
		comments.Append(g.text.comment(&r, 29, 116))
	}
	return b.NewRecordBatch()
}

func (g *generator) parts(first, end int64) arrow.RecordBatch {
	c, b := g.newColumns(tablePart, end-first)
	defer b.Release()
	r := newRNG(streamPart, uint64(first/blockRows))
	keys, names, mfgrs, brands, types := c.int64s(0), c.strings(1, 33), c.strings(2, 14), c.strings(3, 8), c.strings(4, 20)
	sizes, containers, prices, comments := c.int32s(5), c.strings(6, 7), c.decimals(7), c.strings(8, 14)
	buf := make([]byte, 0, 128) // scratch for formatted values; the builders copy them
	for k := first + 1; k <= end; k++ {
		keys.Append(k)
		buf = buf[:0]
		var picked [5]int
		for n := 0; n < len(picked); {
			color := r.index(len(g.words.colors))
			if slices.Contains(picked[:n], color) {
				continue
			}
			picked[n] = color
			n++
			if n > 1 {
				buf = append(buf, ' ')
			}
			buf = append(buf, g.words.colors[color]...)
		}
		names.Append(buf)
		m, n := r.between(1, 5), r.between(1, 5)
		mfgrs.Append(strconv.AppendInt(append(buf[:0], "Manufacturer#"...), m, 10))
		brands.Append(strconv.AppendInt(strconv.AppendInt(append(buf[:0], "Brand#"...), m, 10), n, 10))
		types.Append(g.words.partTypes[r.index(len(g.words.partTypes))])
		sizes.Append(int32(r.between(1, 50)))
		containers.Append(g.words.containers[r.index(len(g.words.containers))])
		prices.Append(cents(retailPriceCents(k)))
		comments.Append(g.text.comment(&r, 5, 22))
	}
	return b.NewRecordBatch()
}

// partSupps generates the four PARTSUPP rows of each part in [first, end).
func (g *generator) partSupps(first, end int64) arrow.RecordBatch {
	c, b := g.newColumns(tablePartSupp, (end-first)*suppliersPerPart)
	defer b.Release()
	r := newRNG(streamPartSupp, uint64(first/blockRows))
	parts, supps, qtys, costs, comments := c.int64s(0), c.int64s(1), c.int32s(2), c.decimals(3), c.strings(4, 124)
	for k := first + 1; k <= end; k++ {
		for i := range int64(suppliersPerPart) {
			parts.Append(k)
			supps.Append(partSupplier(k, i, g.scale.suppliers))
			qtys.Append(int32(r.between(1, 9999)))
			costs.Append(cents(r.between(100, 100000)))
			comments.Append(g.text.comment(&r, 49, 198))
		}
	}
	return b.NewRecordBatch()
}

// ordersAndLines generates block blk of ORDERS and the lines of those orders. Three streams:
// order values, line counts (replayed alone by scale.lineItems) and line values.
func (g *generator) ordersAndLines(blk int64) (orders, lines arrow.RecordBatch) {
	s := g.scale
	first, end := blockRange(blk, s.orders)
	oc, ob := g.newColumns(tableOrders, end-first)
	defer ob.Release()
	lc, lb := g.newColumns(tableLineItem, (end-first)*(maxLinesPerOrder+1)/2)
	defer lb.Release()

	ro := newRNG(streamOrders, uint64(blk))
	rc := newRNG(streamLineCount, uint64(blk))
	rl := newRNG(streamLineItem, uint64(blk))

	oKeys, oCusts, oStatus, oTotals, oDates := oc.int64s(0), oc.int64s(1), oc.strings(2, 1), oc.decimals(3), oc.dates(4)
	oPriorities, oClerks, oShipPriorities, oComments := oc.strings(5, 8), oc.strings(6, 15), oc.int32s(7), oc.strings(8, 49)

	lOrders, lParts, lSupps, lNumbers := lc.int64s(0), lc.int64s(1), lc.int64s(2), lc.int32s(3)
	lQtys, lPrices, lDiscounts, lTaxes := lc.decimals(4), lc.decimals(5), lc.decimals(6), lc.decimals(7)
	lReturnFlags, lStatuses := lc.strings(8, 1), lc.strings(9, 1)
	lShipDates, lCommitDates, lReceiptDates := lc.dates(10), lc.dates(11), lc.dates(12)
	lInstructs, lModes, lComments := lc.strings(13, 12), lc.strings(14, 4), lc.strings(15, 27)

	flags := [...][]byte{[]byte("R"), []byte("A"), []byte("N")}
	statusF, statusO, statusP := []byte("F"), []byte("O"), []byte("P")
	buf := make([]byte, 0, 128) // scratch for formatted values; the builders copy them
	for i := first; i < end; i++ {
		orderKey := sparseOrderKey(i + 1)
		custKey := ro.between(1, s.customers)
		// Every third customer places no orders (clause 4.2.3), so Q13 and Q22 find some.
		for custKey%3 == 0 {
			custKey = ro.between(1, s.customers)
		}
		orderDate := ro.between(startDate, lastOrderDate)

		lineCount := rc.between(1, maxLinesPerOrder)
		var total int64
		var shipped int64 // lines with status F
		for line := int64(1); line <= lineCount; line++ {
			partKey := rl.between(1, s.parts)
			suppKey := partSupplier(partKey, rl.between(0, suppliersPerPart-1), s.suppliers)
			qty := rl.between(1, 50)
			discount := rl.between(0, 10)
			tax := rl.between(0, 8)
			price := qty * retailPriceCents(partKey)
			shipDate := orderDate + rl.between(1, 121)
			commitDate := orderDate + rl.between(30, 90)
			receiptDate := shipDate + rl.between(1, 30)
			flag := flags[2]
			returned := rl.index(2)
			if receiptDate <= currentDate {
				flag = flags[returned]
			}
			status := statusO
			if shipDate <= currentDate {
				status = statusF
				shipped++
			}
			total += orderLineTotalCents(price, discount, tax)

			lOrders.Append(orderKey)
			lParts.Append(partKey)
			lSupps.Append(suppKey)
			lNumbers.Append(int32(line))
			lQtys.Append(cents(qty * 100))
			lPrices.Append(cents(price))
			lDiscounts.Append(cents(discount))
			lTaxes.Append(cents(tax))
			lReturnFlags.Append(flag)
			lStatuses.Append(status)
			lShipDates.Append(arrow.Date32(shipDate))
			lCommitDates.Append(arrow.Date32(commitDate))
			lReceiptDates.Append(arrow.Date32(receiptDate))
			lInstructs.Append(g.words.instructions[rl.index(len(g.words.instructions))])
			lModes.Append(g.words.modes[rl.index(len(g.words.modes))])
			lComments.Append(g.text.comment(&rl, 10, 43))
		}

		orderStatus := statusP
		switch shipped {
		case lineCount:
			orderStatus = statusF
		case 0:
			orderStatus = statusO
		}
		oKeys.Append(orderKey)
		oCusts.Append(custKey)
		oStatus.Append(orderStatus)
		oTotals.Append(cents(total))
		oDates.Append(arrow.Date32(orderDate))
		oPriorities.Append(g.words.priorities[ro.index(len(g.words.priorities))])
		oClerks.Append(appendKeyName(buf[:0], "Clerk#", ro.between(1, s.clerks)))
		oShipPriorities.Append(0)
		oComments.Append(g.text.comment(&ro, 19, 78))
	}
	return ob.NewRecordBatch(), lb.NewRecordBatch()
}
