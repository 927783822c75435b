package chaospgx_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/faultline-go/faultline/chaos"
	"github.com/faultline-go/faultline/faults"
	"github.com/faultline-go/faultline/middleware/chaospgx"
)

const benchSQL = "SELECT name FROM items WHERE id = $1"

// benchPool returns a pool on a database of 100 items.
func benchPool(tb testing.TB) *pgxpool.Pool {
	tb.Helper()
	pool := newPool(tb)
	if _, err := pool.Exec(bg, "INSERT INTO items SELECT i, 'item ' || i FROM generate_series(0, 99) i"); err != nil {
		tb.Fatal(err)
	}
	return pool
}

// BenchmarkQueryRow reads one row by key from the real PostgreSQL, through
// the bare pool and through wrappers: with no plan, and with a rule that
// fails 1% of queries.
func BenchmarkQueryRow(b *testing.B) {
	pool := benchPool(b)
	for _, s := range []struct {
		name string
		q    chaospgx.Querier
	}{
		{"bare", pool},
		{"disabled", chaospgx.Wrap(pool, chaos.New())},
		{"armed", chaospgx.Wrap(pool, engine(b, "pgx.query=1%error(bench)"))},
	} {
		b.Run(s.name, func(b *testing.B) {
			b.ReportAllocs()
			var name string
			i := 0
			for b.Loop() {
				if err := s.q.QueryRow(bg, benchSQL, i%100).Scan(&name); err != nil && !errors.Is(err, faults.ErrInjected) {
					b.Fatal(err)
				}
				i++
			}
		})
	}
}

// TestDisabledAllocs holds the wrapper with no plan to the allocations of
// the bare pool, call for call; a transaction allocates its wrapper once.
func TestDisabledAllocs(t *testing.T) {
	pool := benchPool(t)
	ops := []struct {
		name  string
		extra float64
		run   func(q chaospgx.Querier)
	}{
		{"QueryRow", 0, func(q chaospgx.Querier) {
			var name string
			if err := q.QueryRow(bg, benchSQL, 7).Scan(&name); err != nil {
				t.Fatal(err)
			}
		}},
		{"Exec", 0, func(q chaospgx.Querier) {
			if _, err := q.Exec(bg, "UPDATE items SET name = name WHERE id = $1", 7); err != nil {
				t.Fatal(err)
			}
		}},
		{"Query", 0, func(q chaospgx.Querier) {
			rows, err := q.Query(bg, benchSQL, 7)
			if err != nil {
				t.Fatal(err)
			}
			rows.Close()
		}},
		{"Begin+Commit", 1, func(q chaospgx.Querier) {
			tx, err := q.Begin(bg)
			if err != nil {
				t.Fatal(err)
			}
			if err := tx.Commit(bg); err != nil {
				t.Fatal(err)
			}
		}},
	}
	setups := []struct {
		name string
		q    chaospgx.Querier
	}{
		{"bare", pool},
		{"disabled", chaospgx.Wrap(pool, chaos.New())},
		{"armed-other", chaospgx.Wrap(pool, engine(t, "pgx.copy=error"))},
	}
	for _, op := range ops {
		t.Run(op.name, func(t *testing.T) {
			counts := make([]float64, len(setups))
			for range 2 { // the first round warms the pool up
				for i, s := range setups {
					counts[i] = testing.AllocsPerRun(50, func() { op.run(s.q) })
				}
			}
			for i := 1; i < len(setups); i++ {
				if counts[i] != counts[0]+op.extra {
					t.Errorf("%s: %v allocations per call, bare %v (+%v allowed)", setups[i].name, counts[i], counts[0], op.extra)
				}
			}
			t.Log(fmt.Sprint("allocations per call: ", counts))
		})
	}
}
