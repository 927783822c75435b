package chaospgx_test

import (
	"context"
	"errors"
	"fmt"
	"log"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/faultline-go/faultline/chaos"
	"github.com/faultline-go/faultline/faults"
	"github.com/faultline-go/faultline/middleware/chaospgx"
)

// Wrap a pool once and use the wrapper where the pool was used. Here a
// plan fails the next insert before it is sent, so no server needs to be
// running for the example: pgxpool connects on first use.
func ExampleWrap() {
	pool, err := pgxpool.New(context.Background(), "postgres://app@127.0.0.1:5432/app")
	if err != nil {
		log.Fatal(err)
	}
	defer pool.Close()
	engine := chaos.New(chaos.WithSeed(1))
	db := chaospgx.Wrap(pool, engine)

	plan := chaos.MustParsePlan("pgx.exec=1*error(disk full)[label.stmt=insert]")
	if err := engine.Apply(plan); err != nil {
		log.Fatal(err)
	}
	_, err = db.Exec(context.Background(), "INSERT INTO orders (total) VALUES ($1)", 9.99)
	fmt.Println(err)
	fmt.Println(errors.Is(err, faults.ErrInjected), pgconn.SafeToRetry(err))
	// Output:
	// faultline: injected error at pgx.exec: disk full
	// true true
}

// WithPrefix keeps the points of two databases apart.
func ExampleWithPrefix() {
	orders, err := pgxpool.New(context.Background(), "postgres://app@127.0.0.1:5432/orders")
	if err != nil {
		log.Fatal(err)
	}
	defer orders.Close()
	engine := chaos.New(chaos.WithSeed(1))
	db := chaospgx.Wrap(orders, engine, chaospgx.WithPrefix("pgx.orders"))

	if err := engine.Apply(chaos.MustParsePlan("pgx.orders.*=error(orders down)")); err != nil {
		log.Fatal(err)
	}
	var n int
	fmt.Println(db.QueryRow(context.Background(), "SELECT count(*) FROM orders").Scan(&n))
	// Output:
	// faultline: injected error at pgx.orders.query: orders down
}
