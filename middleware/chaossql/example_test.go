package chaossql_test

import (
	"database/sql"
	"errors"
	"fmt"
	"log"

	"modernc.org/sqlite"

	"github.com/faultline-go/faultline/chaos"
	"github.com/faultline-go/faultline/faults"
	"github.com/faultline-go/faultline/middleware/chaossql"
)

// A service opens its database through Wrap once; a plan then fails the
// next insert, as a full disk would.
func ExampleWrap() {
	connector, err := sqlite.NewConnector("file:example_wrap?mode=memory&cache=shared")
	if err != nil {
		log.Fatal(err)
	}
	engine := chaos.New(chaos.WithSeed(1))
	db := sql.OpenDB(chaossql.Wrap(connector, engine))
	defer db.Close()
	if _, err := db.Exec("CREATE TABLE orders (id INTEGER PRIMARY KEY, total REAL)"); err != nil {
		log.Fatal(err)
	}

	plan := chaos.MustParsePlan("sql.exec=1*error(disk full)[label.stmt=insert]")
	if err := engine.Apply(plan); err != nil {
		log.Fatal(err)
	}
	_, err = db.Exec("INSERT INTO orders (total) VALUES (?)", 9.99)
	fmt.Println(err)
	fmt.Println(errors.Is(err, faults.ErrInjected))
	_, err = db.Exec("INSERT INTO orders (total) VALUES (?)", 9.99)
	fmt.Println(err)

	var n int
	if err := db.QueryRow("SELECT count(*) FROM orders").Scan(&n); err != nil {
		log.Fatal(err)
	}
	fmt.Println(n, "order")
	// Output:
	// faultline: injected error at sql.exec: disk full
	// true
	// <nil>
	// 1 order
}

// Open is sql.Open with the connections wrapped. Here an injected commit
// failure leaves nothing written.
func ExampleOpen() {
	engine := chaos.New(chaos.WithSeed(1))
	db, err := chaossql.Open("sqlite", "file:example_open?mode=memory&cache=shared", engine)
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec("CREATE TABLE ledger (amount INTEGER)"); err != nil {
		log.Fatal(err)
	}

	if err := engine.Apply(chaos.MustParsePlan("sql.commit=1*error(replica lost)")); err != nil {
		log.Fatal(err)
	}
	tx, err := db.Begin()
	if err != nil {
		log.Fatal(err)
	}
	if _, err := tx.Exec("INSERT INTO ledger VALUES (100), (-100)"); err != nil {
		log.Fatal(err)
	}
	fmt.Println(tx.Commit())

	var n int
	if err := db.QueryRow("SELECT count(*) FROM ledger").Scan(&n); err != nil {
		log.Fatal(err)
	}
	fmt.Println(n, "rows")
	// Output:
	// faultline: injected error at sql.commit: replica lost
	// 0 rows
}

// WithPrefix keeps the points of two databases apart, so that a rule can
// slow down one of them.
func ExampleWithPrefix() {
	engine := chaos.New(chaos.WithSeed(1))
	orders, err := chaossql.Open("sqlite", "file:example_orders?mode=memory&cache=shared", engine,
		chaossql.WithPrefix("sql.orders"))
	if err != nil {
		log.Fatal(err)
	}
	defer orders.Close()
	users, err := chaossql.Open("sqlite", "file:example_users?mode=memory&cache=shared", engine,
		chaossql.WithPrefix("sql.users"))
	if err != nil {
		log.Fatal(err)
	}
	defer users.Close()

	if err := engine.Apply(chaos.MustParsePlan("sql.orders.*=error(orders down)")); err != nil {
		log.Fatal(err)
	}
	fmt.Println(orders.Ping())
	fmt.Println(users.Ping())
	// Output:
	// faultline: injected error at sql.orders.connect: orders down
	// <nil>
}

// Classify gives the class a rule selects with label.stmt: what the
// statement does, whichever driver method carries it.
func ExampleClassify() {
	for _, q := range []string{
		"INSERT INTO users (name) VALUES (?) RETURNING id",
		"/* batch */ WITH old AS (SELECT id FROM users WHERE seen < ?) DELETE FROM users WHERE id IN (SELECT id FROM old)",
		"INSERT INTO hits (page) VALUES ($1) ON CONFLICT (page) DO UPDATE SET n = hits.n + 1",
		"ALTER TABLE users ADD COLUMN email TEXT",
		"ROLLBACK TO SAVEPOINT before_import",
		"PRAGMA journal_mode = WAL",
	} {
		fmt.Println(chaossql.Classify(q))
	}
	// Output:
	// insert
	// delete
	// insert
	// ddl
	// tx
	// other
}
