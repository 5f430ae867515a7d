package postgres

import (
	"context"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
)

// pool is a small connection pool with a hard limit on open connections. (pgxpool would do,
// but its dependency is not in the module graph; the connector needs little of it: a limit,
// idle reuse, health checks of long-idle connections and statistics for tests.)
type pool struct {
	cfg *pgx.ConnConfig
	// slots holds one token per connection in use or being dialled; its capacity is the
	// source's max_connections.
	slots chan struct{}

	mu       sync.Mutex
	idle     []idleConn
	total    int // open connections, idle or acquired
	acquired int
	closed   bool
}

type idleConn struct {
	conn  *pgx.Conn
	since time.Time
}

// idleCheckAfter is how long a connection may sit idle before it is pinged on reuse.
const idleCheckAfter = 30 * time.Second

func newPool(cfg *pgx.ConnConfig, maxConns int) *pool {
	return &pool{cfg: cfg, slots: make(chan struct{}, maxConns)}
}

// acquire returns an idle connection or dials a new one, waiting for a free slot. dialled
// reports whether a new connection was made (only those tell the breaker anything).
func (p *pool) acquire(ctx context.Context) (conn *pgx.Conn, dialled bool, err error) {
	select {
	case p.slots <- struct{}{}:
	case <-ctx.Done():
		return nil, false, ctx.Err()
	}
	for {
		p.mu.Lock()
		if p.closed {
			p.mu.Unlock()
			<-p.slots
			return nil, false, errPoolClosed
		}
		if n := len(p.idle); n > 0 {
			ic := p.idle[n-1]
			p.idle = p.idle[:n-1]
			p.acquired++
			p.mu.Unlock()
			if ic.conn.IsClosed() || (time.Since(ic.since) > idleCheckAfter && ic.conn.Ping(ctx) != nil) {
				p.discard(ic.conn)
				p.mu.Lock()
				p.acquired--
				p.mu.Unlock()
				continue
			}
			return ic.conn, false, nil
		}
		p.mu.Unlock()
		break
	}
	conn, err = pgx.ConnectConfig(ctx, p.cfg)
	if err != nil {
		<-p.slots
		return nil, true, err
	}
	p.mu.Lock()
	p.total++
	p.acquired++
	p.mu.Unlock()
	return conn, true, nil
}

// release gives a connection back. A connection that is closed, still busy with a
// statement or inside a transaction is closed instead of reused.
func (p *pool) release(conn *pgx.Conn) {
	p.mu.Lock()
	p.acquired--
	reuse := !p.closed && !conn.IsClosed() && !conn.PgConn().IsBusy() && conn.PgConn().TxStatus() == 'I'
	if reuse {
		p.idle = append(p.idle, idleConn{conn: conn, since: time.Now()})
	}
	p.mu.Unlock()
	if !reuse {
		p.discard(conn)
	}
	<-p.slots
}

// destroy closes a connection instead of returning it, for a statement abandoned mid-result.
func (p *pool) destroy(conn *pgx.Conn) {
	p.mu.Lock()
	p.acquired--
	p.mu.Unlock()
	p.discard(conn)
	<-p.slots
}

func (p *pool) discard(conn *pgx.Conn) {
	p.mu.Lock()
	p.total--
	p.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	_ = conn.Close(ctx)
}

func (p *pool) close() {
	p.mu.Lock()
	p.closed = true
	idle := p.idle
	p.idle = nil
	p.mu.Unlock()
	for _, ic := range idle {
		p.discard(ic.conn)
	}
}

// stats returns open, acquired and idle connection counts.
func (p *pool) stats() (total, acquired, idle int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.total, p.acquired, len(p.idle)
}

type poolClosedError struct{}

func (poolClosedError) Error() string { return "the source is closed" }

var errPoolClosed error = poolClosedError{}
