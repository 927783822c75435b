package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/faultline-go/faultline/chaos"
	"github.com/faultline-go/faultline/faults"
	"github.com/faultline-go/faultline/internal/wait"
	"github.com/faultline-go/faultline/middleware/chaosgo"
	"github.com/faultline-go/faultline/middleware/chaoshttp"
	"github.com/faultline-go/faultline/middleware/chaossql"
	_ "modernc.org/sqlite" // the embedded database: no server to install
)

// service is a small orders API: HTTP handlers over an embedded SQLite
// database, and a worker goroutine that ships pending orders. Its HTTP
// handlers, its database driver and its worker are fault points.
type service struct {
	db      *sql.DB // through chaossql: its calls are fault points
	plainDB *sql.DB // the same database without fault points, for probes
	handler http.Handler
	ship    *chaos.Point // the worker's fault point, "worker.ship"

	shipped  atomic.Int64
	crashes  atomic.Int64
	restarts atomic.Int64
}

const schema = `
CREATE TABLE IF NOT EXISTS orders (
	id     INTEGER PRIMARY KEY,
	item   TEXT NOT NULL,
	qty    INTEGER NOT NULL,
	status TEXT NOT NULL DEFAULT 'pending'
);`

// newService opens the SQLite database file at path, creating it, and
// builds the service.
func newService(e *chaos.Engine, path string) (*service, error) {
	dsn := "file:" + path + "?_pragma=busy_timeout(5000)&_pragma=journal_mode(WAL)"
	plain, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, err
	}
	if _, err := plain.Exec(schema); err != nil {
		plain.Close()
		return nil, fmt.Errorf("creating the schema: %w", err)
	}
	for i := 1; i <= 100; i++ {
		if _, err := plain.Exec(`INSERT INTO orders (id, item, qty, status) VALUES (?, ?, ?, 'shipped')`, i, fmt.Sprintf("item-%d", i%7), i%5+1); err != nil {
			plain.Close()
			return nil, fmt.Errorf("seeding: %w", err)
		}
	}
	db, err := chaossql.Open("sqlite", dsn, e)
	if err != nil {
		plain.Close()
		return nil, err
	}
	// SQLite takes one writer at a time; a small pool keeps it simple.
	db.SetMaxOpenConns(2)

	s := &service{db: db, plainDB: plain, ship: e.Point("worker.ship")}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /orders/{id}", s.getOrder)
	mux.HandleFunc("POST /orders", s.createOrder)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { fmt.Fprintln(w, "ok") })
	s.handler = chaoshttp.Middleware(e, chaoshttp.WithRecoverPanics())(mux)
	return s, nil
}

func (s *service) Close() error {
	return errors.Join(s.db.Close(), s.plainDB.Close())
}

type order struct {
	ID     int64  `json:"id"`
	Item   string `json:"item"`
	Qty    int    `json:"qty"`
	Status string `json:"status"`
}

func (s *service) getOrder(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		http.Error(w, "bad id", http.StatusBadRequest)
		return
	}
	var o order
	err = s.db.QueryRowContext(r.Context(), `SELECT id, item, qty, status FROM orders WHERE id = ?`, id).Scan(&o.ID, &o.Item, &o.Qty, &o.Status)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		http.NotFound(w, r)
		return
	case err != nil:
		http.Error(w, "database: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(o)
}

func (s *service) createOrder(w http.ResponseWriter, r *http.Request) {
	var o order
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<16)).Decode(&o); err != nil || o.Item == "" || o.Qty <= 0 {
		http.Error(w, "bad order", http.StatusBadRequest)
		return
	}
	res, err := s.db.ExecContext(r.Context(), `INSERT INTO orders (item, qty) VALUES (?, ?)`, o.Item, o.Qty)
	if err != nil {
		http.Error(w, "database: "+err.Error(), http.StatusInternalServerError)
		return
	}
	o.ID, _ = res.LastInsertId()
	o.Status = "pending"
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusCreated)
	_ = json.NewEncoder(w).Encode(o)
}

// runWorker ships pending orders every interval until ctx ends. Each round
// runs at the fault point "worker.ship" in a chaosgo.Group, so an injected
// panic becomes an error, is counted as a crash, and the worker carries on
// with the next round, as a supervisor would restart it.
func (s *service) runWorker(ctx context.Context, interval time.Duration) {
	wait.Every(ctx, interval, func() { s.shipRound(ctx) })
}

// shipRound ships the pending orders once.
func (s *service) shipRound(ctx context.Context) {
	var g chaosgo.Group
	g.GoPoint(ctx, s.ship, func() error {
		_, err := s.db.ExecContext(ctx, `UPDATE orders SET status = 'shipped' WHERE status = 'pending'`)
		return err
	})
	var pe *chaosgo.PanicError
	switch err := g.Wait(); {
	case errors.As(err, &pe):
		s.crashes.Add(1)
		s.restarts.Add(1)
		faults.Absorbed(err) // the supervisor carried on: the report counts it handled

	case err == nil:
		s.shipped.Add(1)
	}
}
